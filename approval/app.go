package approval

import (
	"context"
	"errors"

	"github.com/tackhq/tack"
)

// AppGet returns an instance of orgID with its tasks, actions and fields,
// for an app of orgID holding approval:read: there is no caller (the
// platform checked the app's scope and organisation), so Can is empty.
// An instance of another organisation is not found.
func (s *Service) AppGet(ctx context.Context, orgID, id tack.ID) (View, error) {
	if !orgID.Valid() || !id.Valid() {
		return View{}, errNoApproval
	}
	in, err := s.store.Instance(ctx, orgID, id)
	if errors.Is(err, tack.ErrNotFound) {
		return View{}, errNoApproval
	} else if err != nil {
		return View{}, err
	}
	tasks, err := s.store.Tasks(ctx, id)
	if err != nil {
		return View{}, err
	}
	acts, err := s.store.Actions(ctx, id)
	if err != nil {
		return View{}, err
	}
	if tasks == nil {
		tasks = []Task{}
	}
	if acts == nil {
		acts = []Action{}
	}
	var fields []Field
	if t, err := s.templateVersion(ctx, orgID, in.Template, in.TemplateVersion); err == nil {
		fields = t.Fields
	}
	return View{Instance: in, Tasks: tasks, Actions: acts, Can: []string{}, Fields: nonNilFields(fields)}, nil
}

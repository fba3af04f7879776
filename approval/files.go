package approval

import (
	"context"
	"fmt"
	"slices"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/org"
)

// Files resolves the file IDs of a form's attachment fields (media.Service
// implements it). Each file must be one the caller may read: their own
// upload (POST /api/v1/files), or one shared with them. Any other answers
// tack.ENotFound.
type Files interface {
	Attachments(ctx context.Context, ids []tack.ID) ([]chat.Attachment, error)
}

// FileRef is an instance that references a file through an attachment
// field.
type FileRef struct {
	OrgID      tack.ID
	InstanceID tack.ID
}

// maxFileRefs bounds the instances looked at to decide whether someone may
// read a file (a file attached to more requests than that is readable
// through the first of them only).
const maxFileRefs = 50

// attachments checks the file IDs of every attachment field of a form
// (tables included) against what the caller may read, and returns the
// files in the form's order, each once.
func (s *Service) attachments(ctx context.Context, fields []Field, vals map[string]any) ([]chat.Attachment, error) {
	type use struct {
		field string
		id    tack.ID
	}
	var uses []use
	var walk func(prefix string, fields []Field, vals map[string]any)
	walk = func(prefix string, fields []Field, vals map[string]any) {
		for _, f := range fields {
			switch f.Type {
			case FieldAttachment:
				for _, id := range idsOf(vals[f.Key]) {
					uses = append(uses, use{prefix + f.Key, tack.ID(id)})
				}
			case FieldTable:
				rows, _ := vals[f.Key].([]map[string]any)
				for i, row := range rows {
					walk(fmt.Sprintf("%s%s[%d].", prefix, f.Key, i), f.Columns, row)
				}
			}
		}
	}
	walk("form.", fields, vals)
	if len(uses) == 0 {
		return nil, nil
	}
	if s.files == nil {
		return nil, tack.Errorf(tack.EUnavailable, "files are not available on this server: %s takes no attachments", uses[0].field)
	}
	var out []chat.Attachment
	seen := map[tack.ID]bool{}
	for _, u := range uses {
		if seen[u.id] {
			continue
		}
		seen[u.id] = true
		if len(seen) > MaxSelected {
			return nil, tack.Invalid(u.field, "a request carries at most %d files", MaxSelected)
		}
		got, err := s.files.Attachments(ctx, []tack.ID{u.id})
		switch tack.ErrorCode(err) {
		case "":
		case tack.ENotFound:
			return nil, tack.Invalid(u.field, "%s: no file %s that you may attach (upload it first with POST /api/v1/files)", u.field, u.id)
		case tack.EForbidden: // someone else's file of a secret chat
			return nil, tack.Invalid(u.field, "%s: file %s may not be attached: %v", u.field, u.id, err)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
	}
	return out, nil
}

// CanReadFile reports whether userID may read fileID because it is
// attached to a request they may read (its originator, its approvers, the
// people CC'd, the organisation's admins). media.Service consults it (a
// media.Grant) after its own rules.
func (s *Service) CanReadFile(ctx context.Context, fileID, userID tack.ID) (bool, error) {
	if !fileID.Valid() || !userID.Valid() {
		return false, nil
	}
	refs, err := s.store.FileInstances(ctx, fileID, maxFileRefs)
	if err != nil {
		return false, err
	}
	actors := map[tack.ID]*actor{}
	for _, r := range refs {
		a, seen := actors[r.OrgID]
		if !seen {
			m, ok, err := s.activeUser(ctx, r.OrgID, userID)
			if err != nil {
				return false, err
			}
			if ok && m.UserID == userID && m.Status == org.Active {
				a = &actor{orgID: r.OrgID, me: m}
			}
			actors[r.OrgID] = a
		}
		if a == nil {
			continue
		}
		in, tasks, err := s.load(ctx, a, r.InstanceID)
		if tack.ErrorCode(err) == tack.ENotFound {
			continue
		} else if err != nil {
			return false, err
		}
		if canRead(a, &in, tasks) && slices.ContainsFunc(in.Attachments, func(f chat.Attachment) bool { return f.ID == fileID }) {
			return true, nil
		}
	}
	return false, nil
}

func fileIDs(fs []chat.Attachment) []tack.ID {
	var out []tack.ID
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return out
}

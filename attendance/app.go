package attendance

import (
	"context"
	"errors"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// MaxAppUsers bounds the members of one app query of records.
const MaxAppUsers = 50

// AppRecords lists the checks of members of orgID (user or member IDs,
// at most MaxAppUsers) from from to to (at most 62 days), for an app of
// orgID holding attendance:read: there is no caller (the platform checked
// the app's scope and organisation), and the reads are not recorded as
// views. Someone who is not an active member of orgID is not found.
func (s *Service) AppRecords(ctx context.Context, orgID tack.ID, ids []tack.ID, from, to string) ([]Record, error) {
	f, t, err := checkRange(from, to)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 || len(ids) > MaxAppUsers {
		return nil, tack.Invalid("user_ids", "name 1 to %d members (user_ids)", MaxAppUsers)
	}
	out := []Record{}
	seen := map[tack.ID]bool{}
	for _, id := range ids {
		if !orgID.Valid() || !id.Valid() {
			return nil, errNoMember
		}
		m, err := s.dir.DirectoryMember(ctx, orgID, id)
		if errors.Is(err, tack.ErrNotFound) || err == nil && (m.Status != org.Active || m.UserID == "") {
			return nil, tack.Errorf(tack.ENotFound, "no such member: %s", id)
		} else if err != nil {
			return nil, err
		}
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		days, err := s.days(ctx, orgID, m, f, t)
		if err != nil {
			return nil, err
		}
		for _, d := range days {
			out = append(out, recordsOf(d)...)
		}
	}
	return out, nil
}

package chat

import (
	"context"
	"fmt"
	"strings"

	"github.com/tackhq/tack"
)

// Rules that other packages inform (Config.Blocks, Config.GroupGate): a
// block between the two people of a direct chat stops what goes into it,
// and people's privacy settings say who may put them in a group.

var errBlocked = tack.Errorf(tack.EForbidden, "messages between you and this person are blocked")

// directBlocked reports whether c is a direct chat whose two people
// blocked one another.
func (s *Service) directBlocked(ctx context.Context, c Conversation, uid tack.ID) (bool, error) {
	if !Paired(c.Kind) || s.cfg.Blocks == nil {
		return false, nil
	}
	ms, err := s.store.Memberships(ctx, c.ID)
	if err != nil {
		return false, fmt.Errorf("members: %w", err)
	}
	for _, m := range ms {
		if m.UserID != uid {
			b, err := s.cfg.Blocks.Blocked(ctx, uid, m.UserID)
			if err != nil {
				return false, fmt.Errorf("blocks: %w", err)
			}
			return b, nil
		}
	}
	return false, nil
}

// groupGate refuses to put in a group anyone whose settings refuse from.
func (s *Service) groupGate(ctx context.Context, from tack.ID, ids []tack.ID) error {
	if s.cfg.GroupGate == nil || len(ids) == 0 {
		return nil
	}
	refused, err := s.cfg.GroupGate.GroupAddRefused(ctx, from, ids)
	if err != nil {
		return fmt.Errorf("group privacy: %w", err)
	}
	if len(refused) == 0 {
		return nil
	}
	list := make([]string, len(refused))
	for i, id := range refused {
		list[i] = string(id)
	}
	return &tack.Error{Code: tack.ERefused, Field: "members",
		Message: "these people's privacy settings do not let you add them to groups: " + strings.Join(list, ", ")}
}

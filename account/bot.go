package account

import (
	"context"
	"errors"
	"fmt"

	"github.com/tackhq/tack"
)

// Bot returns the account a service of this process speaks as (the
// approvals bot that tells people a request waits for them), making it the
// first time. Its login, "bot:" + key, is not an email or a phone number,
// so nobody can register it or sign in as it; it has no password. Nodes
// starting at once agree on one account (a create that loses the race
// reads the winner's; it tries three times).
func (s *Service) Bot(ctx context.Context, key, name string) (User, error) {
	login := "bot:" + key
	for attempt := 0; attempt < 3; attempt++ {
		u, _, err := s.store.UserByLogin(ctx, login)
		if err == nil {
			return u, nil
		}
		if !errors.Is(err, tack.ErrNotFound) {
			return User{}, fmt.Errorf("bot %s: %w", key, err)
		}
		u = User{ID: tack.NewID(), Login: login, Name: name, CreatedAt: s.clock.Now()}
		err = s.store.CreateUser(ctx, u, "")
		if err == nil {
			return u, nil
		}
		if tack.ErrorCode(err) != tack.EConflict {
			return User{}, fmt.Errorf("bot %s: %w", key, err)
		}
	}
	return User{}, fmt.Errorf("bot %s: could not make the account", key)
}

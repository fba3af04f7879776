package org

import (
	"context"
	"fmt"

	"github.com/tackhq/tack"
)

// SendPasswordReset lets an organisation's owner or admin have a reset
// link sent to a member's login: send is called with the member's user ID
// (account.Service.SendResetLink), and the audit log records it. Admins
// never set a member's password. The caller must be the owner or an admin
// who manages the member (not the owner, not another admin unless the
// caller is the owner); the member must be active or suspended. Others
// get what they would get from any action on the member: ENotFound for
// what they may not see, EForbidden otherwise.
func (s *Service) SendPasswordReset(ctx context.Context, orgID, memberID tack.ID, send func(ctx context.Context, userID tack.ID) error) error {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return err
	}
	m, err := s.member(ctx, a, memberID)
	if err != nil {
		return err
	}
	if !a.admin() {
		return errAdminOnly
	}
	if m.ID == a.me.ID {
		return tack.Invalid("member_id", "to change your own password, use your account settings")
	}
	if !a.managesMember(a.t, &m) {
		return errDenied
	}
	if m.Status != Active && m.Status != Suspended {
		return tack.Errorf(tack.EConflict, "this person is %s, not a member now", m.Status)
	}
	if err := send(ctx, m.UserID); err != nil {
		return err
	}
	b := Batch{Audit: []Audit{s.audit(a, "member.password_reset", m.ID, nil, nil)}}
	if err := s.apply(ctx, b); err != nil {
		return fmt.Errorf("password reset: %w", err)
	}
	return nil
}

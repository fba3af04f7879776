package e2e

import (
	"io"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/tacktest"
)

// TestAdminsWithout2FAOutsideTheDirectory: where an organisation requires
// two-step sign-in of its admins, an admin without it is a plain member in
// attendance, leave, DING settings, retention and exports too (not only in
// the directory), until they turn it on.
func TestAdminsWithout2FAOutsideTheDirectory(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	owner, admin, member := srv.NewUser(t, "Owner"), srv.NewUser(t, "Admin"), srv.NewUser(t, "Member")
	o := mustDo[client.Org](t)(owner.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	oid := string(o.ID)
	ids := map[string]string{}
	for _, u := range []*tacktest.User{admin, member} {
		inv := mustDo[client.InvitationOut](t)(owner.CreateInvitation(ctx, oid, map[string]any{}))
		ids[u.Name] = string(mustDo[client.Joined](t)(u.AcceptInvitation(ctx, inv.Code)).Member.ID)
	}
	mustDo[client.OrgMember](t)(owner.SetMemberRole(ctx, oid, ids["Admin"], "admin", nil))
	enable := func(u *tacktest.User) {
		secret, _, err := u.SetUpTOTP(ctx)
		if err != nil {
			t.Fatal(err)
		}
		code, _ := totp.GenerateCode(secret, time.Now())
		if _, err := u.EnableTOTP(ctx, code); err != nil {
			t.Fatal(err)
		}
	}
	enable(owner)
	mustDo[client.Org](t)(owner.UpdateOrg(ctx, oid, map[string]any{"require_admin_2fa": true}))

	group := map[string]any{"name": "HQ", "shift": map[string]string{"on": "09:00", "off": "18:00"}, "workdays": []int{1, 2, 3, 4, 5},
		"places": []map[string]any{{"name": "HQ", "lat": 31.23, "lng": 121.47, "radius_m": 300}}}
	var dingSettings map[string]any
	if err := owner.Do(ctx, "GET", "/api/v1/orgs/"+oid+"/ding-settings", nil, &dingSettings); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		what string
		do   func(u *tacktest.User) error
	}{
		{"create an attendance group", func(u *tacktest.User) error { _, err := u.CreateAttGroup(ctx, oid, group); return err }},
		{"set a member's leave balance", func(u *tacktest.User) error {
			_, err := u.SetLeaveBalance(ctx, oid, ids["Member"], "annual", leave.Days(5), "entitlement")
			return err
		}},
		{"change DING settings", func(u *tacktest.User) error {
			return u.Do(ctx, "PUT", "/api/v1/orgs/"+oid+"/ding-settings", dingSettings, nil)
		}},
		{"set the retention", func(u *tacktest.User) error { _, err := u.SetRetention(ctx, oid, 365); return err }},
		{"export the organisation", func(u *tacktest.User) error { return u.ExportOrg(ctx, oid, "", "", io.Discard) }},
	}
	for _, c := range checks {
		if err := c.do(admin); apiCode(err) != "forbidden" {
			t.Errorf("an admin without two-step sign-in may %s: %v", c.what, err)
		}
		if err := c.do(member); apiCode(err) != "forbidden" {
			t.Errorf("a plain member may %s: %v", c.what, err)
		}
	}
	enable(admin)
	for _, c := range checks {
		if err := c.do(admin); err != nil {
			t.Errorf("the admin with two-step sign-in cannot %s: %v", c.what, err)
		}
	}
}

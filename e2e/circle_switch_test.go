package e2e

import (
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// TestCircleSwitch: an organisation that switches "circle" off has no
// announcements, work reports or colleague circle (module_off for its
// members, 404 for outsiders as before), while friends' moments, which
// belong to no organisation, go on; switched on again, all work.
func TestCircleSwitch(t *testing.T) {
	ctx := ctxT(t)
	srv := tacktest.NewServer(t)
	owner, member, outsider := srv.NewUser(t, "Owner"), srv.NewUser(t, "Member"), srv.NewUser(t, "Outsider")
	o := mustDo[client.Org](t)(owner.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	org := string(o.ID)
	inv := mustDo[client.InvitationOut](t)(owner.CreateInvitation(ctx, org, map[string]any{}))
	mustDo[client.Joined](t)(member.AcceptInvitation(ctx, inv.Code))
	set := func(on bool) {
		t.Helper()
		if err := owner.Do(ctx, "PUT", "/api/v1/orgs/"+org+"/modules", map[string]any{"modules": map[string]bool{"circle": on}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	colleagues := map[string]any{"text": "周五聚餐", "audience": map[string]any{"type": "colleagues", "org_id": org}}
	friends := map[string]any{"text": "周末爬山", "audience": map[string]any{"type": "friends"}}
	calls := []struct {
		name, method, path string
		body               any
	}{
		{"announcements", "GET", "/api/v1/orgs/" + org + "/announcements", nil},
		{"a new announcement", "POST", "/api/v1/orgs/" + org + "/announcements", map[string]any{"title": "放假通知", "body": "国庆放假七天"}},
		{"reports", "GET", "/api/v1/orgs/" + org + "/reports", nil},
		{"report templates", "GET", "/api/v1/orgs/" + org + "/report-templates", nil},
		{"the report reminder", "GET", "/api/v1/orgs/" + org + "/report-reminder", nil},
	}
	set(false)
	for _, c := range calls {
		who := member
		if c.method == "POST" {
			who = owner
		}
		if err := who.Do(ctx, c.method, c.path, c.body, nil); apiCode(err) != "module_off" {
			t.Errorf("%s with circle off: %v, want module_off", c.name, err)
		}
		if err := outsider.Do(ctx, c.method, c.path, c.body, nil); apiCode(err) != "not_found" {
			t.Errorf("%s by an outsider with circle off: %v, want not_found", c.name, err)
		}
	}
	if err := member.Do(ctx, "POST", "/api/v1/moments", colleagues, nil); apiCode(err) != "module_off" {
		t.Errorf("a colleague-circle moment with circle off: %v, want module_off", err)
	}
	if err := member.Do(ctx, "POST", "/api/v1/moments", friends, nil); err != nil {
		t.Errorf("a friends' moment with the organisation's circle off: %v", err)
	}
	var sb struct{ Modules map[string]bool }
	if err := member.Do(ctx, "GET", "/api/v1/orgs/"+org+"/modules", nil, &sb); err != nil || sb.Modules["circle"] {
		t.Errorf("the member's switchboard: %+v, %v", sb, err)
	}
	set(true)
	for _, c := range calls {
		if c.method == "POST" {
			continue
		}
		if err := member.Do(ctx, c.method, c.path, c.body, nil); err != nil {
			t.Errorf("%s with circle on: %v", c.name, err)
		}
	}
	if err := member.Do(ctx, "POST", "/api/v1/moments", colleagues, nil); err != nil {
		t.Errorf("a colleague-circle moment with circle on: %v", err)
	}
}

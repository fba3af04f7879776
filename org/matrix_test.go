package org_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/notify/notifytest"
	"github.com/tackhq/tack/tacktest"
)

var ctx = context.Background()

// code returns the error code of err ("ok" for nil).
func code(err error) string {
	if err == nil {
		return "ok"
	}
	var e *client.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return "transport: " + err.Error()
}

// must returns v, or panics (failing the test) on an error: setup steps
// that cannot fail in a working server.
func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func ok(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// world is an organisation with one person in each role, a member of
// another organisation and a stranger.
type world struct {
	srv                                      *tacktest.Server
	mail                                     *notifytest.SMTPServer // the server's outgoing email
	owner, admin, sub, member, other, strang *tacktest.User
	org, otherOrg                            client.Org
	sales, salesEast, eng                    client.Department
	target                                   client.OrgMember // a plain member in Sales
	tina                                     *tacktest.User   // target's user
	secret                                   []string         // names that refusals must not reveal
}

func (w *world) users() map[string]*tacktest.User {
	return map[string]*tacktest.User{"owner": w.owner, "admin": w.admin, "subadmin": w.sub, "member": w.member, "other": w.other, "stranger": w.strang}
}

// join adds u to the organisation (in departments) through an invitation
// made by the owner, and returns the membership.
func (w *world) join(t testing.TB, u *tacktest.User, depts ...string) client.OrgMember {
	t.Helper()
	if depts == nil {
		depts = []string{}
	}
	inv := must(w.owner.CreateInvitation(ctx, string(w.org.ID), map[string]any{"department_ids": depts}))
	j := must(u.AcceptInvitation(ctx, inv.Code))
	return j.Member
}

var worldSeq atomic.Int64

func newWorld(t testing.TB) *world {
	t.Helper()
	n := worldSeq.Add(1)
	mail := notifytest.NewSMTPServer(t)
	w := &world{srv: newServer(t, tacktest.WithSMTP(mail)), mail: mail}
	w.owner = w.srv.NewUser(t, "Olga Owner")
	w.admin = w.srv.NewUser(t, "Adam Admin")
	w.sub = w.srv.NewUser(t, "Sam Subadmin")
	w.member = w.srv.NewUser(t, "Mia Member")
	w.other = w.srv.NewUser(t, "Otto Other")
	w.strang = w.srv.NewUser(t, "Stan Stranger")
	w.org = must(w.owner.CreateOrg(ctx, fmt.Sprintf("Acme Secret Corp %d", n), "Asia/Shanghai"))
	w.otherOrg = must(w.other.CreateOrg(ctx, "Other Org", ""))
	oid := string(w.org.ID)
	w.sales = must(w.owner.CreateDepartment(ctx, oid, "", "Hidden Sales Dept"))
	w.salesEast = must(w.owner.CreateDepartment(ctx, oid, string(w.sales.ID), "East"))
	w.eng = must(w.owner.CreateDepartment(ctx, oid, "", "Engineering"))
	am := w.join(t, w.admin)
	must(w.owner.SetMemberRole(ctx, oid, string(am.ID), "admin", nil))
	sm := w.join(t, w.sub, string(w.eng.ID))
	must(w.owner.SetMemberRole(ctx, oid, string(sm.ID), "subadmin", []string{string(w.eng.ID)}))
	w.join(t, w.member, string(w.eng.ID))
	tu := w.srv.NewUser(t, "Tina Target")
	w.target, w.tina = w.join(t, tu, string(w.sales.ID)), tu
	w.secret = []string{w.org.Name, "Hidden Sales", "Tina", "Target"}
	return w
}

// TestPermissionMatrix calls every organisation endpoint as the owner, an
// admin, a sub-admin of another department, a member, a member of another
// organisation and a stranger, and checks each answer; refusals must name
// nobody and count nothing.
func TestPermissionMatrix(t *testing.T) {
	w := newWorld(t)
	oid := string(w.org.ID)
	sales := string(w.sales.ID)
	target := string(w.target.ID)
	seq := 0
	next := func() int { seq++; return seq }
	freshDept := func(t *testing.T) string {
		return string(must(w.owner.CreateDepartment(ctx, oid, sales, fmt.Sprintf("Tmp %d", next()))).ID)
	}
	csv := []byte("name,employee_no\nZhang,E1\n")
	// The owner and a second admin have employee numbers, so that an import
	// can name them.
	must(w.owner.UpdateOrgMember(ctx, oid, w.owner.ID, map[string]any{"employee_no": "BOSS1"}))
	admin2 := w.srv.NewUser(t, "Ada Admin")
	am2 := w.join(t, admin2)
	must(w.owner.SetMemberRole(ctx, oid, string(am2.ID), "admin", nil))
	must(w.owner.UpdateOrgMember(ctx, oid, string(am2.ID), map[string]any{"employee_no": "ADM2"}))
	// importRow imports one row as a dry run; a row refused is reported as
	// an error with the row's problem code.
	importRow := func(u *tacktest.User, row string) error {
		res, err := u.ImportMembers(ctx, oid, []byte("name,employee_no,title\n"+row+"\n"), client.ImportOptions{DryRun: true})
		if err != nil {
			return err
		}
		if res.Failed > 0 {
			return &client.Error{Code: res.Rows[0].Problems[0].Code, Message: "the row is refused"}
		}
		return nil
	}

	// Expectations: the default for "other" and "stranger" is not_found.
	type expect map[string]string
	all := expect{"owner": "ok", "admin": "ok", "subadmin": "ok", "member": "ok"}
	admins := expect{"owner": "ok", "admin": "ok", "subadmin": "forbidden", "member": "forbidden"}
	cases := []struct {
		name string
		want expect
		run  func(t *testing.T, u *tacktest.User) error
	}{
		{"GET org", all, func(t *testing.T, u *tacktest.User) error { _, err := u.Org(ctx, oid); return err }},
		{"PATCH org", admins, func(t *testing.T, u *tacktest.User) error {
			_, err := u.UpdateOrg(ctx, oid, map[string]any{"time_zone": "Asia/Shanghai"})
			return err
		}},
		{"POST owner", expect{"owner": "ok", "admin": "forbidden", "subadmin": "forbidden", "member": "forbidden"}, func(t *testing.T, u *tacktest.User) error {
			return u.TransferOrg(ctx, oid, w.owner.ID)
		}},
		{"POST leave (owner must transfer first)", expect{"owner": "conflict", "admin": "skip", "subadmin": "skip", "member": "skip"}, func(t *testing.T, u *tacktest.User) error {
			return u.LeaveOrg(ctx, oid)
		}},
		{"GET audit", admins, func(t *testing.T, u *tacktest.User) error { _, _, err := u.AuditLog(ctx, oid, "", 10); return err }},
		{"GET departments", all, func(t *testing.T, u *tacktest.User) error { _, err := u.Departments(ctx, oid); return err }},
		{"POST department under Sales", admins, func(t *testing.T, u *tacktest.User) error {
			_, err := u.CreateDepartment(ctx, oid, sales, fmt.Sprintf("New %d", next()))
			return err
		}},
		{"POST top-level department", admins, func(t *testing.T, u *tacktest.User) error {
			_, err := u.CreateDepartment(ctx, oid, "", fmt.Sprintf("Top %d", next()))
			return err
		}},
		{"POST department under Engineering (the sub-admin's scope)", expect{"owner": "ok", "admin": "ok", "subadmin": "ok", "member": "forbidden"}, func(t *testing.T, u *tacktest.User) error {
			_, err := u.CreateDepartment(ctx, oid, string(w.eng.ID), fmt.Sprintf("Team %d", next()))
			return err
		}},
		{"PATCH member of Engineering (the sub-admin's scope)", expect{"owner": "ok", "admin": "ok", "subadmin": "ok", "member": "forbidden"}, func(t *testing.T, u *tacktest.User) error {
			_, err := u.UpdateOrgMember(ctx, oid, w.member.ID, map[string]any{"title": fmt.Sprintf("Dev %d", next())})
			return err
		}},
		{"GET department", all, func(t *testing.T, u *tacktest.User) error {
			return u.Do(ctx, "GET", "/api/v1/orgs/"+oid+"/departments/"+sales, nil, nil)
		}},
		{"PATCH department", admins, func(t *testing.T, u *tacktest.User) error {
			_, err := u.UpdateDepartment(ctx, oid, sales, map[string]any{"name": "Hidden Sales Dept"})
			return err
		}},
		{"DELETE department", admins, func(t *testing.T, u *tacktest.User) error {
			return u.DeleteDepartment(ctx, oid, freshDept(t))
		}},
		{"GET members", all, func(t *testing.T, u *tacktest.User) error {
			_, err := u.OrgMembers(ctx, oid, client.MemberQuery{Q: "ti"})
			return err
		}},
		{"GET member", all, func(t *testing.T, u *tacktest.User) error { _, err := u.OrgMember(ctx, oid, target); return err }},
		{"PATCH member", admins, func(t *testing.T, u *tacktest.User) error {
			_, err := u.UpdateOrgMember(ctx, oid, target, map[string]any{"title": "Engineer " + fmt.Sprint(next())})
			return err
		}},
		{"PUT member status", admins, func(t *testing.T, u *tacktest.User) error {
			if _, err := u.SetMemberStatus(ctx, oid, target, "suspended"); err != nil {
				return err
			}
			_, err := u.SetMemberStatus(ctx, oid, target, "active")
			return err
		}},
		{"PUT member role", admins, func(t *testing.T, u *tacktest.User) error {
			_, err := u.SetMemberRole(ctx, oid, target, "member", nil)
			return err
		}},
		{"POST import (dry run)", admins, func(t *testing.T, u *tacktest.User) error {
			_, err := u.ImportMembers(ctx, oid, csv, client.ImportOptions{DryRun: true})
			return err
		}},
		{"POST import changing the owner's profile", expect{"owner": "ok", "admin": "row_member_not_managed", "subadmin": "forbidden", "member": "forbidden"}, func(t *testing.T, u *tacktest.User) error {
			return importRow(u, "Olga Owner,BOSS1,Chief")
		}},
		{"POST import changing another admin's profile", expect{"owner": "ok", "admin": "row_member_not_managed", "subadmin": "forbidden", "member": "forbidden"}, func(t *testing.T, u *tacktest.User) error {
			return importRow(u, "Ada Admin,ADM2,Deputy")
		}},
		{"POST import naming the owner without changing anything", admins, func(t *testing.T, u *tacktest.User) error {
			return importRow(u, "Olga Owner,BOSS1,")
		}},
		{"POST invitation into Sales", admins, func(t *testing.T, u *tacktest.User) error {
			_, err := u.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{sales}})
			return err
		}},
		{"GET invitations", expect{"owner": "ok", "admin": "ok", "subadmin": "ok", "member": "forbidden"}, func(t *testing.T, u *tacktest.User) error {
			list, err := u.Invitations(ctx, oid)
			if u == w.sub {
				for _, inv := range list {
					for _, d := range inv.Departments {
						if string(d) == sales {
							t.Errorf("sub-admin of Engineering sees an invitation into Sales")
						}
					}
				}
			}
			return err
		}},
		{"DELETE invitation", admins, func(t *testing.T, u *tacktest.User) error {
			inv := must(w.owner.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{sales}}))
			return u.RevokeInvitation(ctx, oid, inv.Code)
		}},
		{"GET join requests", expect{"owner": "ok", "admin": "ok", "subadmin": "ok", "member": "forbidden"}, func(t *testing.T, u *tacktest.User) error {
			_, err := u.JoinRequests(ctx, oid)
			return err
		}},
		{"POST approve", expect{"owner": "ok", "admin": "ok", "subadmin": "not_found", "member": "forbidden"}, func(t *testing.T, u *tacktest.User) error {
			return u.ApproveRequest(ctx, oid, w.pending(t, sales))
		}},
		{"POST decline", expect{"owner": "ok", "admin": "ok", "subadmin": "not_found", "member": "forbidden"}, func(t *testing.T, u *tacktest.User) error {
			return u.DeclineRequest(ctx, oid, w.pending(t, sales))
		}},
		{"POST group of Sales", admins, func(t *testing.T, u *tacktest.User) error {
			_, err := u.CreateOrgGroup(ctx, oid, freshDept(t), "")
			return err
		}},
		{"GET groups", all, func(t *testing.T, u *tacktest.User) error { _, err := u.OrgGroups(ctx, oid); return err }},
		{"DELETE group", expect{"owner": "ok", "admin": "ok", "subadmin": "forbidden", "member": "forbidden"}, func(t *testing.T, u *tacktest.User) error {
			g := must(w.owner.CreateOrgGroup(ctx, oid, freshDept(t), ""))
			return u.Do(ctx, "DELETE", "/api/v1/orgs/"+oid+"/groups/"+string(g.ConversationID), nil, nil)
		}},
		{"POST groups sync", admins, func(t *testing.T, u *tacktest.User) error {
			return u.Do(ctx, "POST", "/api/v1/orgs/"+oid+"/groups/sync", nil, nil)
		}},
		{"GET contacts", all, func(t *testing.T, u *tacktest.User) error { _, err := u.Contacts(ctx, oid, ""); return err }},
		{"POST contact", all, func(t *testing.T, u *tacktest.User) error {
			_, err := u.AddContact(ctx, oid, map[string]any{"name": "Client Co buyer", "company": "Client Co"})
			return err
		}},
		{"GET shared contact", all, func(t *testing.T, u *tacktest.User) error {
			c := must(w.owner.AddContact(ctx, oid, map[string]any{"name": "Shared buyer", "shared": true}))
			return u.Do(ctx, "GET", "/api/v1/orgs/"+oid+"/contacts/"+string(c.ID), nil, nil)
		}},
		{"GET private contact of the owner", expect{"owner": "ok", "admin": "ok", "subadmin": "not_found", "member": "not_found"}, func(t *testing.T, u *tacktest.User) error {
			c := must(w.owner.AddContact(ctx, oid, map[string]any{"name": "Private buyer"}))
			return u.Do(ctx, "GET", "/api/v1/orgs/"+oid+"/contacts/"+string(c.ID), nil, nil)
		}},
		{"PATCH shared contact", admins, func(t *testing.T, u *tacktest.User) error {
			c := must(w.owner.AddContact(ctx, oid, map[string]any{"name": "Shared buyer", "shared": true}))
			return u.Do(ctx, "PATCH", "/api/v1/orgs/"+oid+"/contacts/"+string(c.ID), map[string]any{"note": "x"}, nil)
		}},
		{"DELETE shared contact", admins, func(t *testing.T, u *tacktest.User) error {
			c := must(w.owner.AddContact(ctx, oid, map[string]any{"name": "Shared buyer", "shared": true}))
			return u.Do(ctx, "DELETE", "/api/v1/orgs/"+oid+"/contacts/"+string(c.ID), nil, nil)
		}},
		// An invitation for one person: nobody else takes it up by holding
		// its code without a verified login, members included.
		{"POST accept an invitation for another person's address (unverified caller)", expect{"owner": "forbidden", "admin": "forbidden", "subadmin": "forbidden", "member": "forbidden", "other": "forbidden", "stranger": "forbidden"}, func(t *testing.T, u *tacktest.User) error {
			inv := must(w.owner.CreateInvitation(ctx, oid, map[string]any{"email": fmt.Sprintf("someone%d@acme.example", next()), "department_ids": []string{sales}}))
			j, err := u.AcceptInvitation(ctx, inv.Code)
			if err == nil && j.Member.ID == inv.MemberID {
				t.Errorf("a member took up another person's invitation")
			}
			return err
		}},
		{"GET /me/invitations (unverified: none)", expect{"owner": "ok", "admin": "ok", "subadmin": "ok", "member": "ok", "other": "ok", "stranger": "ok"}, func(t *testing.T, u *tacktest.User) error {
			must(w.owner.CreateInvitation(ctx, oid, map[string]any{"email": u.Login}))
			var mine struct {
				Invitations []any `json:"invitations"`
			}
			err := u.Do(ctx, "GET", "/api/v1/me/invitations", nil, &mine)
			if len(mine.Invitations) != 0 {
				t.Errorf("an unverified login sees invitations addressed to it")
			}
			return err
		}},
		{"GET invitation preview (anyone with the code)", expect{"owner": "ok", "admin": "ok", "subadmin": "ok", "member": "ok", "other": "ok", "stranger": "ok"}, func(t *testing.T, u *tacktest.User) error {
			inv := must(w.owner.CreateInvitation(ctx, oid, nil))
			_, err := u.PreviewInvitation(ctx, inv.Code)
			return err
		}},
	}
	order := []string{"stranger", "other", "member", "subadmin", "admin", "owner"}
	users := w.users()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, role := range order {
				want := c.want[role]
				if want == "" {
					want = "not_found"
				}
				if want == "skip" {
					continue
				}
				err := c.run(t, users[role])
				if got := code(err); got != want {
					t.Errorf("%s: got %s (%v), want %s", role, got, err, want)
				}
				if err != nil {
					for _, s := range w.secret {
						if strings.Contains(err.Error(), s) {
							t.Errorf("%s: refusal %q reveals %q", role, err, s)
						}
					}
					if strings.ContainsAny(strings.TrimSuffix(err.Error(), fmt.Sprintf("(%d %s)", statusOf(err), code(err))), "0123456789") && want != "conflict" {
						t.Errorf("%s: refusal %q has a number in it", role, err)
					}
				}
			}
		})
	}

	// Outsiders get exactly what they get for an organisation that does not
	// exist.
	ghost := "0000000000000000"
	for _, path := range []string{"", "/members?q=a", "/departments", "/members/" + target, "/audit", "/invitations", "/groups"} {
		e1 := w.strang.Do(ctx, "GET", "/api/v1/orgs/"+oid+path, nil, nil)
		e2 := w.strang.Do(ctx, "GET", "/api/v1/orgs/"+ghost+path, nil, nil)
		if e1 == nil || e2 == nil || e1.Error() != e2.Error() {
			t.Errorf("GET %s: stranger sees %v, ghost organisation %v", path, e1, e2)
		}
	}
}

func statusOf(err error) int {
	var e *client.Error
	if errors.As(err, &e) {
		return e.Status
	}
	return 0
}

// pending makes a join request into dept and returns its member ID.
func (w *world) pending(t *testing.T, dept string) string {
	t.Helper()
	oid := string(w.org.ID)
	must(w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"join_approval": true}}))
	defer w.owner.UpdateOrg(ctx, oid, map[string]any{"privacy": map[string]any{"join_approval": false}})
	inv := must(w.owner.CreateInvitation(ctx, oid, map[string]any{"department_ids": []string{dept}}))
	u := w.srv.NewUser(t, "Pat Pending")
	j := must(u.AcceptInvitation(ctx, inv.Code))
	if j.Status != "pending" {
		t.Fatalf("join with approval: status %s", j.Status)
	}
	return string(j.Member.ID)
}

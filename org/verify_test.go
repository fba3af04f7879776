package org_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/notify/notifytest"
	"github.com/tackhq/tack/tacktest"
)

var addrSeq atomic.Int64

// TestAddressedInvitationMatrix: who may take up an invitation addressed to
// one email address or phone number. Anyone may register any login; only
// its owner can verify it. Each row is a caller; the columns are what they
// see in /me/invitations, what the preview says, and what accepting the
// code does. A pending result is then approved through the join requests.
func TestAddressedInvitationMatrix(t *testing.T) {
	mail := notifytest.NewSMTPServer(t)
	sms := &notifytest.SMS{}
	withMail := newServer(t, tacktest.WithSMTP(mail), tacktest.WithConfig(func(c *node.Config) { c.SMS = sms }))
	noMail := newServer(t)

	type caller struct {
		name string
		srv  *tacktest.Server
		// target is the invitation's address; login is what the caller
		// registers (a spelling of target, or another address).
		target, login func(n int64) string
		verify        bool
		// Expectations.
		listed      bool
		verifyFirst bool
		accept      string // "active", "pending" or an error code
	}
	email := func(f string) func(int64) string { return func(n int64) string { return fmt.Sprintf(f, n) } }
	phone := func(f string) func(int64) string {
		return func(n int64) string { return fmt.Sprintf(f, 13800000000+n) }
	}
	rows := []caller{
		{name: "owner of the address, verified", srv: withMail, target: email("future%d@acme.example"), login: email("future%d@acme.example"),
			verify: true, listed: true, accept: "active"},
		{name: "owner of the number, verified by SMS, written without +86", srv: withMail, target: phone("+86 %d"), login: phone("%d"),
			verify: true, listed: true, accept: "active"},
		{name: "squatter of the address (upper case), unverified", srv: withMail, target: email("future%d@acme.example"), login: email("FUTURE%d@ACME.EXAMPLE"),
			verifyFirst: true, accept: "forbidden"},
		{name: "squatter of the address (full-width), unverified", srv: withMail, target: email("future%d@acme.example"), login: email("ｆｕｔｕｒｅ%d@acme.example"),
			verifyFirst: true, accept: "forbidden"},
		{name: "someone else, verified, holding the code", srv: withMail, target: email("future%d@acme.example"), login: email("other%d@elsewhere.example"),
			verify: true, accept: "pending"},
		{name: "someone else, unverified, holding the code", srv: withMail, target: email("future%d@acme.example"), login: email("other%d@elsewhere.example"),
			verifyFirst: true, accept: "forbidden"},
		{name: "the address's login on a server without SMTP", srv: noMail, target: email("future%d@acme.example"), login: email("future%d@acme.example"),
			accept: "pending"},
		{name: "squatter on a server without SMTP", srv: noMail, target: email("future%d@acme.example"), login: email("Future%d@Acme.Example"),
			accept: "pending"},
		{name: "phone login on a server without SMS", srv: noMail, target: phone("+86%d"), login: phone("+86%d"),
			accept: "pending"},
	}
	for _, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			srv := row.srv
			n := addrSeq.Add(1)
			owner := srv.NewUser(t, "Olga Owner")
			o := must(owner.CreateOrg(ctx, fmt.Sprintf("Acme %d", n), ""))
			oid := string(o.ID)
			dept := must(owner.CreateDepartment(ctx, oid, "", "Hidden Dept"))
			field := "email"
			if !strings.Contains(row.target(n), "@") {
				field = "phone"
			}
			inv := must(owner.CreateInvitation(ctx, oid, map[string]any{field: row.target(n), "name": "Future Person",
				"department_ids": []string{string(dept.ID)}}))

			u := &tacktest.User{Client: client.New(srv.URL), Login: row.login(n)}
			me := must(u.Register(ctx, u.Login, "correct horse battery", "Someone"))
			if row.verify {
				if field == "email" {
					u.Login = me.Login
					u.VerifyEmail(t, mail)
				} else {
					ok(t, u.SendVerificationCode(ctx, "phone"))
					msg := sms.Wait(t, me.Login)
					must(u.ConfirmVerificationCode(ctx, notifytest.Code(msg.Text)))
				}
			}
			var mine struct {
				Invitations []struct {
					Code string `json:"code"`
				} `json:"invitations"`
			}
			ok(t, u.Do(ctx, "GET", "/api/v1/me/invitations", nil, &mine))
			if listed := len(mine.Invitations) == 1 && mine.Invitations[0].Code == inv.Code; listed != row.listed || len(mine.Invitations) > 1 {
				t.Errorf("/me/invitations = %+v, want listed=%v", mine.Invitations, row.listed)
			}
			p := must(u.PreviewInvitation(ctx, inv.Code))
			if p.VerifyFirst != row.verifyFirst || p.Approval != (row.accept == "pending") {
				t.Errorf("preview: verify_first=%v requires_approval=%v, want %v %v", p.VerifyFirst, p.Approval, row.verifyFirst, row.accept == "pending")
			}
			j, err := u.AcceptInvitation(ctx, inv.Code)
			got := j.Status
			if err != nil {
				got = code(err)
			}
			if got != row.accept {
				t.Fatalf("accept: %s (%v), want %s", got, err, row.accept)
			}
			switch row.accept {
			case "active":
				if j.Member.ID != inv.MemberID || j.Member.Name != "Future Person" {
					t.Errorf("accepting did not take up the invited member: %+v", j.Member)
				}
				must(u.Departments(ctx, oid))
			case "pending":
				if _, err := u.Org(ctx, oid); code(err) != "not_found" {
					t.Errorf("a pending member sees the organisation: %v", err)
				}
				if _, err := u.Departments(ctx, oid); code(err) != "not_found" {
					t.Errorf("a pending member sees the departments: %v", err)
				}
				reqs := must(owner.JoinRequests(ctx, oid))
				if len(reqs) != 1 || reqs[0].ID != inv.MemberID {
					t.Fatalf("join requests: %+v", reqs)
				}
				ok(t, owner.ApproveRequest(ctx, oid, string(inv.MemberID)))
				must(u.Departments(ctx, oid))
			default:
				if _, err := u.Org(ctx, oid); code(err) != "not_found" {
					t.Errorf("a refused caller sees the organisation: %v", err)
				}
				if reqs := must(owner.JoinRequests(ctx, oid)); len(reqs) != 0 {
					t.Errorf("a refused accept left a join request: %+v", reqs)
				}
				// Refused, not used up: the real person can still take it.
				if p := must(owner.PreviewInvitation(ctx, inv.Code)); p.Code != inv.Code {
					t.Errorf("invitation gone after a refused accept")
				}
			}
		})
	}
}

// TestDeclinedClaimInvitesAgain: without SMTP, a squatter who accepts an
// addressed invitation only asks to join; declining gives the place back
// under a new code, and the old code stops working.
func TestDeclinedClaimInvitesAgain(t *testing.T) {
	srv := newServer(t)
	owner := srv.NewUser(t, "Olga Owner")
	o := must(owner.CreateOrg(ctx, "Acme", ""))
	oid := string(o.ID)
	inv := must(owner.CreateInvitation(ctx, oid, map[string]any{"email": "future@acme.example", "name": "Future Person"}))

	squatter := client.New(srv.URL)
	must(squatter.Register(ctx, "FUTURE@acme.example", "correct horse battery", "Squatter"))
	if j := must(squatter.AcceptInvitation(ctx, inv.Code)); j.Status != "pending" {
		t.Fatalf("squatter's accept: %s, want pending", j.Status)
	}
	ok(t, owner.DeclineRequest(ctx, oid, string(inv.MemberID)))
	if _, err := squatter.Org(ctx, oid); code(err) != "not_found" {
		t.Errorf("declined squatter sees the organisation: %v", err)
	}
	m := must(owner.OrgMember(ctx, oid, string(inv.MemberID)))
	if m.Status != "invited" || m.UserID != "" {
		t.Fatalf("after decline the member is %s (user %q), want invited again", m.Status, m.UserID)
	}
	var again string
	for _, x := range must(owner.Invitations(ctx, oid)) {
		switch {
		case x.Code == inv.Code && !x.Revoked:
			t.Errorf("the declined code still works")
		case x.Code != inv.Code && x.MemberID == inv.MemberID && !x.Revoked:
			again = x.Code
		}
	}
	if again == "" {
		t.Fatal("no new invitation for the member")
	}
	if _, err := squatter.AcceptInvitation(ctx, inv.Code); code(err) != "not_found" {
		t.Errorf("old code after decline: %v", err)
	}
	real := client.New(srv.URL)
	must(real.Register(ctx, "someone.else@acme.example", "correct horse battery", "Real Person"))
	if j := must(real.AcceptInvitation(ctx, again)); j.Status != "pending" || j.Member.ID != inv.MemberID {
		t.Fatalf("new code: %s %s", j.Status, j.Member.ID)
	}
	ok(t, owner.ApproveRequest(ctx, oid, string(inv.MemberID)))
	must(real.Departments(ctx, oid))
}

package org_test

import (
	"context"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
)

// unitOrg is an organisation on a unit-level service, made by the first of
// users (its owner), with ways to act as each user and to add them.
type unitOrg struct {
	t     *testing.T
	svc   *org.Service
	users []tack.ID
	org.Org
	owner org.Member
}

func newUnitOrg(t *testing.T, svc *org.Service, users []tack.ID, name string) *unitOrg {
	t.Helper()
	u := &unitOrg{t: t, svc: svc, users: users}
	o, owner, err := svc.Create(u.as(0), name, "Asia/Shanghai", "")
	if err != nil {
		t.Fatal(err)
	}
	u.Org, u.owner = o, owner
	return u
}

// as is the context of users[i].
func (u *unitOrg) as(i int) context.Context {
	return tack.WithCaller(context.Background(), tack.Caller{UserID: u.users[i]})
}

// join has the owner invite users[i] (into depts) and them accept; it
// returns their member record.
func (u *unitOrg) join(i int, depts ...tack.ID) org.Member {
	u.t.Helper()
	inv, err := u.svc.Invite(u.as(0), u.ID, org.InvitationInput{Departments: depts})
	if err != nil {
		u.t.Fatal(err)
	}
	_, m, err := u.svc.Accept(u.as(i), inv.Code)
	if err != nil {
		u.t.Fatal(err)
	}
	return m
}

// dept has the owner make a top-level department.
func (u *unitOrg) dept(name string) org.Department {
	u.t.Helper()
	d, err := u.svc.CreateDepartment(u.as(0), u.ID, "", name)
	if err != nil {
		u.t.Fatal(err)
	}
	return d
}

// group has users[i] make the organisation group of department d.
func (u *unitOrg) group(i int, d tack.ID) org.Group {
	u.t.Helper()
	g, err := u.svc.CreateGroup(u.as(i), u.ID, d, "")
	if err != nil {
		u.t.Fatal(err)
	}
	return g
}

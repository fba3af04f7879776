package org

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// Finding people to talk to. A picker ("new chat", "add to group") and
// GET /api/v1/users?q= want everyone the caller may find and message:
// colleagues of the caller's organisations (as the directory shows them to
// the caller: hidden departments, own-department-only and hidden fields
// apply), friends, and the caller's external contacts who have an account.
// All of them are found by name as written, full pinyin or initials
// ("ww" finds 王五), and colleagues also by the fields the caller may
// search the directory by.

// Person is someone the caller may find and message.
type Person struct {
	UserID tack.ID
	Name   string
	// Title is the colleague's job title as the caller may see it.
	Title string
	// OrgName is the organisation the caller shares with a colleague, or
	// the company of an external contact.
	OrgName string
	// Relation is "colleague", "friend" or "contact".
	Relation string
}

// MaxPeople bounds one People answer.
const MaxPeople = 100

// maxPeopleOrgs bounds how many of the caller's organisations one search
// looks through.
const maxPeopleOrgs = 20

// loginFinder is what People needs of the account store to tell whether
// an external contact's email or phone is someone's login. The account
// stores implement it; without it, contacts are not searched.
type loginFinder interface {
	UserByLogin(ctx context.Context, login string) (u account.User, passwordHash string, err error)
}

// matchTerms reports whether every term prefixes one of keys.
func matchTerms(terms []string, keys []Key) bool {
	for _, t := range terms {
		found := false
		for _, k := range keys {
			if strings.HasPrefix(k.Text, t) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// People finds colleagues, friends and external contacts with an account
// whose name (or, for colleagues, another searchable field) starts with
// each word of q; an empty q lists the first of them. Colleagues come
// first, in directory order; nobody comes twice, nor the caller, nor anyone
// blocked either way.
func (s *Service) People(ctx context.Context, q string, limit int) ([]Person, error) {
	uid, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	if utf8.RuneCountInString(q) > 100 {
		return nil, tack.Invalid("q", "q is longer than 100 characters")
	}
	if limit == 0 {
		limit = DefaultPageSize
	}
	if limit < 1 || limit > MaxPeople {
		return nil, tack.Invalid("limit", "limit must be between 1 and %d", MaxPeople)
	}
	terms := queryTerms(q)
	var out []Person
	seen := map[tack.ID]bool{uid: true}
	add := func(p Person) {
		if p.UserID == "" || seen[p.UserID] {
			return
		}
		seen[p.UserID] = true
		out = append(out, p)
	}

	orgs, mems, err := s.store.OrgsOf(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	var active []Org
	for i, o := range orgs {
		if mems[i].Status == Active && len(active) < maxPeopleOrgs {
			active = append(active, o)
		}
	}
	// Colleagues: the directory search of each organisation, as the caller
	// may see it.
	for _, o := range active {
		p, err := s.Search(ctx, o.ID, Query{Text: q, Status: Active, Limit: min(limit+1, MaxPageSize)})
		if tack.ErrorCode(err) == tack.ENotFound || tack.ErrorCode(err) == tack.EForbidden {
			continue // left or suspended meanwhile
		} else if err != nil {
			return nil, fmt.Errorf("people: %w", err)
		}
		for _, m := range p.Members {
			add(Person{UserID: m.UserID, Name: m.Name, Title: m.Title, OrgName: o.Name, Relation: "colleague"})
		}
	}

	// Friends, by name.
	rs, err := s.store.Relations(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("people: %w", err)
	}
	var friends []tack.ID
	for _, r := range rs {
		if r.UserID == uid && r.State == Friend && !seen[r.OtherID] {
			friends = append(friends, r.OtherID)
		}
	}
	if len(friends) > 0 {
		us, err := s.users.Users(ctx, friends)
		if err != nil {
			return nil, fmt.Errorf("people: %w", err)
		}
		slices.SortFunc(us, func(a, b account.User) int { return strings.Compare(sortKey(a.Name), sortKey(b.Name)) })
		for _, u := range us {
			if matchTerms(terms, nameKeys(u.Name)) {
				add(Person{UserID: u.ID, Name: u.Name, Relation: "friend"})
			}
		}
	}

	// External contacts (the caller's own and those shared with them) whose
	// email or phone is someone's login.
	if lf, ok := s.users.(loginFinder); ok {
		for _, o := range active {
			cs, err := s.store.Contacts(ctx, o.ID, uid, "", "", MaxPageSize)
			if err != nil {
				return nil, fmt.Errorf("people: %w", err)
			}
			for _, c := range cs {
				if len(out) > limit {
					break
				}
				if !matchTerms(terms, nameKeys(c.Name)) {
					continue
				}
				for _, login := range []string{c.Email, c.Phone} {
					if login == "" {
						continue
					}
					if n, err := account.NormalizeLogin(login); err == nil {
						login = n
					}
					u, _, err := lf.UserByLogin(ctx, login)
					if errors.Is(err, tack.ErrNotFound) {
						continue
					} else if err != nil {
						return nil, fmt.Errorf("people: %w", err)
					}
					add(Person{UserID: u.ID, Name: c.Name, OrgName: c.Company, Relation: "contact"})
					break
				}
			}
		}
	}

	// Nobody blocked, either way.
	if len(out) > 0 {
		ids := make([]tack.ID, len(out))
		for i, p := range out {
			ids[i] = p.UserID
		}
		rs, err := s.store.RelationsAmong(ctx, uid, ids)
		if err != nil {
			return nil, fmt.Errorf("people: %w", err)
		}
		blocked := map[tack.ID]bool{}
		for _, r := range rs {
			if r.State == Blocked {
				blocked[r.UserID], blocked[r.OtherID] = true, true
			}
		}
		out = slices.DeleteFunc(out, func(p Person) bool { return blocked[p.UserID] })
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

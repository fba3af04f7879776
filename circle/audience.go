package circle

import (
	"slices"

	"github.com/tackhq/tack"
)

// viewer is what decides what one person may see: their friends, whom
// they block or are blocked by, their organisations, and the active
// organisations of the people on the page (filled as needed).
type viewer struct {
	me      tack.ID
	friend  map[tack.ID]bool
	blocked map[tack.ID]bool
	orgs    map[tack.ID]bool
	// orgsOf holds the active organisations of people met on the page.
	orgsOf map[tack.ID][]tack.ID
}

func newViewer(me tack.ID, friends, blocked, orgs []tack.ID) *viewer {
	v := &viewer{me: me, friend: map[tack.ID]bool{}, blocked: map[tack.ID]bool{}, orgs: map[tack.ID]bool{}, orgsOf: map[tack.ID][]tack.ID{}}
	for _, id := range friends {
		v.friend[id] = true
	}
	for _, id := range blocked {
		v.blocked[id] = true
		delete(v.friend, id)
	}
	for _, id := range orgs {
		v.orgs[id] = true
	}
	v.orgsOf[me] = orgs
	return v
}

// colleagueIn reports whether id is an active member of orgID and so is
// the viewer (orgsOf must hold id).
func (v *viewer) colleagueIn(orgID, id tack.ID) bool {
	return orgID != "" && v.orgs[orgID] && slices.Contains(v.orgsOf[id], orgID)
}

// mayView is the audience rule: the author always; nobody across a block;
// friends as the audience type says; a colleague circle's active members
// while the author is one too (leaving an organisation leaves its circle).
func (v *viewer) mayView(m Moment) bool {
	a := m.AuthorID
	if a == v.me {
		return true
	}
	if v.blocked[a] {
		return false
	}
	switch m.Audience.Type {
	case Friends:
		return v.friend[a]
	case Only:
		return v.friend[a] && slices.Contains(m.Audience.UserIDs, v.me)
	case Except:
		return v.friend[a] && !slices.Contains(m.Audience.UserIDs, v.me)
	case Colleagues:
		return v.colleagueIn(m.Audience.OrgID, a)
	}
	return false // Private, and anything unknown
}

// seesPerson is WeChat's rule for likes and comments under m (which the
// viewer may see): the viewer sees their own, the author's, and those of
// people they are themselves friends with (or, in a colleague circle,
// colleagues in it); the author sees everyone's. Never across a block.
func (v *viewer) seesPerson(m Moment, id tack.ID) bool {
	if id == v.me {
		return true
	}
	if v.blocked[id] {
		return false
	}
	if id == m.AuthorID || v.me == m.AuthorID || v.friend[id] {
		return true
	}
	return m.Audience.Type == Colleagues && v.colleagueIn(m.Audience.OrgID, id)
}

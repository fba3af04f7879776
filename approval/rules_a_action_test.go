package approval

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/org"
)

var errRAMoved = tack.Errorf(tack.EConflict, "moved meanwhile")

// raConflicts makes the next n writes fail with a conflict (then: stop,
// a plain error, so that a retry that never ends shows).
func raConflicts(st *raStore, n int) {
	base := st.applied()
	st.failApply = func(k int) error {
		switch {
		case k-base <= n:
			return errRAMoved
		case n >= maxAttempts && k-base > n:
			return errors.New("written after giving up")
		}
		return nil
	}
}

// TestCommentLimits: a comment is at most MaxCommentRunes characters (after
// trimming), names at most MaxMentions people (each counted as named), and
// its client ID is at most 64 bytes.
func TestCommentLimits(t *testing.T) {
	if got, err := validComment("  " + strings.Repeat("评", MaxCommentRunes) + "\n"); err != nil || got != strings.Repeat("评", MaxCommentRunes) {
		t.Errorf("%d characters: %v", MaxCommentRunes, err)
	}
	if _, err := validComment(strings.Repeat("评", MaxCommentRunes+1)); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("%d characters: %v", MaxCommentRunes+1, err)
	}
	st := newRAStore()
	s, d := raService(st)
	v, err := raSubmit(s, d, `{"title":"Laptop","content":"A new one"}`, map[string][]tack.ID{"chosen": {mid("dora")}})
	if err != nil {
		t.Fatal(err)
	}
	comment := func(in ActionInput) error {
		_, err := s.Act(raAs("rita"), d.org, v.ID, ActComment, in)
		return err
	}
	names := slices.Repeat([]tack.ID{mid("dora")}, MaxMentions)
	if err := comment(ActionInput{Comment: "look", Mentions: names}); err != nil {
		t.Errorf("%d mentions: %v", MaxMentions, err)
	}
	if err := comment(ActionInput{Comment: "look", Mentions: append(names, mid("vic"))}); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("%d mentions: %v", MaxMentions+1, err)
	}
	if err := comment(ActionInput{Comment: "look", ClientID: strings.Repeat("k", 64)}); err != nil {
		t.Errorf("a client ID of 64 bytes: %v", err)
	}
	if err := comment(ActionInput{Comment: "look", ClientID: strings.Repeat("k", 65)}); tack.ErrorCode(err) != tack.EInvalid {
		t.Errorf("a client ID of 65 bytes: %v", err)
	}
}

// TestActRetriesConflicts: an action whose write meets a concurrent change
// looks again and writes, up to maxAttempts writes, then answers the
// conflict.
func TestActRetriesConflicts(t *testing.T) {
	st := newRAStore()
	s, d := raService(st)
	v, err := raSubmit(s, d, `{"title":"Laptop","content":"A new one"}`, map[string][]tack.ID{"chosen": {mid("dora")}})
	if err != nil {
		t.Fatal(err)
	}
	base := st.applied()
	raConflicts(st, 1)
	got, err := s.Act(raAs("dora"), d.org, v.ID, ActApprove, ActionInput{})
	if err != nil || got.Status != Approved {
		t.Fatalf("approve after one conflict: %v, %v", got.Status, err)
	}
	if n := st.applied() - base; n != 2 {
		t.Errorf("%d writes, want 2", n)
	}

	v, err = raSubmit(s, d, `{"title":"Phone","content":"A new one"}`, map[string][]tack.ID{"chosen": {mid("dora")}})
	if err != nil {
		t.Fatal(err)
	}
	base = st.applied()
	raConflicts(st, maxAttempts)
	if _, err := s.Act(raAs("dora"), d.org, v.ID, ActApprove, ActionInput{}); !errors.Is(err, errRAMoved) {
		t.Errorf("approve against conflicts only: %v, want the conflict", err)
	}
	if n := st.applied() - base; n != maxAttempts {
		t.Errorf("%d writes, want %d", n, maxAttempts)
	}
}

// raAnnounceWorld is an approved request of rita's, who is in Sales, whose
// group is salesgroup.
func raAnnounceWorld(t *testing.T, kind string) (*Service, *raStore, *raDir, *raChats, *raEvents, tack.ID) {
	st := newRAStore()
	s, d := raService(st)
	ch, ev := &raChats{}, &raEvents{}
	s.chats, s.events = ch, ev
	d.groups = []org.Group{{ConversationID: id("engroup"), DepartmentID: id("deng")}, {ConversationID: id("salesgroup"), DepartmentID: id("dsales")}}
	in := Instance{ID: id("inst" + kind), OrgID: d.org, Template: kind, TemplateVersion: 1, TemplateName: kind, Kind: kind, OriginatorID: uid("rita"),
		Status: Approved, Steps: []Step{step(ModeAny, "dora")}, Current: 1, Pending: []tack.ID{}, CC: []tack.ID{},
		Span: &Span{Start: raNow.Add(24 * time.Hour), End: raNow.Add(72 * time.Hour)}, CreatedAt: raNow, UpdatedAt: raNow}
	if kind == KindLeave {
		in.Leave = &LeaveInfo{Type: "annual", Name: "年假", Unit: leave.UnitDay, Amount: 150, FromDate: "2026-03-05", ToDate: "2026-03-06"}
	}
	st.put(in)
	return s, st, d, ch, ev, in.ID
}

// TestAnnounceTrips: approved trips are announced like leave, in the
// originator's department group, once, with the change told live.
func TestAnnounceTrips(t *testing.T) {
	s, st, d, ch, ev, inst := raAnnounceWorld(t, KindTrip)
	v, err := s.Announce(raAs("rita"), d.org, inst)
	if err != nil || !v.Announced {
		t.Fatalf("announce a trip: %v", err)
	}
	if want := []string{string(id("salesgroup")) + ": 我出差 3月5日 09:00 至 3月7日 09:00 不在。"}; !slices.Equal(ch.sent, want) {
		t.Errorf("sent %q, want %q", ch.sent, want)
	}
	if st.applied() != 1 || ev.count() != 1 {
		t.Errorf("%d writes, %d live events; want 1 and 1", st.applied(), ev.count())
	}
	if _, err := s.Announce(raAs("rita"), d.org, inst); err != nil || st.applied() != 1 || len(ch.sent) != 1 {
		t.Errorf("announce again: %v, %d writes, %d sent", err, st.applied(), len(ch.sent))
	}

	s, _, d, ch, _, inst = raAnnounceWorld(t, KindLeave)
	if _, err := s.Announce(raAs("rita"), d.org, inst); err != nil {
		t.Fatal(err)
	}
	if want := []string{string(id("salesgroup")) + ": 我请了年假（1.5天），2026-03-05 至 2026-03-06 不在。"}; !slices.Equal(ch.sent, want) {
		t.Errorf("sent %q, want %q", ch.sent, want)
	}

	s, st, d, _, _, inst = raAnnounceWorld(t, KindGeneral)
	if _, err := s.Announce(raAs("rita"), d.org, inst); tack.ErrorCode(err) != tack.EConflict || st.applied() != 0 {
		t.Errorf("announce a general request: %v", err)
	}
}

// TestAnnounceRetriesConflicts: like actions, an announcement written
// against a concurrent change looks again, up to maxAttempts writes.
func TestAnnounceRetriesConflicts(t *testing.T) {
	s, st, d, _, _, inst := raAnnounceWorld(t, KindLeave)
	raConflicts(st, 1)
	if v, err := s.Announce(raAs("rita"), d.org, inst); err != nil || !v.Announced || st.applied() != 2 {
		t.Errorf("announce after a conflict: %v, %d writes", err, st.applied())
	}
	s, st, d, _, _, inst = raAnnounceWorld(t, KindLeave)
	raConflicts(st, maxAttempts)
	if _, err := s.Announce(raAs("rita"), d.org, inst); !errors.Is(err, errRAMoved) || st.applied() != maxAttempts {
		t.Errorf("announce against conflicts only: %v, %d writes, want the conflict after %d", err, st.applied(), maxAttempts)
	}
}

// TestApproverAlreadyInStep: one cannot transfer to, or add, someone who
// still has to act in the step (pending or waiting); someone who acted
// already may be asked again.
func TestApproverAlreadyInStep(t *testing.T) {
	s, d := raService(newRAStore())
	ctx := context.Background()
	try := func(r *engineRun, who, kind, other, position string) error {
		c := newChange(r.in, r.tasks, false, raNow)
		var notes []notice
		_, err := s.apply(ctx, raActor(d.dir, who), c, kind, ActionInput{Position: position}, uid(other), nil, &notes)
		return err
	}
	all := newRun(t, false, step(ModeAll, "dora", "vic"))
	if err := try(all, "dora", ActTransfer, "vic", "after"); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("transfer to a pending co-approver: %v", err)
	}
	seq := newRun(t, false, step(ModeSequential, "dora", "vic"))
	if err := try(seq, "dora", "add", "vic", "before"); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("add a waiting approver: %v", err)
	}
	all.do("vic", "approve")
	if err := try(all, "dora", "add", "vic", "after"); err != nil {
		t.Errorf("add someone who approved already: %v", err)
	}
}

// TestCommentAndUrgeNotices: a comment tells the people it names (not the
// commenter); an urge tells the pending approvers, at most every
// UrgeEvery.
func TestCommentAndUrgeNotices(t *testing.T) {
	s, d := raService(newRAStore())
	ctx := context.Background()
	in := func(pending ...string) *Instance {
		x := &Instance{ID: id("inst"), OrgID: d.org, OriginatorID: uid("rita"), Title: "Laptop", Status: Running, Steps: []Step{step(ModeAny, "dora")}, CC: []tack.ID{}}
		for _, p := range pending {
			x.Pending = append(x.Pending, uid(p))
		}
		return x
	}
	do := func(x *Instance, now time.Time, kind string, comment string, mentions ...tack.ID) ([]notice, error) {
		var notes []notice
		_, err := s.apply(ctx, raActor(d.dir, "rita"), newChange(x, nil, false, now), kind, ActionInput{Comment: comment}, "", mentions, &notes)
		return notes, err
	}
	notes, err := do(in("dora"), raNow, ActComment, "look", uid("dora"), uid("rita"))
	if err != nil || len(notes) != 1 || !slices.Equal(notes[0].Users, []tack.ID{uid("dora")}) || notes[0].Preview != "look" {
		t.Errorf("a comment naming dora and rita told %+v (%v)", notes, err)
	}
	if notes, err := do(in("dora"), raNow, ActComment, "note to self", uid("rita")); err != nil || len(notes) != 0 {
		t.Errorf("a comment naming only its writer told %+v (%v)", notes, err)
	}

	urged := raNow.Add(-UrgeEvery)
	x := in("dora", "vic")
	x.UrgedAt = &urged
	notes, err = do(x, raNow, ActUrge, "")
	if err != nil || len(notes) != 1 || !slices.Equal(notes[0].Users, []tack.ID{uid("dora"), uid("vic")}) {
		t.Errorf("urging %s after the last: %+v (%v)", UrgeEvery, notes, err)
	}
	x = in("dora")
	x.UrgedAt = &urged
	if _, err := do(x, raNow.Add(-time.Second), ActUrge, ""); tack.ErrorCode(err) != tack.ERateLimited {
		t.Errorf("urging a second early: %v", err)
	}
	if notes, err := do(in(), raNow, ActUrge, ""); err != nil || len(notes) != 0 {
		t.Errorf("urging with nobody pending told %+v (%v)", notes, err)
	}
}

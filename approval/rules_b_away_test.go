package approval

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// TestAwayStatusPrefersTripsThenLonger: someone both on leave and on a
// trip shows the trip, whichever comes first and however long the leave;
// of two leaves the one that ends later shows.
func TestAwayStatusPrefersTripsThenLonger(t *testing.T) {
	now := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	ctx := tack.WithCaller(context.Background(), tack.Caller{UserID: uid("boss")})
	away := func(kind string, days int) Away {
		return Away{OrgID: id("org"), UserID: uid("rita"), InstanceID: tack.NewID(), Kind: kind, Start: now.Add(-time.Hour),
			End: now.Add(time.Duration(days) * 24 * time.Hour)}
	}
	for _, c := range []struct {
		name  string
		aways []Away
		want  string
		days  int
	}{
		{"leave, then a shorter trip", []Away{away(KindLeave, 5), away(KindTrip, 2)}, KindTrip, 2},
		{"a trip, then longer leave", []Away{away(KindTrip, 2), away(KindLeave, 5)}, KindTrip, 2},
		{"two leaves, the longer last", []Away{away(KindLeave, 2), away(KindLeave, 5)}, KindLeave, 5},
		{"two leaves, the longer first", []Away{away(KindLeave, 5), away(KindLeave, 2)}, KindLeave, 5},
	} {
		s, st, _ := rbService(now)
		st.aways = c.aways
		got, err := s.Statuses(ctx, []tack.ID{uid("rita")})
		if err != nil {
			t.Fatal(err)
		}
		g := got[uid("rita")]
		if g.Kind != c.want || !g.Until.Equal(now.Add(time.Duration(c.days)*24*time.Hour)) || g.Label != labels[c.want] {
			t.Errorf("%s: %+v, want %s for %d days", c.name, g, c.want, c.days)
		}
	}
}

// TestReplyingOnlyWithSomeoneToAnswerFor: Replying is false when nobody
// on leave asked for automatic replies, true once somebody did.
func TestReplyingOnlyWithSomeoneToAnswerFor(t *testing.T) {
	now := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	s, st, _ := rbService(now)
	if s.Replying() {
		t.Error("replying before any refresh")
	}
	st.aways = []Away{{OrgID: id("org"), UserID: uid("rita"), Kind: KindLeave, Start: now.Add(-time.Hour), End: now.Add(time.Hour)}}
	s.refreshReplying(context.Background())
	if s.Replying() {
		t.Error("replying with nobody asking for replies")
	}
	st.aways[0].AutoReply = true
	s.refreshReplying(context.Background())
	if !s.Replying() {
		t.Error("not replying when somebody asked for replies")
	}
}

// TestOnlyTextMessagesAreAnswered: text messages are queued for an
// automatic reply when the bot can reply; other messages, or no chats,
// are not.
func TestOnlyTextMessagesAreAnswered(t *testing.T) {
	now := time.Date(2026, 3, 4, 1, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		kind  string
		chats bool
		want  int
	}{{"text", true, 1}, {"image", true, 0}, {"text", false, 0}, {"file", false, 0}} {
		s, _, _ := rbService(now)
		if c.chats {
			s.chats = &rbChats{}
		}
		s.HandleMessage(id("conv"), uid("vic"), c.kind)
		if len(s.replies) != c.want {
			t.Errorf("%s (chats %v): %d queued, want %d", c.kind, c.chats, len(s.replies), c.want)
		}
	}
}

// TestAutoReplyText: the reply says when the person is back: leave ending
// at midnight ends the day before; a trip says when it ends; a failed
// reply is logged, a sent one is not.
func TestAutoReplyText(t *testing.T) {
	loc, _ := time.LoadLocation("Asia/Shanghai")
	now := time.Date(2026, 3, 4, 10, 0, 0, 0, loc)
	for _, c := range []struct {
		name string
		kind string
		end  time.Time
		err  error
		want string
	}{
		{"leave to midnight", KindLeave, time.Date(2026, 3, 6, 0, 0, 0, 0, loc), nil, "【自动回复】rita休假中，3月5日回来。"},
		{"leave to the evening", KindLeave, time.Date(2026, 3, 6, 18, 0, 0, 0, loc), nil, "【自动回复】rita休假中，3月6日回来。"},
		{"leave to a minute past midnight", KindLeave, time.Date(2026, 3, 6, 0, 1, 0, 0, loc), nil, "【自动回复】rita休假中，3月6日回来。"},
		{"a trip to midnight", KindTrip, time.Date(2026, 3, 6, 0, 0, 0, 0, loc), nil, "【自动回复】rita出差中，3月5日结束。"},
		{"the reply fails", KindTrip, time.Date(2026, 3, 6, 0, 0, 0, 0, loc), errors.New("chat down"), "【自动回复】rita出差中，3月5日结束。"},
	} {
		s, st, lb := rbService(now)
		ch := &rbChats{peer: uid("rita"), replyErr: c.err}
		s.chats = ch
		st.aways = []Away{{OrgID: id("org"), UserID: uid("rita"), InstanceID: id("inst"), Kind: c.kind, Start: now.Add(-time.Hour), End: c.end, AutoReply: true}}
		s.refreshReplying(context.Background())
		s.reply(context.Background(), replyJob{convID: id("conv"), sender: uid("vic"), at: now})
		if strings.Join(ch.replies, "|") != c.want {
			t.Errorf("%s: replied %q, want %q", c.name, ch.replies, c.want)
		}
		if logged := strings.Contains(lb.String(), "auto reply"); logged != (c.err != nil) {
			t.Errorf("%s: logged %q", c.name, lb.String())
		}
	}
}

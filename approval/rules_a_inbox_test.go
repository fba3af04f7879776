package approval

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
)

// TestBoxPages: a box reads in pages of 1 to MaxPage (DefaultPage when not
// said), newest first; a page has a next cursor only when more follow, and
// the cursor reads on where the page ended.
func TestBoxPages(t *testing.T) {
	st := newRAStore()
	s, d := raService(st)
	ctx := raAs("rita")
	var want []tack.ID
	for i := 3; i >= 1; i-- {
		in := Instance{ID: id(fmt.Sprintf("inst%d", i)), OrgID: d.org, OriginatorID: uid("rita"), Status: Running, Title: fmt.Sprint(i)}
		st.put(in)
		st.entries = append(st.entries, Entry{UserID: uid("rita"), OrgID: d.org, Box: BoxMine, InstanceID: in.ID, At: raNow.Add(time.Duration(i) * time.Minute)})
		want = append(want, in.ID)
	}
	page := func(cursor string, limit int) Page {
		t.Helper()
		p, err := s.Box(ctx, d.org, BoxMine, cursor, limit)
		if err != nil {
			t.Fatalf("page of %d after %q: %v", limit, cursor, err)
		}
		return p
	}
	ids := func(p Page) []tack.ID {
		var out []tack.ID
		for _, a := range p.Approvals {
			out = append(out, a.ID)
		}
		return out
	}
	p := page("", 1)
	if !slices.Equal(ids(p), want[:1]) || p.Next == "" {
		t.Fatalf("first page of 1: %v, next %q", ids(p), p.Next)
	}
	p = page(p.Next, 1)
	if !slices.Equal(ids(p), want[1:2]) || p.Next == "" {
		t.Errorf("second page of 1: %v, next %q", ids(p), p.Next)
	}
	if c := st.boxAfter[1]; c == nil || !c.At.Equal(raNow.Add(3*time.Minute)) || c.InstanceID != want[0] {
		t.Errorf("the cursor read as %+v", c)
	}
	p = page(p.Next, 2)
	if !slices.Equal(ids(p), want[2:]) || p.Next != "" {
		t.Errorf("the last page: %v, next %q", ids(p), p.Next)
	}
	if p = page("", 3); !slices.Equal(ids(p), want) || p.Next != "" {
		t.Errorf("a page of exactly all: %v, next %q", ids(p), p.Next)
	}
	if p = page("", MaxPage); !slices.Equal(ids(p), want) {
		t.Errorf("a page of %d: %v", MaxPage, ids(p))
	}
	page("", 0)
	if got := st.boxLimits[len(st.boxLimits)-1]; got != DefaultPage+1 {
		t.Errorf("a page of the default size asks the store for %d", got)
	}
	for _, bad := range []int{-1, MaxPage + 1} {
		if _, err := s.Box(ctx, d.org, BoxMine, "", bad); tack.ErrorCode(err) != tack.EInvalid {
			t.Errorf("a page of %d: %v", bad, err)
		}
	}
	for _, bad := range []string{"!!", "MTIz", encodeCursor(Cursor{At: raNow, InstanceID: "nope"})} {
		if _, err := s.Box(ctx, d.org, BoxMine, bad, 1); tack.ErrorCode(err) != tack.EInvalid {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
}

// TestBoxCounts: the workbench counts pending and CC'd approvals.
func TestBoxCounts(t *testing.T) {
	st := newRAStore()
	s, d := raService(st)
	st.counts[BoxPending], st.counts[BoxCC] = 2, 3
	if c, err := s.Count(raAs("rita"), d.org); err != nil || c != (Counts{Pending: 2, CC: 3}) {
		t.Errorf("counts %+v, %v", c, err)
	}
}

// TestCallerAsMember: the caller acts as the member whose user ID they
// are; a directory answering someone else is no membership, a directory
// failure is not "no such organisation".
func TestCallerAsMember(t *testing.T) {
	s, d := raService(newRAStore())
	if a, err := s.actor(raAs("rita"), d.org); err != nil || a.me.UserID != uid("rita") {
		t.Fatalf("rita: %v", err)
	}
	ctx := tack.WithCaller(context.Background(), tack.Caller{UserID: mid("rita")}) // her member ID, not a user ID
	if _, err := s.actor(ctx, d.org); !errors.Is(err, errNoOrg) {
		t.Errorf("a member ID as the caller: %v", err)
	}
	down := errors.New("directory down")
	d.memberErr = down
	if _, err := s.actor(raAs("rita"), d.org); !errors.Is(err, down) || tack.ErrorCode(err) == tack.ENotFound {
		t.Errorf("directory down: %v", err)
	}
}

// TestAttachmentRules: a request carries at most MaxSelected files; whoever
// may read a request may read a file attached to it.
func TestAttachmentRules(t *testing.T) {
	st := newRAStore()
	s, d := raService(st)
	s.files = raFiles{}
	fields := []Field{{Key: "files", Type: FieldAttachment}}
	var fs []string
	for i := range MaxSelected + 1 {
		fs = append(fs, string(id(fmt.Sprintf("f%dz", i))))
	}
	got, err := s.attachments(context.Background(), fields, map[string]any{"files": fs[:MaxSelected]})
	if err != nil || len(got) != MaxSelected {
		t.Errorf("%d files: %d, %v", MaxSelected, len(got), err)
	}
	var e *tack.Error
	if _, err := s.attachments(context.Background(), fields, map[string]any{"files": fs}); !errors.As(err, &e) || e.Code != tack.EInvalid || e.Field != "form.files" {
		t.Errorf("%d files: %v", MaxSelected+1, err)
	}

	file := id("file")
	st.put(Instance{ID: id("inst"), OrgID: d.org, OriginatorID: uid("rita"), Status: Running, Attachments: []chat.Attachment{{ID: file}}})
	st.refs = []FileRef{{OrgID: d.org, InstanceID: id("inst")}}
	if ok, err := s.CanReadFile(context.Background(), file, uid("rita")); !ok || err != nil {
		t.Errorf("the originator reads the request's only file: %v, %v", ok, err)
	}
	if ok, err := s.CanReadFile(context.Background(), file, uid("eve")); ok || err != nil {
		t.Errorf("someone else reads it: %v, %v", ok, err)
	}
}

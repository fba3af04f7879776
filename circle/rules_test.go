package circle

import (
	"slices"
	"strings"
	"testing"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/chat"
)

// TestAudienceMatrix: for each audience type × viewer relation, the
// audience rule answers as specified.
func TestAudienceMatrix(t *testing.T) {
	author, friend, tagged, excluded, colleague, stranger, blocked := tack.NewID(), tack.NewID(), tack.NewID(), tack.NewID(), tack.NewID(), tack.NewID(), tack.NewID()
	org := tack.NewID()
	friendsOf := []tack.ID{friend, tagged, excluded}
	// the viewer's view of the world
	viewerFor := func(me tack.ID) *viewer {
		var fs, bl, orgs []tack.ID
		switch me {
		case friend, tagged, excluded:
			fs = []tack.ID{author}
		case colleague:
			orgs = []tack.ID{org}
		case blocked:
			fs = []tack.ID{author}
			bl = []tack.ID{author}
			orgs = []tack.ID{org}
		case author:
			fs, orgs = friendsOf, []tack.ID{org}
		}
		v := newViewer(me, fs, bl, orgs)
		v.orgsOf[author] = []tack.ID{org}
		return v
	}
	auds := map[string]Audience{
		Friends:    {Type: Friends},
		Only:       {Type: Only, UserIDs: []tack.ID{tagged}},
		Except:     {Type: Except, UserIDs: []tack.ID{excluded}},
		Private:    {Type: Private},
		Colleagues: {Type: Colleagues, OrgID: org},
	}
	who := map[string]tack.ID{"author": author, "friend": friend, "tagged": tagged, "excluded": excluded, "colleague": colleague, "stranger": stranger, "blocked": blocked}
	want := map[string]string{ // audience → who sees it
		Friends:    "author friend tagged excluded",
		Only:       "author tagged",
		Except:     "author friend tagged",
		Private:    "author",
		Colleagues: "author colleague",
	}
	for typ, aud := range auds {
		for name, id := range who {
			m := Moment{ID: tack.NewID(), AuthorID: author, Audience: aud, Files: []chat.Attachment{}}
			got := viewerFor(id).mayView(m)
			exp := containsWord(want[typ], name)
			if got != exp {
				t.Errorf("%s audience, %s viewer: mayView = %v, want %v", typ, name, got, exp)
			}
		}
	}
	// An author who left the organisation leaves its circle.
	v := viewerFor(colleague)
	v.orgsOf[author] = nil
	if v.mayView(Moment{AuthorID: author, Audience: auds[Colleagues]}) {
		t.Error("a colleague circle moment outlived its author's membership")
	}
}

func containsWord(list, w string) bool { return slices.Contains(strings.Fields(list), w) }

// TestCommentRule: each viewer sees the likes and comments of themselves,
// the author, and their own friends; the author sees all; a block hides
// both ways.
func TestCommentRule(t *testing.T) {
	author, a, b, c := tack.NewID(), tack.NewID(), tack.NewID(), tack.NewID()
	m := Moment{AuthorID: author, Audience: Audience{Type: Friends}}
	// a and b are friends; c is a friend of the author only; a blocked c.
	va := newViewer(a, []tack.ID{author, b}, []tack.ID{c}, nil)
	vb := newViewer(b, []tack.ID{author, a}, nil, nil)
	vauth := newViewer(author, []tack.ID{a, b, c}, nil, nil)
	cases := []struct {
		v    *viewer
		who  tack.ID
		want bool
	}{
		{va, a, true}, {va, author, true}, {va, b, true}, {va, c, false},
		{vb, c, false}, {vb, a, true},
		{vauth, a, true}, {vauth, b, true}, {vauth, c, true},
	}
	for i, tc := range cases {
		if got := tc.v.seesPerson(m, tc.who); got != tc.want {
			t.Errorf("case %d: seesPerson = %v, want %v", i, got, tc.want)
		}
	}
}

func TestValidFiles(t *testing.T) {
	img := chat.Attachment{Kind: "image"}
	voice := chat.Attachment{Kind: "voice"}
	file := chat.Attachment{Kind: "file"}
	nine := make([]chat.Attachment, 9)
	for i := range nine {
		nine[i] = img
	}
	for i, tc := range []struct {
		fs []chat.Attachment
		ok bool
	}{
		{nil, true}, {nine, true}, {append(nine, img), false}, {[]chat.Attachment{img, voice}, true},
		{[]chat.Attachment{voice}, false}, {[]chat.Attachment{img, img, voice}, false}, {[]chat.Attachment{file}, false},
	} {
		if err := validFiles(tc.fs); (err == nil) != tc.ok {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

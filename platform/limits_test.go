package platform

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

func parse(t *testing.T, v any) (Post, error) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	_, p, err := ParseMessage(b)
	return p, err
}

func code(err error) int {
	if re, ok := err.(*RobotError); ok {
		return re.Code
	}
	return 0
}

// A robot message's limits are inclusive: a body of MaxRobotBody bytes, a
// text of MaxPostRunes, maxButtons buttons, maxLinks links, a title or URL
// of maxField runes (URLs: 2,000 bytes), 100 phone numbers to mention.
func TestParseMessageLimits(t *testing.T) {
	text := func(s string) map[string]any {
		return map[string]any{"msgtype": "text", "text": map[string]any{"content": s}}
	}
	// A body of exactly MaxRobotBody bytes (padded with a field robots may send).
	m := text(strings.Repeat("字", MaxPostRunes))
	b, _ := json.Marshal(m)
	m["pad"] = strings.Repeat("p", MaxRobotBody-len(b)-len(`,"pad":""`))
	if b, _ = json.Marshal(m); len(b) != MaxRobotBody {
		t.Fatalf("test body is %d bytes", len(b))
	}
	if _, _, err := ParseMessage(b); err != nil {
		t.Errorf("a body of MaxRobotBody bytes with a text of MaxPostRunes: %v", err)
	}
	if _, _, err := ParseMessage(append(b[:len(b)-1:len(b)-1], ' ', '}')); code(err) != CodeTooLong {
		t.Errorf("a body of MaxRobotBody+1 bytes: %v", err)
	}

	button := func(i int) map[string]any {
		return map[string]any{"title": fmt.Sprint("B", i), "actionURL": "https://a.example/"}
	}
	card := func(n int, orientation string) map[string]any {
		var bs []map[string]any
		for i := range n {
			bs = append(bs, button(i))
		}
		return map[string]any{"msgtype": "actionCard", "actionCard": map[string]any{"title": "T", "text": "x", "btnOrientation": orientation, "btns": bs}}
	}
	if p, err := parse(t, card(maxButtons, "1")); err != nil || len(p.Card.Buttons) != maxButtons || !p.Card.Horizontal {
		t.Errorf("%d buttons side by side: %+v %v", maxButtons, p.Card, err)
	}
	if p, err := parse(t, card(1, "0")); err != nil || p.Card.Horizontal {
		t.Errorf("buttons one above another: %+v %v", p.Card, err)
	}
	if _, err := parse(t, card(maxButtons+1, "0")); code(err) != CodeBadMessage {
		t.Errorf("%d buttons: %v", maxButtons+1, err)
	}

	feed := func(n int, pic string) map[string]any {
		var ls []map[string]any
		for i := range n {
			ls = append(ls, map[string]any{"title": fmt.Sprint("L", i), "messageURL": "https://a.example/", "picURL": pic})
		}
		return map[string]any{"msgtype": "feedCard", "feedCard": map[string]any{"links": ls}}
	}
	if p, err := parse(t, feed(maxLinks, "")); err != nil || len(p.Card.Links) != maxLinks {
		t.Errorf("%d links without pictures: %v", maxLinks, err)
	}
	if _, err := parse(t, feed(maxLinks+1, "")); code(err) != CodeBadMessage {
		t.Errorf("%d links: %v", maxLinks+1, err)
	}
	if _, err := parse(t, feed(1, "javascript:alert(1)")); code(err) != CodeBadMessage {
		t.Errorf("a link with a script for a picture: %v", err)
	}

	md := func(title string) map[string]any {
		return map[string]any{"msgtype": "markdown", "markdown": map[string]any{"title": title, "text": "x"}}
	}
	if _, err := parse(t, md(strings.Repeat("题", maxField))); err != nil {
		t.Errorf("a title of maxField runes: %v", err)
	}
	if _, err := parse(t, md(strings.Repeat("题", maxField+1))); code(err) != CodeTooLong {
		t.Errorf("a title of maxField+1 runes: %v", err)
	}

	// Control characters other than newline and tab are dropped.
	if p, err := parse(t, text("a\x01b\tc\nd\x7fe\x1f")); err != nil || p.Text != "ab\tc\nde" {
		t.Errorf("control characters: %q %v", p.Text, err)
	}

	phones := func(n int) map[string]any {
		m := text("hi")
		var ps []string
		for i := range n {
			ps = append(ps, fmt.Sprintf("+86138%08d", i))
		}
		m["at"] = map[string]any{"atMobiles": ps}
		return m
	}
	if p, err := parse(t, phones(100)); err != nil || len(p.Phones) != 100 {
		t.Errorf("100 phones to mention: %d %v", len(p.Phones), err)
	}
	if p, err := parse(t, phones(101)); err != nil || len(p.Phones) != 0 {
		t.Errorf("101 phones to mention (ignored): %d %v", len(p.Phones), err)
	}
}

func TestWebURL(t *testing.T) {
	long := "https://a.example/" + strings.Repeat("p", 2000-len("https://a.example/"))
	for u, want := range map[string]bool{
		"https://a.example/":             true,
		"http://a.example/x":             true,
		"dingtalk://dingtalkclient/page": true,
		"dingtalk:page":                  true,
		"http:///no-host":                false,
		"https:no-host":                  false,
		"ftp://a.example/":               false,
		"javascript:alert(1)":            false,
		"":                               false,
		long:                             true,
		long + "p":                       false,
	} {
		if got := webURL(u); got != want {
			t.Errorf("webURL(%.40q…) = %v, want %v", u, got, want)
		}
	}
}

// A robot's name is 1 to 30 characters, a keyword 1 to 20, with at most 10
// keywords and 10 addresses; a group has at most maxRobotsPerGroup robots.
func TestRobotInputLimits(t *testing.T) {
	ctx := context.Background()
	w := &fakeWorld{}
	s := NewService(&memStore{robots: map[tack.ID]Robot{}}, w, w, w, w, time.Now, Config{})
	admin := tack.WithCaller(ctx, tack.Caller{UserID: "admin00000000000"})
	conv := tack.NewID()
	str := func(s string) *string { return &s }
	list := func(n int, f string) *[]string {
		var l []string
		for i := range n {
			l = append(l, fmt.Sprintf(f, i))
		}
		return &l
	}
	for _, tt := range []struct {
		name string
		in   RobotInput
		ok   bool
	}{
		{"name of 30", RobotInput{Name: str(strings.Repeat("机", 30))}, true},
		{"name of 31", RobotInput{Name: str(strings.Repeat("机", 31))}, false},
		{"blank name", RobotInput{Name: str("  ")}, false},
		{"keyword of 20", RobotInput{Name: str("k"), Keywords: &[]string{strings.Repeat("词", 20)}}, true},
		{"keyword of 21", RobotInput{Name: str("k"), Keywords: &[]string{strings.Repeat("词", 21)}}, false},
		{"10 keywords", RobotInput{Name: str("k"), Keywords: list(10, "k%d")}, true},
		{"11 keywords", RobotInput{Name: str("k"), Keywords: list(11, "k%d")}, false},
		{"11 keywords, two the same", RobotInput{Name: str("k"), Keywords: &[]string{"a", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}}, true},
		{"10 addresses", RobotInput{Name: str("a"), Addresses: list(10, "10.0.0.%d")}, true},
		{"11 addresses", RobotInput{Name: str("a"), Addresses: list(11, "10.0.0.%d")}, false},
	} {
		r := Robot{Signed: true} // as CreateRobot starts one
		err := tt.in.apply(&r)
		if (err == nil) != tt.ok || err != nil && tack.ErrorCode(err) != tack.EInvalid {
			t.Errorf("%s: %v, want ok=%v", tt.name, err, tt.ok)
		}
		if err == nil && r.Name != strings.TrimSpace(*tt.in.Name) {
			t.Errorf("%s: name %q", tt.name, r.Name)
		}
	}
	for i := range maxRobotsPerGroup {
		if _, err := s.CreateRobot(admin, conv, RobotInput{Name: str(fmt.Sprint("r", i))}); err != nil {
			t.Fatalf("robot %d: %v", i+1, err)
		}
	}
	if _, err := s.CreateRobot(admin, conv, RobotInput{Name: str("one more")}); tack.ErrorCode(err) != tack.EConflict {
		t.Errorf("robot %d in a group: %v", maxRobotsPerGroup+1, err)
	}
}

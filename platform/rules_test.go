package platform

import (
	"context"
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tackhq/tack"
)

// The vector was computed outside Go, with Python's hmac module, from
// DingTalk's documented algorithm:
//
//	base64.b64encode(hmac.new(secret, (ts+"\n"+secret), sha256).digest())
func TestDingTalkSignVector(t *testing.T) {
	const secret = "SEC0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	got := DingTalkSign(secret, 1577262236757)
	if want := "iu/1P7oPm5Ku4bIMyRW005M9vvZd6ixc26DazrvY5W0="; got != want {
		t.Fatalf("sign = %q, want %q", got, want)
	}
	if enc := url.QueryEscape(got); enc != "iu%2F1P7oPm5Ku4bIMyRW005M9vvZd6ixc26DazrvY5W0%3D" {
		t.Fatalf("url-encoded = %q", enc)
	}
}

func TestCheckSign(t *testing.T) {
	const secret = "SECabc"
	now := time.UnixMilli(1700000000000)
	ts := func(d time.Duration) string { return strconv.FormatInt(now.Add(d).UnixMilli(), 10) }
	good := func(d time.Duration) string { return DingTalkSign(secret, now.Add(d).UnixMilli()) }
	for _, c := range []struct {
		name, ts, sign string
		msg            string
	}{
		{"good", ts(0), good(0), ""},
		{"59 minutes old", ts(-59 * time.Minute), good(-59 * time.Minute), ""},
		{"stale", ts(-61 * time.Minute), good(-61 * time.Minute), "invalid timestamp"},
		{"future", ts(61 * time.Minute), good(61 * time.Minute), "invalid timestamp"},
		{"wrong", ts(0), good(time.Millisecond), "sign not match"},
		{"no timestamp", "", good(0), "invalid timestamp"},
		{"junk timestamp", "12ab", good(0), "invalid timestamp"},
		{"no sign", ts(0), "", "sign not match"},
	} {
		err := CheckSign(secret, c.ts, c.sign, now, time.Hour)
		var re *RobotError
		switch {
		case c.msg == "" && err != nil:
			t.Errorf("%s: %v", c.name, err)
		case c.msg != "" && (!errors.As(err, &re) || re.Code != CodeSecurity || re.Msg != c.msg):
			t.Errorf("%s: err = %v, want %d %s", c.name, err, CodeSecurity, c.msg)
		}
	}
}

func TestEventSignature(t *testing.T) {
	// python3: "sha256=" + hmac.new(b"k", b"1700000000000\n{}", sha256).hexdigest()
	got := EventSignature("k", "1700000000000", []byte("{}"))
	if want := "sha256=11ab7dd2dce43a4e3c1ac6f3ce5ae4b887bba92e1c0735d3ff69a5e26bc6e67e"; got != want {
		t.Fatalf("signature %q, want %q", got, want)
	}
	if !VerifyEventSignature("k", "1700000000000", []byte("{}"), got) || VerifyEventSignature("k", "1700000000001", []byte("{}"), got) {
		t.Fatal("verify")
	}
}

func TestParseMessage(t *testing.T) {
	for _, c := range []struct {
		name, body string
		code       int
		text, card string
	}{
		{"text", `{"msgtype":"text","text":{"content":"build ok"}}`, 0, "build ok", ""},
		{"markdown", `{"msgtype":"markdown","markdown":{"title":"T","text":"# hi"}}`, 0, "# hi", MsgMarkdown},
		{"link", `{"msgtype":"link","link":{"title":"T","text":"x","messageUrl":"https://a.example/"}}`, 0, "T\nx", MsgLink},
		{"link javascript", `{"msgtype":"link","link":{"title":"T","text":"x","messageUrl":"javascript:alert(1)"}}`, CodeBadMessage, "", ""},
		{"action single", `{"msgtype":"actionCard","actionCard":{"title":"T","text":"x","singleTitle":"Go","singleURL":"https://a.example/"}}`, 0, "x", MsgActionCard},
		{"action btns", `{"msgtype":"actionCard","actionCard":{"title":"T","text":"x","btnOrientation":"1","btns":[{"title":"A","actionURL":"https://a.example/"},{"title":"B","actionURL":"https://b.example/"}]}}`, 0, "x", MsgActionCard},
		{"action none", `{"msgtype":"actionCard","actionCard":{"title":"T","text":"x"}}`, CodeBadMessage, "", ""},
		{"feed", `{"msgtype":"feedCard","feedCard":{"links":[{"title":"A","messageURL":"https://a.example/","picURL":"https://a.example/p.png"}]}}`, 0, "A", MsgFeedCard},
		{"empty text", `{"msgtype":"text","text":{"content":"  "}}`, CodeBadMessage, "", ""},
		{"no type", `{"text":{"content":"x"}}`, CodeBadMessage, "", ""},
		{"unknown type", `{"msgtype":"image"}`, CodeBadType, "", ""},
		{"not json", `{"msgtype":`, CodeBadJSON, "", ""},
		{"too long", `{"msgtype":"text","text":{"content":"` + strings.Repeat("字", MaxPostRunes+1) + `"}}`, CodeTooLong, "", ""},
		{"over 20000 bytes", `{"msgtype":"text","text":{"content":"` + strings.Repeat("a", MaxRobotBody) + `"}}`, CodeTooLong, "", ""},
	} {
		_, p, err := ParseMessage([]byte(c.body))
		var re *RobotError
		if c.code != 0 {
			if !errors.As(err, &re) || re.Code != c.code {
				t.Errorf("%s: err = %v, want code %d", c.name, err, c.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if p.Text != c.text || (p.Card == nil) != (c.card == "") || p.Card != nil && p.Card.Type != c.card {
			t.Errorf("%s: post = %+v", c.name, p)
		}
	}
	_, p, _ := ParseMessage([]byte(`{"msgtype":"text","text":{"content":"x"},"at":{"atUserIds":["0000000000000000","bad"],"isAtAll":true}}`))
	if len(p.Mentions) != 1 || !p.MentionAll {
		t.Errorf("at: %+v", p)
	}
}

func TestBackoff(t *testing.T) {
	r := Retry{}.withDefaults()
	want := []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second}
	for i, w := range want {
		if got := r.Backoff(i + 1); got != w {
			t.Errorf("backoff(%d) = %v, want %v", i+1, got, w)
		}
	}
	if got := r.Backoff(30); got != time.Hour {
		t.Errorf("backoff(30) = %v", got)
	}
}

// Retry's zero (or negative) fields take their defaults; set ones stay,
// and the lease defaults to three attempt timeouts.
func TestRetryDefaults(t *testing.T) {
	d := Retry{}.withDefaults()
	if d.First != 10*time.Second || d.Max != time.Hour || d.GiveUp != 24*time.Hour || d.Timeout != 10*time.Second || d.Lease != 30*time.Second {
		t.Errorf("defaults: %+v", d)
	}
	if n := (Retry{First: -1, Max: -1, GiveUp: -1, Timeout: -1, Lease: -1}).withDefaults(); n != d {
		t.Errorf("negative fields: %+v, want the defaults %+v", n, d)
	}
	set := Retry{First: time.Second, Max: 5 * time.Second, GiveUp: time.Minute, Timeout: 2 * time.Second}
	want := set
	want.Lease = 6 * time.Second
	if got := set.withDefaults(); got != want {
		t.Errorf("set fields: %+v, want %+v", got, want)
	}
	set.Lease = time.Second
	if got := set.withDefaults(); got.Lease != time.Second {
		t.Errorf("a set lease: %v", got.Lease)
	}
	if got := set.withDefaults().Backoff(10); got != 5*time.Second {
		t.Errorf("backoff capped at a set Max: %v", got)
	}
}

// memStore keeps robots in memory; the rest of Store is unused here.
type memStore struct {
	Store
	mu     sync.Mutex
	robots map[tack.ID]Robot
}

func (m *memStore) CreateRobot(_ context.Context, r Robot) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.robots[r.ID] = r
	return nil
}
func (m *memStore) Robots(_ context.Context, conv tack.ID) (out []Robot, _ error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.robots {
		if r.ConversationID == conv {
			out = append(out, r)
		}
	}
	return out, nil
}
func (m *memStore) RobotByToken(_ context.Context, h string) (Robot, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range m.robots {
		if r.TokenHash == h {
			return r, nil
		}
	}
	return Robot{}, tack.ErrNotFound
}

type fakeWorld struct {
	mu    sync.Mutex
	posts []Post
}

func (f *fakeWorld) Role(_ context.Context, conv, user tack.ID) (string, string, error) {
	if user == "admin00000000000" {
		return "group", "owner", nil
	}
	if user == "member0000000000" {
		return "group", "member", nil
	}
	return "", "", tack.ErrNotFound
}
func (f *fakeWorld) Bot(_ context.Context, key, name string) (tack.ID, error) {
	return tack.NewID(), nil
}
func (f *fakeWorld) PostRobot(_ context.Context, conv, from tack.ID, p Post) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.posts = append(f.posts, p)
	return nil
}
func (f *fakeWorld) OrgGroups(context.Context, tack.ID) ([]tack.ID, error) { return nil, nil }
func (f *fakeWorld) OrgsOf(context.Context, tack.ID) ([]tack.ID, error)    { return nil, nil }
func (f *fakeWorld) Owner(context.Context, tack.ID) (tack.ID, error)       { return "admin00000000000", nil }
func (f *fakeWorld) OrgRole(context.Context, tack.ID, tack.ID) (string, error) {
	return "", tack.ErrNotFound
}

func TestRobotRules(t *testing.T) {
	ctx := context.Background()
	now := time.UnixMilli(1700000000000).UTC()
	w := &fakeWorld{}
	s := NewService(&memStore{robots: map[tack.ID]Robot{}}, w, w, w, w, func() time.Time { return now }, Config{})
	admin := tack.WithCaller(ctx, tack.Caller{UserID: "admin00000000000"})
	member := tack.WithCaller(ctx, tack.Caller{UserID: "member0000000000"})
	conv := tack.NewID()
	name := "CI"
	if _, err := s.CreateRobot(member, conv, RobotInput{Name: &name}); tack.ErrorCode(err) != tack.EForbidden {
		t.Fatalf("member creates a robot: %v", err)
	}
	if _, err := s.CreateRobot(tack.WithCaller(ctx, tack.Caller{UserID: tack.NewID()}), conv, RobotInput{Name: &name}); tack.ErrorCode(err) != tack.ENotFound {
		t.Fatalf("outsider creates a robot: %v", err)
	}
	off := false
	if _, err := s.CreateRobot(admin, conv, RobotInput{Name: &name, Signed: &off}); tack.ErrorCode(err) != tack.EInvalid {
		t.Fatalf("robot without security: %v", err)
	}
	signed, err := s.CreateRobot(admin, conv, RobotInput{Name: &name})
	if err != nil || signed.Secret == "" || !strings.HasPrefix(signed.Secret, "SEC") || signed.Webhook != "/robot/send?access_token="+signed.AccessToken {
		t.Fatalf("create: %+v %v", signed, err)
	}
	kw, err := s.CreateRobot(admin, conv, RobotInput{Name: &name, Signed: &off, Keywords: &[]string{"build"}, Addresses: &[]string{"10.0.0.0/8"}})
	if err != nil || kw.Secret != "" {
		t.Fatalf("create keyword robot: %+v %v", kw, err)
	}
	text := []byte(`{"msgtype":"text","text":{"content":"build ok"}}`)
	ts := strconv.FormatInt(now.UnixMilli(), 10)
	sign := DingTalkSign(signed.Secret, now.UnixMilli())
	in := netip.MustParseAddr("10.1.2.3")
	for _, c := range []struct {
		name string
		req  RobotRequest
		code int
	}{
		{"signed", RobotRequest{AccessToken: signed.AccessToken, Timestamp: ts, Sign: sign, Body: text}, 0},
		{"wrong sign", RobotRequest{AccessToken: signed.AccessToken, Timestamp: ts, Sign: sign + "x", Body: text}, CodeSecurity},
		{"stale", RobotRequest{AccessToken: signed.AccessToken, Timestamp: strconv.FormatInt(now.Add(-2*time.Hour).UnixMilli(), 10), Sign: DingTalkSign(signed.Secret, now.Add(-2*time.Hour).UnixMilli()), Body: text}, CodeSecurity},
		{"unknown token", RobotRequest{AccessToken: "nope", Timestamp: ts, Sign: sign, Body: text}, CodeNoToken},
		{"keyword and ip", RobotRequest{AccessToken: kw.AccessToken, Addr: in, Body: text}, 0},
		{"missing keyword", RobotRequest{AccessToken: kw.AccessToken, Addr: in, Body: []byte(`{"msgtype":"text","text":{"content":"deploy"}}`)}, CodeSecurity},
		{"blocked ip", RobotRequest{AccessToken: kw.AccessToken, Addr: netip.MustParseAddr("192.168.1.1"), Body: text}, CodeSecurity},
		{"oversized", RobotRequest{AccessToken: kw.AccessToken, Addr: in, Body: []byte(`{"msgtype":"text","text":{"content":"build ` + strings.Repeat("x", MaxRobotBody) + `"}}`)}, CodeTooLong},
	} {
		before := len(w.posts)
		err := s.RobotSend(ctx, c.req)
		var re *RobotError
		if c.code == 0 && err != nil || c.code != 0 && (!errors.As(err, &re) || re.Code != c.code) {
			t.Errorf("%s: err = %v, want %d", c.name, err, c.code)
		}
		if posted := len(w.posts) - before; posted != map[bool]int{true: 1, false: 0}[c.code == 0] {
			t.Errorf("%s: %d posted", c.name, posted)
		}
	}
	// 20 a minute per robot: the signed robot has used 1, the keyword one 1.
	for i := 0; i < 19; i++ {
		if err := s.RobotSend(ctx, RobotRequest{AccessToken: signed.AccessToken, Timestamp: ts, Sign: sign, Body: text}); err != nil {
			t.Fatalf("send %d: %v", i+2, err)
		}
	}
	var re *RobotError
	if err := s.RobotSend(ctx, RobotRequest{AccessToken: signed.AccessToken, Timestamp: ts, Sign: sign, Body: text}); !errors.As(err, &re) || re.Code != CodeTooFast {
		t.Fatalf("21st send: %v", err)
	}
	if err := s.RobotSend(ctx, RobotRequest{AccessToken: kw.AccessToken, Addr: in, Body: text}); err != nil {
		t.Fatalf("another robot is not limited by the first: %v", err)
	}
}

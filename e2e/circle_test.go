package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/circle"
	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

type momentHint struct {
	Type     string `json:"type"`
	Action   string `json:"action"`
	MomentID string `json:"moment_id"`
}

// nextMomentHint reads s until a moment hint arrives and returns it.
func nextMomentHint(t *testing.T, s *client.Stream, what string) momentHint {
	t.Helper()
	var h momentHint
	waitEvent(t, s, what, func(e client.Event) bool {
		if e.Type != circle.EventKind {
			return false
		}
		if err := json.Unmarshal(e.Raw, &h); err != nil {
			t.Fatal(err)
		}
		return true
	})
	return h
}

// TestMomentAudienceMatrix is the audience matrix: for each audience
// type × viewer relation (friend, tagged friend, excluded friend,
// colleague, stranger, blocked), every read path answers as specified (a
// direct link, the timeline, the profile, commenting, liking, live
// hints), and likes and comments are filtered per viewer.
func TestMomentAudienceMatrix(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	author := srv.NewUser(t, "作者")
	viewers := map[string]*tacktest.User{}
	for _, n := range []string{"friend", "tagged", "excluded", "colleague", "stranger", "blocked"} {
		viewers[n] = srv.NewUser(t, n)
	}
	for _, n := range []string{"friend", "tagged", "excluded", "blocked"} {
		friends(t, author, viewers[n])
	}
	friends(t, viewers["friend"], viewers["excluded"]) // friend and excluded know each other; tagged knows neither
	o := mustDo[client.Org](t)(author.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	for _, n := range []string{"colleague", "blocked"} {
		inv := mustDo[client.InvitationOut](t)(author.CreateInvitation(ctx, string(o.ID), map[string]any{}))
		mustDo[client.Joined](t)(viewers[n].AcceptInvitation(ctx, inv.Code))
	}
	if err := viewers["blocked"].Block(ctx, author.ID); err != nil {
		t.Fatal(err)
	}
	streams := map[string]*client.Stream{}
	for n, u := range viewers {
		streams[n] = connect(t, u.Client, nil)
	}

	// Friend tags: "close" holds tagged, "skip" holds excluded; a tag
	// stands for its friends at posting time.
	closeTag := mustDo[client.FriendTag](t)(author.CreateFriendTag(ctx, "亲密", []string{viewers["tagged"].ID}))
	skipTag := mustDo[client.FriendTag](t)(author.CreateFriendTag(ctx, "skip", []string{viewers["excluded"].ID}))
	cases := []struct {
		aud  circle.Audience
		sees string
	}{
		{circle.Audience{Type: circle.Only, TagIDs: []tack.ID{closeTag.ID}}, "tagged"},
		{circle.Audience{Type: circle.Except, TagIDs: []tack.ID{skipTag.ID}}, "friend tagged"},
		{circle.Audience{Type: circle.Friends}, "friend tagged excluded"},
		{circle.Audience{Type: circle.Only, UserIDs: []tack.ID{tack.ID(viewers["tagged"].ID)}}, "tagged"},
		{circle.Audience{Type: circle.Except, UserIDs: []tack.ID{tack.ID(viewers["excluded"].ID)}}, "friend tagged"},
		{circle.Audience{Type: circle.Private}, ""},
		{circle.Audience{Type: circle.Colleagues, OrgID: o.ID}, "colleague"},
	}
	checks := 0
	for _, tc := range cases {
		m := mustDo[client.Moment](t)(author.PostMoment(ctx, client.MomentInput{Text: "to " + tc.aud.Type, Audience: tc.aud}))
		if m.Audience == nil || m.Audience.Type != tc.aud.Type {
			t.Errorf("the author does not see the audience: %+v", m.Audience)
		}
		// A sentinel every friend and colleague may see, so that "no hint
		// for m" is checked without waiting for an absence: hints arrive
		// in order, so whoever may not see m hears of the sentinel first.
		sentinel := mustDo[client.Moment](t)(author.PostMoment(ctx, client.MomentInput{Text: "sentinel", Audience: circle.Audience{Type: circle.Friends}}))
		colSentinel := mustDo[client.Moment](t)(author.PostMoment(ctx, client.MomentInput{Text: "sentinel", Audience: circle.Audience{Type: circle.Colleagues, OrgID: o.ID}}))
		for name, u := range viewers {
			want := slices.Contains(strings.Fields(tc.sees), name)
			// direct link
			_, err := u.Moment(ctx, string(m.ID))
			if got := err == nil; got != want || !want && apiCode(err) != tack.ENotFound {
				t.Errorf("%s audience, %s: GET moment err = %v, want visible %v", tc.aud.Type, name, err, want)
			}
			// timeline and profile
			inPage := func(p client.MomentPage) bool {
				for _, x := range p.Moments {
					if x.ID == m.ID {
						if x.Audience != nil {
							t.Errorf("%s sees the audience of someone else's moment", name)
						}
						return true
					}
				}
				return false
			}
			if got := inPage(mustDo[client.MomentPage](t)(u.Timeline(ctx, "", 50))); got != want {
				t.Errorf("%s audience, %s: in timeline = %v, want %v", tc.aud.Type, name, got, want)
			}
			if got := inPage(mustDo[client.MomentPage](t)(u.ProfileMoments(ctx, author.ID, "", 50))); got != want {
				t.Errorf("%s audience, %s: in profile = %v, want %v", tc.aud.Type, name, got, want)
			}
			// liking and commenting
			_, err = u.LikeMoment(ctx, string(m.ID), true)
			if got := err == nil; got != want {
				t.Errorf("%s audience, %s: like err = %v, want allowed %v", tc.aud.Type, name, err, want)
			}
			_, err = u.CommentMoment(ctx, string(m.ID), "hi from "+name, "")
			if got := err == nil; got != want {
				t.Errorf("%s audience, %s: comment err = %v, want allowed %v", tc.aud.Type, name, err, want)
			}
			checks += 4
		}
		// live hints, in order
		for name, s := range streams {
			want := slices.Contains(strings.Fields(tc.sees), name)
			switch name {
			case "stranger", "blocked":
				continue // they hear of no sentinel either: checked at the end
			}
			h := nextMomentHint(t, s, name+" hint")
			if got := h.MomentID == string(m.ID); got != want {
				t.Errorf("%s audience, %s: first hint is for %s (moment %s, sentinels %s/%s), want hint %v", tc.aud.Type, name, h.MomentID, m.ID, sentinel.ID, colSentinel.ID, want)
			}
			// drain up to the colleague sentinel (or the friends one for non-colleagues)
			last := string(sentinel.ID)
			if name == "colleague" {
				last = string(colSentinel.ID)
			}
			for h.MomentID != last {
				h = nextMomentHint(t, s, name+" sentinel")
			}
			checks++
		}
		// the author sees every comment; each viewer only those of people they may see
		full := mustDo[client.Moment](t)(author.Moment(ctx, string(m.ID)))
		if len(full.Comments) != len(strings.Fields(tc.sees)) || len(full.Likes) != len(strings.Fields(tc.sees)) {
			t.Errorf("%s audience: the author sees %d comments and %d likes, want %d", tc.aud.Type, len(full.Comments), len(full.Likes), len(strings.Fields(tc.sees)))
		}
	}
	// WeChat's rule on the friends moment: friend sees excluded's and its own comment, never tagged's.
	tl := mustDo[client.MomentPage](t)(viewers["friend"].Timeline(ctx, "", 50))
	var fm *client.Moment
	for i := range tl.Moments {
		if tl.Moments[i].Text == "to friends" {
			fm = &tl.Moments[i]
		}
	}
	if fm == nil {
		t.Fatal("friend lost the friends moment")
	}
	var who []string
	for _, c := range fm.Comments {
		who = append(who, c.Text)
	}
	slices.Sort(who) // comments come in the order written; the viewers were walked in map order
	if !slices.Equal(who, []string{"hi from excluded", "hi from friend"}) {
		t.Errorf("friend sees comments %q; want its own and excluded's (a mutual friend), never tagged's", who)
	}
	if len(fm.Likes) != 2 {
		t.Errorf("friend sees %d likes, want 2", len(fm.Likes))
	}
	tagged := mustDo[client.Moment](t)(viewers["tagged"].Moment(ctx, string(fm.ID)))
	if len(tagged.Comments) != 1 || tagged.Comments[0].Text != "hi from tagged" {
		t.Errorf("tagged sees comments %+v; want only its own", tagged.Comments)
	}
	// The stranger and the blocked one heard of nothing: a hint to everyone
	// who may see a public-to-friends moment of a stranger's friend... the
	// stream's first moment event, if any, would fail this check.
	for _, name := range []string{"stranger", "blocked"} {
		u := viewers[name]
		mine := mustDo[client.Moment](t)(u.PostMoment(ctx, client.MomentInput{Text: "own", Audience: circle.Audience{Type: circle.Private}}))
		if h := nextMomentHint(t, streams[name], name+" own hint"); h.MomentID != string(mine.ID) {
			t.Errorf("%s heard of moment %s it may not see", name, h.MomentID)
		}
	}
	t.Logf("audience matrix: %d read-path checks", checks)
}

// TestMomentRulesAndMedia: bad input, edit and delete permissions, the
// profile window for visitors, leaving an organisation, and a deleted
// moment's image gone from the media directory.
func TestMomentRulesAndMedia(t *testing.T) {
	srv, skew := mediaServer(t)
	ctx := ctxT(t)
	alice, bob, carol := srv.NewUser(t, "Alice"), srv.NewUser(t, "Bob"), srv.NewUser(t, "Carol")
	friends(t, alice, bob)

	bad := []struct {
		name, body string
		code       string
	}{
		{"no audience", `{"text":"x"}`, tack.EInvalid},
		{"unknown audience", `{"text":"x","audience":{"type":"public"}}`, tack.EInvalid},
		{"only a stranger", `{"text":"x","audience":{"type":"only","user_ids":["` + carol.ID + `"]}}`, tack.EInvalid},
		{"only nobody", `{"text":"x","audience":{"type":"only"}}`, tack.EInvalid},
		{"foreign org", `{"text":"x","audience":{"type":"colleagues","org_id":"` + string(tack.NewID()) + `"}}`, tack.EInvalid},
		{"empty", `{"text":"  ","audience":{"type":"friends"}}`, tack.EInvalid},
		{"too long", `{"text":"` + strings.Repeat("字", circle.MaxText+1) + `","audience":{"type":"friends"}}`, tack.ETooLarge},
		{"missing file", `{"text":"x","file_ids":["` + string(tack.NewID()) + `"],"audience":{"type":"friends"}}`, tack.ENotFound},
		{"bad file id", `{"text":"x","file_ids":["../x"],"audience":{"type":"friends"}}`, tack.EInvalid},
		{"malformed", `{"text":`, tack.EInvalid},
	}
	for _, b := range bad {
		status, body := raw(t, "POST", srv.URL+"/api/v1/moments", alice.Token, []byte(b.body))
		if status < 400 || errCode(body) != b.code {
			t.Errorf("%s: %d %v, want %s", b.name, status, body, b.code)
		}
	}
	if status, _ := raw(t, "GET", srv.URL+"/api/v1/moments", "", nil); status != http.StatusUnauthorized {
		t.Errorf("timeline without a token: %d", status)
	}
	if status, body := raw(t, "GET", srv.URL+"/api/v1/moments?cursor=nope", alice.Token, nil); status != 400 || errCode(body) != tack.EInvalid {
		t.Errorf("bad cursor: %d %v", status, body)
	}

	img := upload(t, alice, gpsJPEG(t, 64, 48, 1), client.UploadOptions{Name: "花.jpg", Kind: "image"})
	m := mustDo[client.Moment](t)(alice.PostMoment(ctx, client.MomentInput{Text: "春天", FileIDs: []tack.ID{img.ID}, Audience: circle.Audience{Type: circle.Friends}}))
	bm := mustDo[client.Moment](t)(bob.Moment(ctx, string(m.ID)))
	if len(bm.Files) != 1 || bm.Files[0].URL == "" || bm.Files[0].ThumbURL == "" {
		t.Fatalf("bob's view of the files: %+v", bm.Files)
	}
	// bob may fetch the image by its signed URL; carol may not by its ID
	resp, err := http.Get(srv.URL + bm.Files[0].URL)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("signed image URL: %v %v", resp, err)
	}
	resp.Body.Close()
	if _, _, err := fetchFile(t, carol, string(img.ID), false); apiCode(err) != tack.ENotFound {
		t.Errorf("carol fetched the image: %v", err)
	}
	// only the author edits and deletes
	if _, err := bob.EditMoment(ctx, string(m.ID), "hacked"); apiCode(err) != tack.EForbidden {
		t.Errorf("bob edited: %v", err)
	}
	if err := bob.DeleteMoment(ctx, string(m.ID)); apiCode(err) != tack.EForbidden {
		t.Errorf("bob deleted: %v", err)
	}
	if err := carol.DeleteMoment(ctx, string(m.ID)); apiCode(err) != tack.ENotFound {
		t.Errorf("carol deleted: %v", err)
	}
	if e := mustDo[client.Moment](t)(alice.EditMoment(ctx, string(m.ID), "春天来了")); e.Text != "春天来了" || e.EditedAt == nil {
		t.Errorf("edit: %+v", e)
	}
	c := mustDo[client.MomentComment](t)(bob.CommentMoment(ctx, string(m.ID), "好看", ""))
	if _, err := alice.CommentMoment(ctx, string(m.ID), "谢谢", carol.ID); apiCode(err) != tack.EInvalid {
		t.Errorf("reply to someone not in the thread: %v", err)
	}
	mustDo[client.MomentComment](t)(alice.CommentMoment(ctx, string(m.ID), "谢谢", bob.ID))
	if err := alice.DeleteMomentComment(ctx, string(m.ID), string(c.ID)); err != nil {
		t.Errorf("the author deletes a comment: %v", err)
	}

	// the profile window: visitors see 3 days; the author all. Four days
	// later the first moment is out of the window, and past editing.
	skew.Store(int64(4 * 24 * time.Hour))
	if _, err := alice.EditMoment(ctx, string(m.ID), "too late"); apiCode(err) != tack.EExpired {
		t.Errorf("edit after 24 h: %v", err)
	}
	mustDo[client.Moment](t)(alice.PostMoment(ctx, client.MomentInput{Text: "later", Audience: circle.Audience{Type: circle.Friends}}))
	if p := mustDo[client.MomentPage](t)(bob.ProfileMoments(ctx, alice.ID, "", 10)); len(p.Moments) != 2 {
		t.Errorf("bob sees %d moments of alice's with no window, want 2", len(p.Moments))
	}
	if err := alice.SetMomentVisibleDays(ctx, 7); apiCode(err) != tack.EInvalid {
		t.Errorf("visible_days 7: %v", err)
	}
	if err := alice.SetMomentVisibleDays(ctx, 3); err != nil {
		t.Fatal(err)
	}
	if p := mustDo[client.MomentPage](t)(bob.ProfileMoments(ctx, alice.ID, "", 10)); len(p.Moments) != 1 || p.Moments[0].Text != "later" {
		t.Errorf("bob sees %d moments in alice's 3-day window, want the later one", len(p.Moments))
	}
	if p := mustDo[client.MomentPage](t)(alice.ProfileMoments(ctx, alice.ID, "", 10)); len(p.Moments) != 2 {
		t.Errorf("alice sees %d of her own moments, want 2", len(p.Moments))
	}
	if p := mustDo[client.MomentPage](t)(bob.Timeline(ctx, "", 10)); len(p.Moments) != 2 {
		t.Errorf("the window is for profile visitors, not the timeline: bob sees %d", len(p.Moments))
	}

	// delete: the image's bytes go too once media collects
	before := len(blobFiles(t, srv))
	if err := alice.DeleteMoment(ctx, string(m.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := bob.Moment(ctx, string(m.ID)); apiCode(err) != tack.ENotFound {
		t.Errorf("deleted moment: %v", err)
	}
	if _, _, err := srv.Node.Media.Collect(ctx); err != nil {
		t.Fatal(err)
	}
	if after := len(blobFiles(t, srv)); after >= before {
		t.Errorf("blob files %d → %d: the deleted moment's image stayed", before, after)
	}
	if _, _, err := fetchFile(t, alice, string(img.ID), false); apiCode(err) != tack.ENotFound {
		t.Errorf("the image is still served: %v", err)
	}

	// leaving an organisation leaves its colleague circle
	o := mustDo[client.Org](t)(alice.CreateOrg(ctx, "Acme", "Asia/Shanghai"))
	inv := mustDo[client.InvitationOut](t)(alice.CreateInvitation(ctx, string(o.ID), map[string]any{}))
	mustDo[client.Joined](t)(carol.AcceptInvitation(ctx, inv.Code))
	cm := mustDo[client.Moment](t)(carol.PostMoment(ctx, client.MomentInput{Text: "同事们好", Audience: circle.Audience{Type: circle.Colleagues, OrgID: o.ID}}))
	mustDo[client.Moment](t)(alice.Moment(ctx, string(cm.ID)))
	if err := carol.LeaveOrg(ctx, string(o.ID)); err != nil {
		t.Fatal(err)
	}
	if _, err := alice.Moment(ctx, string(cm.ID)); apiCode(err) != tack.ENotFound {
		t.Errorf("a colleague circle moment outlived its author's membership: %v", err)
	}
}

package e2e

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/tackhq/tack/client"
	"github.com/tackhq/tack/tacktest"
)

// TestBootstrap: GET /api/v1/bootstrap answers in one request what GET
// /me, GET /conversations, GET /users?ids= (the people the list names)
// and GET /orgs answer one by one, the same shapes; without a session it is
// 401 like every other call, and another person's bootstrap shows nothing
// of this one's.
func TestBootstrap(t *testing.T) {
	srv := tacktest.NewServer(t)
	ctx := ctxT(t)
	me, peer, other, stranger := srv.NewUser(t, "王五"), srv.NewUser(t, "李娜"), srv.NewUser(t, "张三"), srv.NewUser(t, "Stranger")
	o, err := me.CreateOrg(ctx, "星辰科技", "Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	d := direct(t, peer, me)
	send(t, peer, string(d.ID), client.Draft{Text: "你好"})
	g, err := other.CreateConversation(ctx, "group", []string{me.ID, peer.ID}, "项目组")
	if err != nil {
		t.Fatal(err)
	}
	send(t, other, string(g.ID), client.Draft{Text: "开会"})
	quiet, err := me.CreateConversation(ctx, "group", []string{peer.ID}, "没有消息")
	if err != nil {
		t.Fatal(err)
	}

	get := func(u *tacktest.User, path string) map[string]any {
		t.Helper()
		status, body := raw(t, "GET", srv.URL+"/api/v1"+path, u.Token, nil)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, status, body)
		}
		return body
	}
	b := get(me, "/bootstrap")
	same := func(what string, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Errorf("%s:\n got %s\nwant %s", what, g, w)
		}
	}
	same("me", b["me"], get(me, "/me"))
	same("conversations", b["conversations"], get(me, "/conversations")["conversations"])
	same("orgs", b["orgs"], get(me, "/orgs")["orgs"])
	if convs, _ := b["conversations"].([]any); len(convs) != 3 {
		t.Errorf("%d conversations, want the direct chat and both groups (%s, %s)", len(convs), g.ID, quiet.ID)
	}
	if orgs, _ := b["orgs"].([]any); len(orgs) != 1 || orgs[0].(map[string]any)["id"] != string(o.ID) {
		t.Errorf("orgs %v", b["orgs"])
	}
	// The names the list shows: the other person of the direct chat and the
	// senders of last messages; not me, not people the list does not name.
	var names []string
	for _, u := range b["users"].([]any) {
		names = append(names, u.(map[string]any)["name"].(string))
	}
	sort.Strings(names)
	if !reflect.DeepEqual(names, []string{"张三", "李娜"}) {
		t.Errorf("users %v, want 张三 and 李娜", names)
	}
	same("users", b["users"], get(me, "/users?ids="+peer.ID+","+other.ID)["users"])

	// Gzipped for a client that takes it, the same JSON once unzipped.
	fetch := func(ae string) (*http.Response, []byte) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/api/v1/bootstrap", nil)
		req.Header.Set("Authorization", "Bearer "+me.Token)
		req.Header.Set("Accept-Encoding", ae)
		res, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res, b
	}
	plainRes, plain := fetch("identity")
	zipRes, zipped := fetch("gzip, deflate, br")
	if plainRes.Header.Get("Content-Encoding") != "" || zipRes.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(zipRes.Header.Get("Vary"), "Accept-Encoding") {
		t.Errorf("encodings: %v / %v", plainRes.Header, zipRes.Header)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped))
	if err != nil {
		t.Fatal(err)
	}
	unzipped, _ := io.ReadAll(zr)
	if !bytes.Equal(unzipped, plain) || len(zipped) >= len(plain) {
		t.Errorf("gzip: %d bytes for %d, same body %v", len(zipped), len(plain), bytes.Equal(unzipped, plain))
	}
	if _, b := fetch("gzip;q=0"); !bytes.Equal(b, plain) {
		t.Error("gzipped although gzip;q=0")
	}

	// Someone else's start shows none of it.
	s := get(stranger, "/bootstrap")
	if convs, _ := s["conversations"].([]any); len(convs) != 0 || len(s["users"].([]any)) != 0 || len(s["orgs"].([]any)) != 0 {
		t.Errorf("a stranger's bootstrap: %v", s)
	}
	if s["me"].(map[string]any)["id"] != stranger.ID {
		t.Errorf("a stranger's bootstrap is about %v", s["me"])
	}
	// No session: 401 with the usual error.
	status, body := raw(t, "GET", srv.URL+"/api/v1/bootstrap", "", nil)
	if status != http.StatusUnauthorized || errCode(body) != "unauthorized" {
		t.Errorf("without a session: %d %v", status, body)
	}
	status, body = raw(t, "GET", srv.URL+"/api/v1/bootstrap", "not-a-token", nil)
	if status != http.StatusUnauthorized || errCode(body) != "unauthorized" {
		t.Errorf("with a bad token: %d %v", status, body)
	}
}

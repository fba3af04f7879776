package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
)

// bootstrapRoutes: what the web client's first screen needs, in one answer
// (docs/api.md, "Start-up").
func (s *Server) bootstrapRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/bootstrap", summary: "The first screen in one answer: you, your conversations, the names they show and your organisations", auth: true, resp: "Bootstrap", status: 200, h: s.bootstrap},
	}
}

func init() {
	schemas["Bootstrap"] = obj("me", ref("Me"), "conversations", arr(ref("Conversation")), "users", arr(ref("Person")), "orgs", arr(ref("Org")))
}

// bootstrap answers GET /me, GET /conversations, GET /users?ids= for the
// people the list names (the other person of each direct chat and the
// sender of each last message) and GET /orgs at once, each exactly as
// those calls would. A phone on a slow network pays one round trip for its
// first screen instead of four in a row; the page asks for it while its
// modules are still loading (index.html preloads it).
func (s *Server) bootstrap(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	me, err := s.cfg.Accounts.Me(ctx)
	if err != nil {
		return err
	}
	convs, err := s.cfg.Chat.Conversations(ctx)
	if err != nil {
		return err
	}
	seen := map[tack.ID]bool{me.ID: true}
	var ids []tack.ID
	want := func(id tack.ID) {
		if id != "" && !seen[id] && len(ids) < 500 {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, c := range convs {
		want(c.Peer)
		if c.LastMessage != nil {
			want(c.LastMessage.SenderID)
		}
	}
	users, err := s.cfg.Accounts.Users(ctx, ids)
	if err != nil {
		return err
	}
	orgs := []orgOut{}
	if s.cfg.Org != nil {
		list, ms, err := s.cfg.Org.Mine(ctx)
		if err != nil {
			return err
		}
		for i := range list {
			orgs = append(orgs, orgOut{Org: list[i], Me: &ms[i]})
		}
	}
	body, err := json.Marshal(struct {
		Me            meOut          `json:"me"`
		Conversations any            `json:"conversations"`
		Users         []account.User `json:"users"`
		Orgs          []orgOut       `json:"orgs"`
	}{meOut{User: me, Verified: me.Verified()}, nonNil(convs), nonNil(users), orgs})
	if err != nil {
		return err
	}
	writeCompressed(w, r, body)
	return nil
}

// writeCompressed answers 200 with a JSON body, gzipped when the client
// takes gzip and the body is large enough to gain: the bootstrap is on
// the critical path of a phone's first screen, where every kilobyte costs
// (a list of conversations shrinks about fivefold). It carries no secret
// (no token, no CSRF value) for a compression side channel to find.
func writeCompressed(w http.ResponseWriter, r *http.Request, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Add("Vary", "Accept-Encoding")
	if len(body) < 1024 || !takesGzip(r.Header.Get("Accept-Encoding")) {
		w.WriteHeader(http.StatusOK)
		w.Write(body)
		return
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(body)
	zw.Close()
	h.Set("Content-Encoding", "gzip")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes())
}

// takesGzip reports whether an Accept-Encoding header allows gzip (not
// with q=0).
func takesGzip(ae string) bool {
	for _, part := range strings.Split(ae, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if c := strings.ToLower(strings.TrimSpace(coding)); c != "gzip" && c != "*" {
			continue
		}
		q, ok := strings.CutPrefix(strings.ReplaceAll(strings.TrimSpace(params), " ", ""), "q=")
		if !ok {
			return true
		}
		v, err := strconv.ParseFloat(q, 64)
		return err == nil && v > 0
	}
	return false
}

package api

import (
	"net/http"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/search"
)

// searchRoutes are the search routes (see package search).
func (s *Server) searchRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/search", summary: "Search messages you may read (?q=&conversation_id=&sender_id=&from=&to=&has_file=&cursor=&limit=); the first page also finds people",
			auth: true, resp: "SearchPage", status: 200, h: s.search},
	}
}

func init() {
	rng := obj("start", integer(), "end", integer())
	result := obj("conversation_id", str(), "seq", integer(), "sender_id", str(), "text", str(), "created_at", timeT(), "highlights", arr(rng))
	schemas["SearchPage"] = obj("results", arr(result), "groups", arr(obj("conversation_id", str(), "results", arr(result))),
		"people", arr(ref("User")), "next_cursor", str())
}

// searchTime parses a from/to bound: RFC 3339, or a date (YYYY-MM-DD, UTC)
// which as "to" means the end of that day.
func searchTime(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if d, err := time.Parse(time.DateOnly, v); err == nil {
		if name == "to" {
			d = d.AddDate(0, 0, 1)
		}
		return d, nil
	}
	return time.Time{}, tack.Invalid(name, "%s: a date (YYYY-MM-DD) or an RFC 3339 time", name)
}

func (s *Server) search(w http.ResponseWriter, r *http.Request) error {
	if s.cfg.Search == nil {
		return tack.Errorf(tack.EUnavailable, "search is not available on this server")
	}
	q := r.URL.Query()
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	from, err := searchTime(r, "from")
	if err != nil {
		return err
	}
	to, err := searchTime(r, "to")
	if err != nil {
		return err
	}
	var hasFile bool
	switch q.Get("has_file") {
	case "", "0", "false":
	case "1", "true":
		hasFile = true
	default:
		return tack.Invalid("has_file", "has_file is true or false")
	}
	req := search.Request{Q: q.Get("q"), ConversationID: tack.ID(q.Get("conversation_id")), SenderID: tack.ID(q.Get("sender_id")),
		From: from, To: to, HasFile: hasFile, Cursor: q.Get("cursor"), Limit: int(limit)}
	page, err := s.cfg.Search.Search(r.Context(), req)
	if err != nil {
		return err
	}
	// The first page of a search everywhere also names the people who
	// match, as GET /users?q= finds them (name, login, pinyin).
	people := []userHit{}
	if req.Cursor == "" && req.ConversationID == "" && req.SenderID == "" {
		users, err := s.cfg.Accounts.Search(r.Context(), req.Q, 5)
		if err != nil {
			return err
		}
		var ps []org.Person
		if s.cfg.Org != nil {
			if ps, err = s.cfg.Org.People(r.Context(), req.Q, 5); err != nil {
				return err
			}
		}
		people = s.awayHits(r, mergePeople(users, ps, 5))
	}
	writeJSON(w, http.StatusOK, map[string]any{"results": page.Results, "groups": page.Groups, "people": people, "next_cursor": page.NextCursor})
	return nil
}

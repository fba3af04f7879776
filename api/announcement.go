package api

import (
	"net/http"
	"strconv"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/circle"
)

func init() {
	file := obj("id", str(), "kind", str(), "name", str(), "size", integer(), "mime", str(), "url", str())
	view := obj("id", str(), "org_id", str(), "author_id", str(), "title", str(), "body", str(), "department_ids", arr(str()),
		"files", arr(file), "pinned", boolean(), "must_read", boolean(), "publish_at", timeT(), "published", boolean(),
		"created_at", timeT(), "read", boolean(), "read_at", timeT(), "read_count", integer(), "recipients", integer())
	for k, v := range map[string]any{
		"Announcement":  view,
		"Announcements": obj("announcements", arr(view)),
		"AnnouncementIn": obj("title", str(), "body", str(), "department_ids", arr(str()), "file_ids", arr(str()),
			"pinned", boolean(), "must_read", boolean(), "publish_at", timeT()),
		"AnnouncementPin":      obj("pinned", boolean()),
		"AnnouncementReceipts": obj("read", arr(obj("user_id", str(), "read_at", timeT())), "unread", arr(str()), "read_count", integer(), "unread_count", integer(), "counts_only", boolean()),
	} {
		schemas[k] = v
	}
}

// announcementRoutes are the routes of announcements (公告).
func (s *Server) announcementRoutes() []route {
	b := s.withBoard
	const p = "/api/v1/orgs/{org_id}/announcements"
	return []route{
		{method: "POST", path: p, summary: "Post (or schedule) an announcement (admins)", auth: true, req: "AnnouncementIn", resp: "Announcement", status: 201, h: b(s.postAnnouncement)},
		{method: "GET", path: p, summary: "Announcements you receive (admins: all, scheduled too), pinned first (?limit=)", auth: true, resp: "Announcements", status: 200, h: b(s.announcements)},
		{method: "GET", path: p + "/{announcement_id}", summary: "One announcement", auth: true, resp: "Announcement", status: 200, h: b(s.announcementAction(func(bd *circle.Board, r *http.Request, o, id tack.ID) (any, error) { return bd.Get(r.Context(), o, id) }))},
		{method: "POST", path: p + "/{announcement_id}/read", summary: "Mark an announcement read", auth: true, resp: "Announcement", status: 200, h: b(s.announcementAction(func(bd *circle.Board, r *http.Request, o, id tack.ID) (any, error) {
			return bd.MarkRead(r.Context(), o, id)
		}))},
		{method: "GET", path: p + "/{announcement_id}/receipts", summary: "Who has read an announcement and who has not (admins and its author)", auth: true, resp: "AnnouncementReceipts", status: 200, h: b(s.announcementAction(func(bd *circle.Board, r *http.Request, o, id tack.ID) (any, error) {
			return bd.Receipts(r.Context(), o, id)
		}))},
		{method: "PATCH", path: p + "/{announcement_id}", summary: "Pin or unpin an announcement (admins)", auth: true, req: "AnnouncementPin", resp: "Announcement", status: 200, h: b(s.pinAnnouncement)},
		{method: "DELETE", path: p + "/{announcement_id}", summary: "Delete an announcement (admins; a scheduled one is never published)", auth: true, status: 204, h: b(s.deleteAnnouncement)},
	}
}

func (s *Server) withBoard(h func(*circle.Board, http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Board == nil {
			return tack.Errorf(tack.EUnavailable, "announcements are not available on this server")
		}
		return h(s.cfg.Board, w, r)
	}
}

func (s *Server) postAnnouncement(bd *circle.Board, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in circle.AnnouncementInput
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := bd.Post(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) announcements(bd *circle.Board, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	limit := 0
	if q := r.URL.Query().Get("limit"); q != "" {
		if limit, err = strconv.Atoi(q); err != nil || limit == 0 {
			return tack.Invalid("limit", "limit must be between 1 and %d", circle.MaxPage)
		}
	}
	list, err := bd.List(r.Context(), id, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"announcements": list})
	return nil
}

func (s *Server) announcementAction(fn func(*circle.Board, *http.Request, tack.ID, tack.ID) (any, error)) func(*circle.Board, http.ResponseWriter, *http.Request) error {
	return func(bd *circle.Board, w http.ResponseWriter, r *http.Request) error {
		o, id, err := orgAnd(r, "announcement_id")
		if err != nil {
			return err
		}
		v, err := fn(bd, r, o, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func (s *Server) pinAnnouncement(bd *circle.Board, w http.ResponseWriter, r *http.Request) error {
	return s.announcementAction(func(bd *circle.Board, r *http.Request, o, id tack.ID) (any, error) {
		var in struct {
			Pinned *bool `json:"pinned"`
		}
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		if in.Pinned == nil {
			return nil, tack.Invalid("pinned", "pinned is required")
		}
		return bd.SetPinned(r.Context(), o, id, *in.Pinned)
	})(bd, w, r)
}

func (s *Server) deleteAnnouncement(bd *circle.Board, w http.ResponseWriter, r *http.Request) error {
	o, id, err := orgAnd(r, "announcement_id")
	if err != nil {
		return err
	}
	if err := bd.Delete(r.Context(), o, id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

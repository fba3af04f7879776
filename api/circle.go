package api

import (
	"net/http"
	"strconv"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/circle"
)

func init() {
	audience := obj("type", enum(circle.AudienceTypes...), "user_ids", arr(str()), "tag_ids", arr(str()), "org_id", str())
	tag := obj("id", str(), "name", str(), "user_ids", arr(str()), "updated_at", timeT())
	file := obj("id", str(), "kind", enum("image", "voice"), "name", str(), "size", integer(), "mime", str(), "width", integer(),
		"height", integer(), "duration_ms", integer(), "waveform", arr(integer()), "url", str(), "thumb_url", str())
	like := obj("moment_id", str(), "user_id", str(), "created_at", timeT())
	comment := obj("id", str(), "moment_id", str(), "author_id", str(), "reply_to", str(), "text", str(), "created_at", timeT())
	moment := obj("id", str(), "author_id", str(), "text", str(), "audience", audience, "files", arr(file), "created_at", timeT(),
		"edited_at", timeT(), "likes", arr(like), "comments", arr(comment), "liked", boolean())
	for k, v := range map[string]any{
		"Moment":         moment,
		"Moments":        obj("moments", arr(moment), "next_cursor", str()),
		"MomentIn":       obj("text", str(), "audience", audience, "file_ids", arr(str())),
		"MomentEdit":     obj("text", str()),
		"Comment":        comment,
		"CommentIn":      obj("text", str(), "reply_to", str()),
		"MomentSettings": obj("visible_days", integer(), "updated_at", timeT()),
		"FriendTag":      tag,
		"FriendTags":     obj("tags", arr(tag)),
		"FriendTagIn":    obj("name", str(), "user_ids", arr(str())),
	} {
		schemas[k] = v
	}
}

// circleRoutes are the routes of moments (see package circle and
// docs/circles.md).
func (s *Server) circleRoutes() []route {
	c := s.withCircle
	const p = "/api/v1/moments"
	return []route{
		{method: "POST", path: p, summary: "Post a moment to an audience (friends, only, except, private, colleagues)", auth: true, req: "MomentIn", resp: "Moment", status: 201, h: c(s.postMoment)},
		{method: "GET", path: p, summary: "Your timeline, newest first (?cursor=&limit=)", auth: true, resp: "Moments", status: 200, h: c(s.timeline)},
		{method: "GET", path: p + "/{moment_id}", summary: "One moment (404 to whoever its audience leaves out)", auth: true, resp: "Moment", status: 200, h: c(s.getMoment)},
		{method: "PATCH", path: p + "/{moment_id}", summary: "Edit your moment's text (within 24 h)", auth: true, req: "MomentEdit", resp: "Moment", status: 200, h: c(s.editMoment)},
		{method: "DELETE", path: p + "/{moment_id}", summary: "Delete your moment with its likes, comments and images", auth: true, status: 204, h: c(s.deleteMoment)},
		{method: "POST", path: p + "/{moment_id}/comments", summary: "Comment on a moment (reply_to: the person answered)", auth: true, req: "CommentIn", resp: "Comment", status: 201, h: c(s.commentMoment)},
		{method: "DELETE", path: p + "/{moment_id}/comments/{comment_id}", summary: "Delete a comment (its writer or the moment's author)", auth: true, status: 204, h: c(s.deleteMomentComment)},
		{method: "PUT", path: p + "/{moment_id}/like", summary: "Like a moment", auth: true, resp: "Moment", status: 200, h: c(s.likeMoment(true))},
		{method: "DELETE", path: p + "/{moment_id}/like", summary: "Take back your like", auth: true, resp: "Moment", status: 200, h: c(s.likeMoment(false))},
		{method: "GET", path: "/api/v1/users/{user_id}/moments", summary: "Someone's moments that you may see (as far back as they allow visitors)", auth: true, resp: "Moments", status: 200, h: c(s.profileMoments)},
		{method: "GET", path: "/api/v1/me/moment-settings", summary: "Your moments settings", auth: true, resp: "MomentSettings", status: 200, h: c(s.momentSettings)},
		{method: "GET", path: "/api/v1/friend-tags", summary: "Your friend tags (only you see them)", auth: true, resp: "FriendTags", status: 200, h: c(s.friendTags)},
		{method: "POST", path: "/api/v1/friend-tags", summary: "Create a friend tag over some of your friends (a moment's audience may name it)", auth: true, req: "FriendTagIn", resp: "FriendTag", status: 201, h: c(s.createFriendTag)},
		{method: "PATCH", path: "/api/v1/friend-tags/{tag_id}", summary: "Rename a friend tag or replace its friends", auth: true, req: "FriendTagIn", resp: "FriendTag", status: 200, h: c(s.updateFriendTag)},
		{method: "DELETE", path: "/api/v1/friend-tags/{tag_id}", summary: "Delete a friend tag (moments posted to it keep their audience)", auth: true, status: 204, h: c(s.deleteFriendTag)},
		{method: "PUT", path: "/api/v1/me/moment-settings", summary: "Show visitors of your profile only the last 3 or 180 days (0: all)", auth: true, req: "MomentSettings", resp: "MomentSettings", status: 200, h: c(s.putMomentSettings)},
	}
}

// withCircle answers unavailable when the node has no circles.
func (s *Server) withCircle(h func(*circle.Service, http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Circle == nil {
			return tack.Errorf(tack.EUnavailable, "moments are not available on this server")
		}
		return h(s.cfg.Circle, w, r)
	}
}

func momentID(r *http.Request) (tack.ID, error) {
	id := tack.ID(r.PathValue("moment_id"))
	if !id.Valid() {
		return "", tack.Errorf(tack.ENotFound, "no such moment")
	}
	return id, nil
}

func pageArgs(r *http.Request) (string, int, error) {
	q := r.URL.Query()
	limit := 0
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return "", 0, tack.Invalid("limit", "limit must be a number")
		}
		if n == 0 {
			return "", 0, tack.Invalid("limit", "limit must be between 1 and %d", circle.MaxPage)
		}
		limit = n
	}
	return q.Get("cursor"), limit, nil
}

func (s *Server) postMoment(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	var in circle.PostInput
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := cs.Post(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) timeline(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	cursor, limit, err := pageArgs(r)
	if err != nil {
		return err
	}
	p, err := cs.Timeline(r.Context(), cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) profileMoments(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	uid, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	cursor, limit, err := pageArgs(r)
	if err != nil {
		return err
	}
	p, err := cs.Profile(r.Context(), uid, cursor, limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) getMoment(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := momentID(r)
	if err != nil {
		return err
	}
	v, err := cs.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) editMoment(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := momentID(r)
	if err != nil {
		return err
	}
	var in struct {
		Text *string `json:"text"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Text == nil {
		return tack.Invalid("text", "text is required")
	}
	v, err := cs.Edit(r.Context(), id, *in.Text)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) deleteMoment(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := momentID(r)
	if err != nil {
		return err
	}
	if err := cs.Delete(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) commentMoment(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := momentID(r)
	if err != nil {
		return err
	}
	var in circle.CommentInput
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := cs.AddComment(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) deleteMomentComment(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := momentID(r)
	if err != nil {
		return err
	}
	cid, err := pathID(r, "comment_id")
	if err != nil {
		return err
	}
	if err := cs.DeleteComment(r.Context(), id, cid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) likeMoment(on bool) func(*circle.Service, http.ResponseWriter, *http.Request) error {
	return func(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
		id, err := momentID(r)
		if err != nil {
			return err
		}
		v, err := cs.Like(r.Context(), id, on)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func (s *Server) momentSettings(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	set, err := cs.MySettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

func (s *Server) putMomentSettings(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	var in struct {
		VisibleDays *int `json:"visible_days"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.VisibleDays == nil {
		return tack.Invalid("visible_days", "visible_days is required")
	}
	set, err := cs.SetMySettings(r.Context(), circle.Settings{VisibleDays: *in.VisibleDays})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

func (s *Server) friendTags(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	ts, err := cs.Tags(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"tags": ts})
	return nil
}

func (s *Server) createFriendTag(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	var in circle.TagInput
	if err := decode(r, &in); err != nil {
		return err
	}
	t, err := cs.CreateTag(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, t)
	return nil
}

func tagID(r *http.Request) (tack.ID, error) {
	id := tack.ID(r.PathValue("tag_id"))
	if !id.Valid() {
		return "", tack.Errorf(tack.ENotFound, "no such tag")
	}
	return id, nil
}

func (s *Server) updateFriendTag(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := tagID(r)
	if err != nil {
		return err
	}
	var in circle.TagInput
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Name == nil && in.UserIDs == nil {
		return tack.Invalid("name", "name or user_ids is required")
	}
	t, err := cs.UpdateTag(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) deleteFriendTag(cs *circle.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := tagID(r)
	if err != nil {
		return err
	}
	if err := cs.DeleteTag(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

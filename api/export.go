package api

import (
	"net/http"
	"net/url"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/export"
	"github.com/tackhq/tack/retention"
)

func init() {
	record := obj("id", str(), "user_id", str(), "org_id", str(), "kind", enum(export.KindMine, export.KindOrg), "at", timeT())
	hold := obj("conversation_id", str(), "org_id", str(), "title", str(), "reason", str(), "set_by", str(), "created_at", timeT())
	for k, v := range map[string]any{
		"Exports":         obj("exports", arr(record)),
		"Retention":       obj("org_id", str(), "days", integer(), "updated_by", str(), "updated_at", timeT()),
		"RetentionIn":     obj("days", integer()),
		"LegalHold":       hold,
		"LegalHolds":      obj("holds", arr(hold)),
		"LegalHoldIn":     obj("reason", str()),
		"RetentionOfChat": obj("conversation_id", str(), "org_id", str(), "days", integer(), "legal_hold", boolean()),
	} {
		schemas[k] = v
	}
}

// exportRoutes are the routes of data exports, retention and legal holds
// (packages export and retention).
func (s *Server) exportRoutes() []route {
	x, rt := s.withExport, s.withRetention
	const o = "/api/v1/orgs/{org_id}"
	return []route{
		{method: "POST", path: "/api/v1/me/export", summary: "Export your own data: a ZIP of JSON (profile, sent messages, attendance, approvals) and your uploaded files (audited)", auth: true, status: 200, h: x(s.exportMine)},
		{method: "GET", path: "/api/v1/me/exports", summary: "Your exports of your own data, newest first", auth: true, resp: "Exports", status: 200, h: x(s.myExports)},
		{method: "POST", path: o + "/export", summary: "Export the organisation's directory and attendance (?from=&to=, YYYY-MM-DD, at most 62 days; owner and admins; audited)", auth: true, status: 200, h: x(s.exportOrg)},
		{method: "GET", path: o + "/exports", summary: "The organisation's exports, newest first (owner and admins)", auth: true, resp: "Exports", status: 200, h: x(s.orgExports)},
		{method: "GET", path: o + "/retention", summary: "The organisation's message retention (members)", auth: true, resp: "Retention", status: 200, h: rt(s.getRetention)},
		{method: "PUT", path: o + "/retention", summary: "Set the message retention in days, 0 to keep forever (owner and admins)", auth: true, req: "RetentionIn", resp: "Retention", status: 200, h: rt(s.putRetention)},
		{method: "GET", path: o + "/legal-holds", summary: "Groups under legal hold (owner and admins)", auth: true, resp: "LegalHolds", status: 200, h: rt(s.legalHolds)},
		{method: "PUT", path: o + "/legal-holds/{conversation_id}", summary: "Place one of the organisation's groups under legal hold: retention skips it (owner and admins)", auth: true, req: "LegalHoldIn", resp: "LegalHold", status: 200, h: rt(s.putLegalHold)},
		{method: "DELETE", path: o + "/legal-holds/{conversation_id}", summary: "Lift a legal hold (owner and admins)", auth: true, status: 204, h: rt(s.deleteLegalHold)},
		{method: "GET", path: "/api/v1/conversations/{id}/retention", summary: "The retention and legal hold that apply to a conversation (its members)", auth: true, resp: "RetentionOfChat", status: 200, h: rt(s.conversationRetention)},
	}
}

func (s *Server) withExport(h func(*export.Service, http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Export == nil {
			return tack.Errorf(tack.EUnavailable, "exports are not available on this server")
		}
		return h(s.cfg.Export, w, r)
	}
}

func (s *Server) withRetention(h func(*retention.Service, http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Retention == nil {
			return tack.Errorf(tack.EUnavailable, "retention is not available on this server")
		}
		return h(s.cfg.Retention, w, r)
	}
}

// sendExport streams a checked and logged export. Once the first byte is
// out an error can only cut the ZIP short (the client sees a broken
// archive); it is logged.
func (s *Server) sendExport(w http.ResponseWriter, r *http.Request, e *export.Export) error {
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", "attachment; filename=\""+asciiName(e.Name)+"\"; filename*=UTF-8''"+url.PathEscape(e.Name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := e.WriteTo(r.Context(), w); err != nil {
		s.log.Warn("export cut short", "export", e.Record.ID, "kind", e.Record.Kind, "err", err)
	}
	return nil
}

func (s *Server) exportMine(x *export.Service, w http.ResponseWriter, r *http.Request) error {
	e, err := x.Mine(r.Context())
	if err != nil {
		return err
	}
	return s.sendExport(w, r, e)
}

func (s *Server) exportOrg(x *export.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	e, err := x.Org(r.Context(), id, q.Get("from"), q.Get("to"))
	if err != nil {
		return err
	}
	return s.sendExport(w, r, e)
}

func (s *Server) myExports(x *export.Service, w http.ResponseWriter, r *http.Request) error {
	rs, err := x.Exports(r.Context(), "")
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"exports": rs})
	return nil
}

func (s *Server) orgExports(x *export.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	rs, err := x.Exports(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"exports": rs})
	return nil
}

func (s *Server) getRetention(rs *retention.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	p, err := rs.Policy(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) putRetention(rs *retention.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in struct {
		Days *int `json:"days"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Days == nil {
		return tack.Invalid("days", "days is required (0 keeps messages forever)")
	}
	p, err := rs.SetPolicy(r.Context(), id, *in.Days)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) legalHolds(rs *retention.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	hs, err := rs.Holds(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"holds": hs})
	return nil
}

func (s *Server) putLegalHold(rs *retention.Service, w http.ResponseWriter, r *http.Request) error {
	o, c, err := orgAnd(r, "conversation_id")
	if err != nil {
		return err
	}
	var in struct {
		Reason string `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	h, err := rs.PutHold(r.Context(), o, c, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, h)
	return nil
}

func (s *Server) deleteLegalHold(rs *retention.Service, w http.ResponseWriter, r *http.Request) error {
	o, c, err := orgAnd(r, "conversation_id")
	if err != nil {
		return err
	}
	if err := rs.RemoveHold(r.Context(), o, c); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) conversationRetention(rs *retention.Service, w http.ResponseWriter, r *http.Request) error {
	id := tack.ID(r.PathValue("id"))
	if !id.Valid() {
		return tack.Errorf(tack.ENotFound, "no such conversation")
	}
	info, err := rs.Conversation(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, info)
	return nil
}

package api

import (
	"net/http"
	"strconv"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/ding"
)

func init() {
	statusOf[ding.EQuota] = http.StatusTooManyRequests
	recipient := obj("user_id", str(), "quiet", boolean(), "confirmed_at", timeT())
	view := obj("id", str(), "org_id", str(), "sender_id", str(), "text", str(), "reason", str(),
		"channels", arr(enum(ding.Ladder...)), "emergency", boolean(), "quiet", boolean(), "escalate_after_s", integer(),
		"send_at", timeT(), "sent", boolean(), "reached", arr(str()), "reminded_at", timeT(), "created_at", timeT(),
		"confirmed", arr(str()), "unconfirmed", arr(str()), "recipients", arr(recipient))
	for k, v := range map[string]any{
		"Ding":   view,
		"Dings":  obj("dings", arr(view)),
		"DingIn": obj("user_ids", arr(str()), "text", str(), "channels", arr(enum(ding.Ladder...)), "reason", str(), "emergency", boolean(), "send_at", timeT(), "escalate_after_s", integer()),
		"DingSettings": obj("senders", enum(ding.SendersEveryone, ding.SendersAdmins, ding.SendersListed), "sender_ids", arr(str()),
			"quiet_quota", integer(), "daily_limit", integer(), "escalate_after_min", integer(),
			"receipts", enum(ding.ReceiptsOff, ding.ReceiptsChoice, ding.ReceiptsOn), "receipt_names_max", integer(), "updated_at", timeT()),
		"MyDingSettings": obj("hide_receipts", boolean(), "push_in_quiet", boolean(), "updated_at", timeT()),
	} {
		schemas[k] = v
	}
}

// dingRoutes are the DING routes (see package ding).
func (s *Server) dingRoutes() []route {
	d := s.withDing
	const p = "/api/v1/orgs/{org_id}/dings"
	return []route{
		{method: "POST", path: p, summary: "Send (or schedule) a DING to colleagues", auth: true, req: "DingIn", resp: "Ding", status: 201, h: d(s.sendDing)},
		{method: "GET", path: p, summary: "Your DINGs (?box=received|sent&limit=)", auth: true, resp: "Dings", status: 200, h: d(s.dings)},
		{method: "GET", path: p + "/{ding_id}", summary: "One DING with who confirmed and who not (its sender and recipients)", auth: true, resp: "Ding", status: 200, h: d(s.getDing)},
		{method: "POST", path: p + "/{ding_id}/confirm", summary: "Confirm a DING (收到; a recipient)", auth: true, resp: "Ding", status: 200, h: d(s.confirmDing)},
		{method: "POST", path: p + "/{ding_id}/remind", summary: "Remind the unconfirmed (the sender; every 5 minutes at most)", auth: true, resp: "Ding", status: 200, h: d(s.remindDing)},
		{method: "GET", path: "/api/v1/orgs/{org_id}/ding-settings", summary: "The organisation's DING and read-receipt rules", auth: true, resp: "DingSettings", status: 200, h: d(s.dingSettings)},
		{method: "PUT", path: "/api/v1/orgs/{org_id}/ding-settings", summary: "Set who may DING, quotas, escalation and the read-receipt policy (admins)", auth: true, req: "DingSettings", resp: "DingSettings", status: 200, h: d(s.putDingSettings)},
		{method: "GET", path: "/api/v1/me/ding-settings", summary: "Your read-receipt and quiet-hours choices", auth: true, resp: "MyDingSettings", status: 200, h: d(s.myDingSettings)},
		{method: "PUT", path: "/api/v1/me/ding-settings", summary: "Hide your read receipts (where allowed); push ordinary messages during quiet hours", auth: true, req: "MyDingSettings", resp: "MyDingSettings", status: 200, h: d(s.putMyDingSettings)},
	}
}

// withDing answers unavailable when the node has no DINGs.
func (s *Server) withDing(h func(*ding.Service, http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Ding == nil {
			return tack.Errorf(tack.EUnavailable, "DINGs are not available on this server")
		}
		return h(s.cfg.Ding, w, r)
	}
}

func (s *Server) sendDing(ds *ding.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in ding.Input
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := ds.Send(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) dings(ds *ding.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	limit := 0
	if q := r.URL.Query().Get("limit"); q != "" {
		if limit, err = strconv.Atoi(q); err != nil {
			return tack.Invalid("limit", "limit must be a number")
		}
	}
	vs, err := ds.List(r.Context(), id, r.URL.Query().Get("box"), limit)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"dings": vs})
	return nil
}

func (s *Server) dingAction(fn func(*ding.Service, *http.Request, tack.ID, tack.ID) (ding.View, error)) func(*ding.Service, http.ResponseWriter, *http.Request) error {
	return func(ds *ding.Service, w http.ResponseWriter, r *http.Request) error {
		o, id, err := orgAnd(r, "ding_id")
		if err != nil {
			return err
		}
		v, err := fn(ds, r, o, id)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

func (s *Server) getDing(ds *ding.Service, w http.ResponseWriter, r *http.Request) error {
	return s.dingAction(func(ds *ding.Service, r *http.Request, o, id tack.ID) (ding.View, error) {
		return ds.Get(r.Context(), o, id)
	})(ds, w, r)
}

func (s *Server) confirmDing(ds *ding.Service, w http.ResponseWriter, r *http.Request) error {
	return s.dingAction(func(ds *ding.Service, r *http.Request, o, id tack.ID) (ding.View, error) {
		return ds.Confirm(r.Context(), o, id)
	})(ds, w, r)
}

func (s *Server) remindDing(ds *ding.Service, w http.ResponseWriter, r *http.Request) error {
	return s.dingAction(func(ds *ding.Service, r *http.Request, o, id tack.ID) (ding.View, error) {
		return ds.Remind(r.Context(), o, id)
	})(ds, w, r)
}

func (s *Server) dingSettings(ds *ding.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	set, err := ds.Settings(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

func (s *Server) putDingSettings(ds *ding.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in ding.OrgSettings
	if err := decode(r, &in); err != nil {
		return err
	}
	set, err := ds.PutSettings(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

func (s *Server) myDingSettings(ds *ding.Service, w http.ResponseWriter, r *http.Request) error {
	set, err := ds.MySettings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

func (s *Server) putMyDingSettings(ds *ding.Service, w http.ResponseWriter, r *http.Request) error {
	var in ding.UserSettings
	if err := decode(r, &in); err != nil {
		return err
	}
	set, err := ds.SetMySettings(r.Context(), in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

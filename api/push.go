package api

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/push"
)

// pushRoutes are Web Push: the VAPID key, this device's subscription and
// the caller's push settings (docs/api.md, "Web Push").
func (s *Server) pushRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/push/key", summary: "The VAPID public key to subscribe with (applicationServerKey)", resp: "PushKey", status: 200, h: s.pushKey},
		{method: "POST", path: "/api/v1/push/subscriptions", summary: "Subscribe this device to pushes (a browser PushSubscription as JSON)", auth: true, req: "PushSubscription", resp: "PushSubscribed", status: 201, h: s.pushSubscribe},
		{method: "DELETE", path: "/api/v1/push/subscriptions", summary: "Unsubscribe a device of yours from pushes ({endpoint})", auth: true, req: "PushUnsubscribe", status: 204, h: s.pushUnsubscribe},
		{method: "GET", path: "/api/v1/me/push", summary: "Your push settings", auth: true, resp: "PushSettings", status: 200, h: s.pushSettings},
		{method: "PUT", path: "/api/v1/me/push", summary: "Change your push settings (previews: message text in pushes)", auth: true, req: "PushSettings", resp: "PushSettings", status: 200, h: s.setPushSettings},
	}
}

func init() {
	for k, v := range map[string]any{
		"PushKey":          obj("key", str()),
		"PushSubscription": obj("endpoint", str(), "expirationTime", integer(), "keys", obj("p256dh", str(), "auth", str())),
		"PushSubscribed":   obj("endpoint", str(), "expiration_time", timeT(), "created_at", timeT()),
		"PushUnsubscribe":  obj("endpoint", str()),
		"PushSettings":     obj("previews", boolean()),
	} {
		schemas[k] = v
	}
}

func (s *Server) pushService() (*push.Service, error) {
	if s.cfg.Push == nil {
		return nil, tack.Errorf(tack.EUnavailable, "push is not available on this server")
	}
	return s.cfg.Push, nil
}

func (s *Server) pushKey(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pushService()
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"key": p.Key()})
	return nil
}

func (s *Server) pushSubscribe(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pushService()
	if err != nil {
		return err
	}
	var in push.SubscriptionInput
	if err := decode(r, &in); err != nil {
		return err
	}
	sub, err := p.Subscribe(r.Context(), in)
	if err != nil {
		return err
	}
	out := map[string]any{"endpoint": sub.Endpoint, "expiration_time": nil, "created_at": sub.CreatedAt}
	if !sub.ExpiresAt.IsZero() {
		out["expiration_time"] = sub.ExpiresAt
	}
	writeJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) pushUnsubscribe(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pushService()
	if err != nil {
		return err
	}
	var in struct {
		Endpoint string `json:"endpoint"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := p.Unsubscribe(r.Context(), in.Endpoint); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) pushSettings(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pushService()
	if err != nil {
		return err
	}
	set, err := p.Settings(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

func (s *Server) setPushSettings(w http.ResponseWriter, r *http.Request) error {
	p, err := s.pushService()
	if err != nil {
		return err
	}
	var in struct {
		Previews *bool `json:"previews"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Previews == nil {
		return tack.Invalid("previews", "previews is required (true or false)")
	}
	set, err := p.SetSettings(r.Context(), push.Settings{Previews: *in.Previews})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, set)
	return nil
}

// pushMetrics registers the push counters.
func pushMetrics(reg *prometheus.Registry, p *push.Service) {
	counter := func(name, help string, v interface{ Load() int64 }) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, func() float64 { return float64(v.Load()) })
	}
	reg.MustRegister(
		counter("tack_push_sent_total", "Pushes a push service accepted.", &p.Sent),
		counter("tack_push_failed_total", "Pushes given up on (refused, or retried too often).", &p.Failed),
		counter("tack_push_retried_total", "Pushes retried after a 429 or 5xx.", &p.Retried),
		counter("tack_push_gone_total", "Subscriptions removed because their push service said they are gone.", &p.Gone),
		counter("tack_push_dropped_total", "Push work dropped because the queue was full.", &p.Dropped),
	)
}

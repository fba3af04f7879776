// Package api serves Tack over HTTP: the REST API under /api/v1, the
// WebSocket stream, the OpenAPI document, health and metrics, and the web
// client. Handlers translate between HTTP and the services; they decide
// nothing themselves.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/circle"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/export"
	"github.com/tackhq/tack/hub"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/media"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/platform"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/retention"
	"github.com/tackhq/tack/search"
)

// MaxBody is the largest request body accepted, and MaxFrame the largest
// WebSocket message from a client.
const (
	MaxBody  = 64 << 10
	MaxFrame = 64 << 10
)

// Config wires a Server.
type Config struct {
	// StreamPing is how often a quiet stream is pinged (and its session
	// re-checked); a client that does not answer within 15 s is dropped.
	// Zero means 30 s.
	StreamPing time.Duration
	Accounts   *account.Service
	Chat       *chat.Service
	Hub        *hub.Hub
	// Org serves organisations and the directory; nil leaves their routes
	// answering unavailable.
	Org *org.Service
	// Attendance serves clocking in; nil leaves its routes answering
	// unavailable.
	Attendance *attendance.Service
	// Presence says who is online; nil reports nobody online.
	Presence interface{ Online(user tack.ID) bool }
	// Web serves the web client for every path outside the API; nil serves 404.
	Web http.Handler
	// Ready reports whether the node can serve (database reachable).
	Ready  func(ctx context.Context) error
	Logger *slog.Logger
	// Registry receives the server's metrics; nil makes a new one.
	Registry *prometheus.Registry
	// Push serves Web Push subscriptions and settings; nil leaves their
	// routes answering unavailable.
	Push *push.Service
	// Approval and Leave serve approvals and leave; nil leaves their
	// routes answering unavailable.
	Approval *approval.Service
	Leave    *leave.Service
	// Media serves files; nil leaves their routes answering unavailable.
	Media *media.Service
	// Search serves GET /search; nil leaves it answering unavailable.
	Search *search.Service
	// Platform serves robots, apps, event deliveries and the module
	// switchboard; nil leaves their routes answering unavailable.
	Platform *platform.Service
	// Ding is urgent messages and the receipt and quiet-hours settings
	// (nil: unavailable).
	Ding *ding.Service
	// Export makes data exports; Retention keeps retention policies and
	// legal holds (nil: unavailable).
	Export    *export.Service
	Retention *retention.Service
	// Circle is moments (nil: unavailable).
	Circle *circle.Service
	// Board is organisations' announcements (nil: unavailable).
	Board *circle.Board
	// Journal is work reports (nil: unavailable).
	Journal *circle.Journal
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names
	// the client; from anyone else the header is ignored.
	TrustedProxies []netip.Prefix
	// MetricsToken, when set, serves /metrics on this handler to requests
	// that carry it as a bearer token; empty serves no metrics here (see
	// MetricsHandler).
	MetricsToken string
	// MaxAnonConnsPerAddr caps the connections one client address may hold
	// open before authenticating (see Listener); 0 or less: no cap.
	MaxAnonConnsPerAddr int
	// Disk reports the data directory's free space for /healthz and
	// /metrics; nil reports nothing.
	Disk func() DiskStatus
	// BusReceived counts, by event kind, the events the node's bus has
	// delivered to it, for tack_bus_events_received_total; nil reports
	// nothing (the in-process bus).
	BusReceived func() map[string]uint64
}

// Server is the HTTP handler of a node.
type Server struct {
	cfg     Config
	log     *slog.Logger
	mux     *http.ServeMux
	routes  []route
	reqs    *prometheus.CounterVec
	latency *prometheus.HistogramVec
	ctx     context.Context // ends at shutdown
	stop    context.CancelFunc
	// wheel pings the live streams and closes them at shutdown (see
	// pinger); made with the first stream.
	wheel     *pinger
	wheelOnce sync.Once

	metricsHandler http.Handler
	guard          *connGuard // nil: no per-address cap
}

type route struct {
	method, path, summary string
	auth                  bool
	req, resp             string // schema names for the OpenAPI document
	status                int
	h                     func(w http.ResponseWriter, r *http.Request) error
	maxBody               int64 // 0: MaxBody (file uploads take more)
}

// New returns a Server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
		cfg.Registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s := &Server{cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	s.ctx, s.stop = context.WithCancel(context.Background())
	s.reqs = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "tack_http_requests_total", Help: "HTTP requests by route and status."}, []string{"route", "status"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "tack_http_request_seconds", Help: "HTTP request latency by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}}, []string{"route"})
	cfg.Registry.MustRegister(s.reqs, s.latency)
	if cfg.MaxAnonConnsPerAddr > 0 {
		s.guard = &connGuard{max: cfg.MaxAnonConnsPerAddr, open: make(map[string]int)}
		g := s.guard
		cfg.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tack_http_conns_refused_total",
			Help: "Connections refused because their address held too many that had not authenticated."},
			func() float64 { return float64(g.refused.Load()) }))
	}
	if disk := cfg.Disk; disk != nil {
		cfg.Registry.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tack_data_free_bytes", Help: "Free bytes on the file system of the data directory."},
				func() float64 { return float64(disk().FreeBytes) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tack_data_min_free_bytes", Help: "Free bytes below which writes are refused."},
				func() float64 { return float64(disk().MinFreeBytes) }),
		)
	}
	if h := cfg.Hub; h != nil {
		cfg.Registry.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "tack_stream_connections", Help: "Live WebSocket connections on this node."},
				func() float64 { return float64(h.Connections.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tack_stream_events_delivered_total", Help: "Events written to clients."},
				func() float64 { return float64(h.Delivered.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tack_stream_dropped_total", Help: "Connections dropped for falling behind."},
				func() float64 { return float64(h.Dropped.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tack_stream_healed_total", Help: "Event gaps filled from the store."},
				func() float64 { return float64(h.Healed.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tack_stream_bus_unsynced_total", Help: "Times the bus could not confirm a new interest (disconnected from NATS)."},
				func() float64 { return float64(h.Unsynced.Load()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tack_stream_policy_closed_total", Help: "Connections closed with 1008 for leaving too many replies unread."},
				func() float64 { return float64(h.Policy.Load()) }),
		)
	}
	if cfg.Push != nil {
		pushMetrics(cfg.Registry, cfg.Push)
	}
	if p := cfg.Platform; p != nil {
		cfg.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "tack_platform_message_events_dropped_total",
			Help: "Message events for apps and outgoing robots dropped because the node's event queue was full."},
			func() float64 { return float64(p.Dropped()) }))
	}
	if cfg.BusReceived != nil {
		cfg.Registry.MustRegister(busCollector(cfg.BusReceived))
	}
	s.metricsHandler = promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{})
	s.routes = s.table()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.path, s.wrap(rt))
	}
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /metrics", s.metrics)
	s.mux.HandleFunc("GET /api/v1/openapi.json", s.openapi)
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, s.log, tack.Errorf(tack.ENotFound, "no such endpoint: %s %s", r.Method, r.URL.Path))
	})
	if cfg.Web != nil {
		s.mux.Handle("/", cfg.Web)
	}
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	pace(w, r)
	s.mux.ServeHTTP(w, s.realClient(r))
}

// Shutdown closes every stream with a going-away status.
func (s *Server) Shutdown(ctx context.Context) {
	if s.cfg.Hub != nil {
		s.cfg.Hub.Shutdown(ctx)
	}
	s.stop()
}

// healthz answers {"status": "ok"|"degraded"|"unavailable", "disk": {...}}:
// unavailable (503) when the database does not answer; degraded (still
// 200: reads work) when the data directory's disk is low or full.
func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	out := map[string]any{"status": "ok"}
	if s.cfg.Disk != nil {
		d := s.cfg.Disk()
		out["disk"] = d
		if d.Low || d.Full {
			out["status"] = "degraded"
		}
	}
	if s.cfg.Ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := s.cfg.Ready(ctx); err != nil {
			s.log.Error("health check", "err", err)
			out["status"] = "unavailable"
			writeJSON(w, http.StatusServiceUnavailable, out)
			return
		}
	}
	writeJSON(w, http.StatusOK, out)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wrap adds body limits, authentication, CSRF checks, error rendering and
// metrics around a handler.
func (s *Server) wrap(rt route) http.Handler {
	name := rt.method + " " + rt.path
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		w.Header().Set("Cache-Control", "no-store")
		limit := int64(MaxBody)
		if rt.maxBody > 0 {
			limit = rt.maxBody
		}
		r.Body = http.MaxBytesReader(sw, r.Body, limit)
		err := func() error {
			if rt.auth {
				ctx, err := s.authenticate(r)
				if err != nil {
					return err
				}
				r = r.WithContext(ctx)
				authenticated(r)
			}
			return rt.h(sw, r)
		}()
		if err != nil {
			writeError(sw, r, s.log, err)
		}
		if rt.path != "/api/v1/stream" {
			s.latency.WithLabelValues(name).Observe(time.Since(start).Seconds())
		}
		s.reqs.WithLabelValues(name, strconv.Itoa(sw.status)).Inc()
	})
}

const (
	sessionCookie = "tack_session"
	csrfCookie    = "tack_csrf"
	csrfHeader    = "X-CSRF-Token"
)

// authenticate finds the caller from a bearer token or the session cookie.
// Cookie-authenticated writes must carry the session's CSRF token (see
// csrfFor) in a header.
func (s *Server) authenticate(r *http.Request) (context.Context, error) {
	token, viaCookie := "", false
	if h := r.Header.Get("Authorization"); h != "" {
		t, ok := strings.CutPrefix(h, "Bearer ")
		if !ok {
			return nil, tack.Errorf(tack.EUnauthorized, "use Authorization: Bearer <token>")
		}
		token = strings.TrimSpace(t)
	} else if c, err := r.Cookie(sessionCookie); err == nil {
		token, viaCookie = c.Value, true
	}
	if token == "" {
		return nil, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if viaCookie && r.Method != http.MethodGet && r.Method != http.MethodHead && !validCSRF(token, r.Header.Get(csrfHeader)) {
		return nil, tack.Errorf(tack.EForbidden, "missing or wrong %s header", csrfHeader)
	}
	sess, err := s.cfg.Accounts.Authenticate(r.Context(), token)
	if err != nil {
		return nil, err
	}
	return tack.WithCaller(r.Context(), tack.Caller{UserID: sess.UserID, SessionID: sess.ID}), nil
}

// statusOf maps error codes to HTTP statuses.
var statusOf = map[string]int{
	tack.EInvalid:      http.StatusBadRequest,
	tack.EUnauthorized: http.StatusUnauthorized,
	tack.EForbidden:    http.StatusForbidden,
	tack.ENotFound:     http.StatusNotFound,
	tack.EConflict:     http.StatusConflict,
	tack.EExpired:      http.StatusConflict,
	tack.ERefused:      http.StatusForbidden,
	tack.ETooLarge:     http.StatusRequestEntityTooLarge,
	tack.ERateLimited:  http.StatusTooManyRequests,
	tack.EUnavailable:  http.StatusServiceUnavailable,
	tack.EInternal:     http.StatusInternalServerError,
	tack.EUnsupported:  http.StatusUnsupportedMediaType,

	tack.ETimeout:             http.StatusRequestTimeout,
	tack.EInsufficientStorage: http.StatusInsufficientStorage,
}

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
}

func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		err = tack.Errorf(tack.ETooLarge, "request body is larger than %d bytes", MaxBody)
	}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away
	}
	code := tack.ErrorCode(err)
	var te *tack.Error
	field := ""
	if errors.As(err, &te) {
		field = te.Field
	}
	if code == tack.EInternal {
		log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	status := statusOf[code]
	if code == tack.ERateLimited {
		w.Header().Set("Retry-After", retryAfter(te))
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: tack.ErrorMessage(err), Field: field}})
}

// retryAfter is the Retry-After of a rate-limit error: its wait in whole
// seconds, rounded up; 1 when the error does not say.
func retryAfter(e *tack.Error) string {
	if e == nil || e.RetryAfter <= 0 {
		return "1"
	}
	return strconv.FormatInt(int64((e.RetryAfter+time.Second-1)/time.Second), 10)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// decode reads a JSON body into v: malformed JSON, wrong types and trailing
// data are invalid input. Unknown fields are ignored, so that clients newer
// than the server (or sending extra context) keep working.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return tack.Invalid("body", "unexpected data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	if _, ok := err.(*tack.Error); ok {
		return err // from the body reader: too slow
	}
	var mbe *http.MaxBytesError
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	var own *tack.Error
	switch {
	case errors.As(err, &own):
		return own // a value's own decoder said what is wrong (leave amounts)
	case errors.As(err, &mbe):
		return tack.Errorf(tack.ETooLarge, "request body is larger than %d bytes", MaxBody)
	case errors.Is(err, io.EOF):
		return tack.Invalid("body", "request body is empty; send a JSON object")
	case errors.As(err, &te):
		return tack.Invalid(te.Field, "%s must be %s", te.Field, te.Type.String())
	case errors.As(err, &se):
		return tack.Invalid("body", "malformed JSON at byte %d", se.Offset)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return tack.Invalid(f, "unknown field %q", f)
	}
	return tack.Invalid("body", "malformed JSON")
}

func clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func pathID(r *http.Request, name string) (tack.ID, error) {
	id := tack.ID(r.PathValue(name))
	if !id.Valid() {
		if name == "id" {
			return "", tack.Errorf(tack.ENotFound, "no such conversation")
		}
		return "", tack.Errorf(tack.ENotFound, "no such %s", strings.TrimSuffix(name, "_id"))
	}
	return id, nil
}

func pathSeq(r *http.Request) (int64, error) {
	n, err := strconv.ParseInt(r.PathValue("seq"), 10, 64)
	if err != nil || n <= 0 {
		return 0, tack.Errorf(tack.ENotFound, "no such message")
	}
	return n, nil
}

func queryInt(r *http.Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, tack.Invalid(name, "%s must be a whole number ≥ 0", name)
	}
	return n, nil
}

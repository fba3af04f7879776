// Package node wires one Tack server node from its parts: a store (SQLite or
// PostgreSQL), a bus (in-process or NATS), the services, the hub and the
// HTTP API. It reads no flags or environment: cmd/tack and tests hand it a
// Config.
package node

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/acme/autocert"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/api"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/attendance"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/bus/inmem"
	natsbus "github.com/tackhq/tack/bus/nats"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/circle"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/ding"
	"github.com/tackhq/tack/export"
	"github.com/tackhq/tack/hub"
	"github.com/tackhq/tack/leave"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/media"
	"github.com/tackhq/tack/notify"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/platform"
	"github.com/tackhq/tack/postgres"
	"github.com/tackhq/tack/presence"
	"github.com/tackhq/tack/push"
	"github.com/tackhq/tack/push/webpush"
	"github.com/tackhq/tack/retention"
	"github.com/tackhq/tack/search"
	"github.com/tackhq/tack/sqlite"
	"github.com/tackhq/tack/web"
)

// Config describes a node. The zero value plus a DataDir is a working
// single node.
type Config struct {
	DataDir     string // SQLite database and media; used when PostgresURL is empty
	PostgresURL string // scale-out store
	NATSURL     string // scale-out bus
	// MaxGroupMembers caps groups (default 500, at most 10,000).
	MaxGroupMembers int
	// SendRate is messages per second per sender (bursts of 5×); default 20.
	SendRate float64
	// Durable fsyncs every SQLite commit.
	Durable bool
	// FastHash uses cheap password hashing: tests and benchmarks only.
	FastHash bool
	Logger   *slog.Logger

	// PushContact is how push services may reach the operator about this
	// server's pushes (the VAPID "sub"): an https URL or an email address.
	// Default: https://Domain, else an address at push.tack.invalid.
	PushContact string
	// PushAllowLoopback admits http:// push endpoints on the loopback
	// interface and lets pushes go to private addresses: tests only.
	PushAllowLoopback bool
	// PushWorkers send pushes concurrently (default 4). Tests use 1, so that
	// pushes leave in the order their messages were committed.
	PushWorkers int

	// TLSCert and TLSKey are PEM files of a certificate to serve HTTPS with
	// (reloaded when they change).
	TLSCert, TLSKey string
	// Domain serves HTTPS for this name with a certificate from an ACME CA
	// (Let's Encrypt unless ACMEDirectory says otherwise), kept in the
	// database and renewed automatically.
	Domain        string
	ACMEDirectory string // ACME directory URL; default Let's Encrypt
	ACMEEmail     string // contact for the CA (expiry warnings); optional
	// ACMEHTTPClient talks to the ACME CA; nil is the default client (tests
	// set one that trusts a test CA).
	ACMEHTTPClient *http.Client

	// SMTPURL (smtp://user:pass@host:port or smtps://...) and SMTPFrom
	// configure outgoing email; without them the node sends none (and
	// email logins cannot be verified).
	SMTPURL, SMTPFrom string
	// NoSignInAlerts turns off the account security bot's message on each
	// sign-in from a new device (tests that count conversations set it).
	NoSignInAlerts bool
	// PublicURL is where people open Tack (https://chat.example.com), used
	// for links in email (password resets). Default: https://Domain with
	// Domain; else empty, and emails carry codes instead of links (the
	// address is never taken from a request's Host header).
	PublicURL string
	// SMS sends text messages; nil: none (phone logins cannot be verified).
	SMS notify.SMS
	// Voice places the phone calls of a DING's last step; nil: none.
	Voice notify.Voice
	// TrustedProxies are reverse proxies whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// SessionIdle and SessionMax sign out sessions unused for that long, or
	// older than that; defaults 30 and 90 days.
	SessionIdle, SessionMax time.Duration
	// RegisterPerHour bounds new accounts per client address (IPv6: per
	// /64) and RegisterGlobalPerHour on the whole node; defaults 20 and 600.
	RegisterPerHour, RegisterGlobalPerHour float64
	// MetricsAddr serves /metrics on an address of its own (Serve opens
	// it); empty: none. MetricsToken also serves /metrics on the main
	// address to requests bearing it; empty: not there.
	MetricsAddr, MetricsToken string
	// Clock is the accounts' clock (session lifetimes, codes) and media's
	// (signed URLs): tests move
	// it; nil is the wall clock.
	Clock tack.Clock
	// StreamPing is how often quiet streams are pinged (default 30 s).
	StreamPing time.Duration
	// MaxStreamsPerUser caps one user's live streams on this node; the
	// next is refused (429 rate_limited). Default 20; negative: no cap.
	MaxStreamsPerUser int
	// MaxAnonConnsPerAddr caps the connections one client address may hold
	// open before authenticating; more are answered 429 and closed.
	// Default 256; negative: no cap. Behind a reverse proxy every client
	// shares its address: raise it or turn it off there.
	MaxAnonConnsPerAddr int
	// WALLimit bounds the SQLite WAL file in bytes (default 64 MiB).
	WALLimit int64
	// MinFreeBytes: below this much free space in DataDir, writes are
	// refused with insufficient_storage (507), and /healthz reports
	// degraded below twice as much. Default 64 MiB; negative: never.
	MinFreeBytes int64
	// Statfs, if set, replaces the query of DataDir's free bytes (tests
	// use it to fake a full disk).
	Statfs func(path string) (free uint64, err error)
	// AttendanceClock is the attendance service's clock (nil: the wall
	// clock); tests move it.
	AttendanceClock tack.Clock
	// AttendanceEvery is how often the attendance jobs run (planning days,
	// day close, erasing old coordinates); default 30 s, negative: never
	// (tests call Attendance.RunJobs themselves).
	AttendanceEvery time.Duration

	// MediaDir keeps uploaded files (default DataDir/media); S3URL
	// (https://KEY:SECRET@host/bucket) keeps them in S3-compatible storage
	// instead, as several nodes need.
	MediaDir, S3URL string
	// MediaLimits are the upload limits per kind (zero: media.DefaultLimits).
	MediaLimits media.Limits
	// MediaGrace keeps files no message carries this long (default 24 h;
	// negative: not at all). MediaEvery is how often the collector runs
	// (default 10 min; negative: never; tests call Media.Collect).
	MediaGrace, MediaEvery time.Duration
	// PlatformEvery is how often the event delivery worker looks for due
	// deliveries (default 1 s; negative: never). PlatformRetry is the
	// delivery retry policy (zero: the platform's defaults).
	PlatformEvery time.Duration
	PlatformRetry platform.Retry
	// RobotLimit overrides the per-robot message limit (DingTalk's 20 a
	// minute); benchmarks lift it to measure the pipeline.
	RobotLimit *limit.Keyed
	// DingMinEscalate is the shortest escalation delay a DING may ask for
	// (default 1 minute; tests lower it).
	DingMinEscalate time.Duration
	// RetentionClock is the time at which retention measures messages' age
	// (nil: the wall clock; tests move it forward). RetentionEvery is how
	// often an organisation with a retention policy is swept (default 1 h).
	RetentionClock tack.Clock
	RetentionEvery time.Duration
}

// Store is what a node needs of its database.
type Store interface {
	account.Store
	chat.Store
	Ping(ctx context.Context) error
	Close() error
}

// Node is a running node.
type Node struct {
	API      *api.Server
	Accounts *account.Service
	Chat     *chat.Service
	Org      *org.Service // nil when the store has no organisation tables
	Hub      *hub.Hub
	Store    Store
	Bus      bus.Bus
	Presence *presence.Tracker
	Push     *push.Service // nil when the store keeps no push subscriptions
	// Attendance is nil when the store has no attendance tables.
	Attendance *attendance.Service
	// Leave and Approval are nil when the store has no approval tables
	// (or the node no organisations and attendance).
	Leave    *leave.Service
	Approval *approval.Service
	// Media is nil when the store has no media tables or no blob store
	// was given (PostgreSQL without a DataDir, MediaDir or S3URL).
	Media *media.Service
	// Search is nil when the store keeps no search index.
	Search *search.Service
	// Platform is nil when the store has no platform tables.
	Platform *platform.Service
	// Deadlines runs durable deadlines (secret messages' burns, DING
	// escalations); nil when the store keeps none.
	Deadlines *deadline.Runner
	// Ding is urgent messages; nil without organisations.
	Ding *ding.Service
	// Circle is moments (friends' and colleague circles); nil when the
	// store keeps none.
	Circle *circle.Service
	// Board is organisations' announcements (公告); nil without them.
	Board *circle.Board
	// Journal is work reports (日志); nil without them.
	Journal  *circle.Journal
	receipts *receiptPolicy // chat's read-receipt policy, bound to Ding
	closers  []func()

	// Export makes data exports and Retention removes old messages; nil
	// without organisations (or a store that keeps neither).
	Export    *export.Service
	Retention *retention.Service

	tls       *tls.Config // nil: plain HTTP
	acme      *autocert.Manager
	domain    string
	log       *slog.Logger
	metricsLn net.Listener // nil without Config.MetricsAddr
	attClock  tack.Clock   // AttendanceClock: quiet hours are read at its time
}

// MetricsAddrError is Start's error when the metrics address cannot be
// listened on.
type MetricsAddrError struct{ Err error }

func (e *MetricsAddrError) Error() string { return "metrics address: " + e.Err.Error() }
func (e *MetricsAddrError) Unwrap() error { return e.Err }

// MetricsAddr returns the address /metrics is served on by itself (see
// Config.MetricsAddr), or nil.
func (n *Node) MetricsAddr() net.Addr {
	if n.metricsLn == nil {
		return nil
	}
	return n.metricsLn.Addr()
}

// Start opens the store and bus and wires the services.
func Start(ctx context.Context, cfg Config) (*Node, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	n := &Node{log: log}
	var err error
	var disk *diskWatch
	if cfg.DataDir != "" && cfg.MinFreeBytes >= 0 {
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		disk = &diskWatch{path: cfg.DataDir, min: uint64(cfg.MinFreeBytes), statfs: cfg.Statfs}
		if disk.min == 0 {
			disk.min = DefaultMinFreeBytes
		}
		if disk.statfs == nil {
			disk.statfs = statfs
		}
	}
	switch {
	case cfg.PostgresURL != "":
		n.Store, err = postgres.Open(ctx, cfg.PostgresURL)
	default:
		if cfg.DataDir == "" {
			return nil, errors.New("no data directory")
		}
		if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
			return nil, fmt.Errorf("data directory: %w", err)
		}
		opt := sqlite.Options{Durable: cfg.Durable, WALLimit: cfg.WALLimit}
		if disk != nil {
			opt.WriteGuard = disk.guard
		}
		n.Store, err = sqlite.Open(ctx, filepath.Join(cfg.DataDir, "tack.db"), opt)
	}
	if err != nil {
		return nil, err
	}
	n.closers = append(n.closers, func() { n.Store.Close() })
	// interest is the bus's routing by interest, which the hub drives;
	// nil on one node, where every event is for this node.
	var interest bus.Interest
	var busReceived func() map[string]uint64
	if cfg.NATSURL != "" {
		nb, err := natsbus.New(ctx, cfg.NATSURL, natsbus.WithLogger(log))
		if err != nil {
			n.Close()
			return nil, err
		}
		n.Bus, interest, busReceived = nb, nb, nb.Received
	} else {
		n.Bus = &inmem.Bus{}
	}
	n.closers = append(n.closers, func() { n.Bus.Close() })
	acfg := account.Config{SessionIdle: cfg.SessionIdle, SessionMax: cfg.SessionMax, Logger: log}
	if cfg.FastHash {
		acfg.Argon2 = account.Argon2Params{MemoryKiB: 64, Time: 1, Threads: 1}
	}
	if cfg.RegisterPerHour > 0 {
		acfg.RegisterPerAddress = &limit.Keyed{Rate: cfg.RegisterPerHour / 3600, Burst: max(1, cfg.RegisterPerHour)}
	}
	if cfg.RegisterGlobalPerHour > 0 {
		acfg.RegisterGlobal = &limit.Keyed{Rate: cfg.RegisterGlobalPerHour / 3600, Burst: max(1, cfg.RegisterGlobalPerHour/10)}
	}
	var mailer *notify.SMTP
	if cfg.SMTPURL != "" {
		m, err := notify.ParseSMTP(cfg.SMTPURL, cfg.SMTPFrom)
		if err != nil {
			n.Close()
			return nil, err
		}
		acfg.Mailer, mailer = m, m
	}
	if cfg.SMS != nil {
		acfg.Texter = cfg.SMS
	}
	public := strings.TrimRight(cfg.PublicURL, "/")
	if public == "" && cfg.Domain != "" {
		public = "https://" + cfg.Domain
	}
	if public != "" {
		// The token travels in the fragment: browsers send it to no server
		// and put it in no Referer.
		acfg.ResetLink = func(token string) string { return public + "/reset#" + token }
	}
	rate := cfg.SendRate
	if rate <= 0 {
		rate = 20
	}
	n.Accounts = account.NewService(n.Store, n.Bus, cfg.Clock, acfg)
	n.Presence = &presence.Tracker{}
	if err := n.setupTLS(cfg); err != nil {
		n.Close()
		return nil, err
	}
	// Pushes for a message are planned by the node that committed it: the
	// chat service publishes through pushTap, which hands its own events to
	// the push service; events heard from other nodes never are.
	var chatPub bus.Publisher = n.Bus
	if ds, ok := n.Store.(deadlineStore); ok {
		n.Deadlines = deadline.NewRunner(ds.Deadlines(), nil, log)
	}
	if ps, ok := n.Store.(push.Store); ok {
		keys, err := push.LoadKeys(ctx, ps)
		if err != nil {
			n.Close()
			return nil, err
		}
		contact := cfg.PushContact
		if contact == "" {
			contact = "mailto:push@push.tack.invalid"
			if cfg.Domain != "" {
				contact = "https://" + cfg.Domain
			}
		}
		pcfg := push.Config{AllowLoopback: cfg.PushAllowLoopback, Active: n.Presence, Workers: cfg.PushWorkers, Logger: log, Quiet: n.quietPush}
		if n.Deadlines != nil {
			pcfg.Deadlines, pcfg.QuietEnd = n.Deadlines, n.quietEnd // held pushes go out when quiet hours end
		}
		n.Push = push.NewService(ps, n.Store, n.Store, webpush.New(keys, contact, cfg.PushAllowLoopback), keys, nil, pcfg)
		if n.Deadlines != nil {
			n.Deadlines.Handle(push.HeldJob, n.Push.HandleHeld)
		}
		n.closers = append(n.closers, n.Push.Close) // runs after the chat service flushed its last events
		chatPub = pushTap{Publisher: n.Bus, push: n.Push}
	}
	var approvals atomic.Pointer[approval.Service]
	chatPub = messageTap{Publisher: chatPub, approvals: &approvals}
	var plat atomic.Pointer[platform.Service]
	var att atomic.Pointer[attendance.Service]
	chatPub = platformTap{Publisher: chatPub, plat: &plat}
	bots := &botExternals{store: n.Store}
	var people chat.People = n.Accounts
	ccfg := chat.Config{MaxGroupMembers: cfg.MaxGroupMembers, SendLimit: &limit.Keyed{Rate: rate, Burst: 5 * rate}, Logger: log}
	if os, ok := n.Store.(org.Store); ok {
		n.Org = org.NewService(os, n.Store, n.Accounts, n.Bus, nil, org.Config{Logger: log, Verifier: n.Accounts, SecondFactor: n.Accounts.HasSecondFactor,
			Events: orgEvents{platEvents{&plat}, &att}})
		people = n.Org // blocks and organisations' rules on whom one may chat with
		bots.org = n.Org
		ccfg.Externals = bots      // the approvals bot's chat is not external
		ccfg.Blocks = n.Org        // no messages in a direct chat across a block
		ccfg.GroupGate = n.Org     // who may add whom to groups
		ccfg.Acquaintances = n.Org // secret chats: friends or colleagues only
		// Organisations that switched secret chats off refuse new ones.
		ccfg.SecretGate = func(ctx context.Context, a, b tack.ID) error {
			if p := plat.Load(); p != nil {
				return p.SecretAllowed(ctx, a, b)
			}
			return nil
		}
		if _, ok := n.Store.(interface{ Dings() ding.Store }); ok {
			n.receipts = &receiptPolicy{chats: n.Store}
			ccfg.Receipts = n.receipts // organisations' read-receipt policies
		}
	}
	if n.Deadlines != nil {
		ccfg.Deadlines = n.Deadlines
	}
	if as, ok := n.Store.(interface{ Attendance() attendance.Store }); ok && n.Org != nil {
		n.Attendance = attendance.NewService(as.Attendance(), n.Org, cfg.AttendanceClock, attendance.Config{Logger: log, Events: platEvents{&plat}})
		att.Store(n.Attendance)
		n.attClock = cfg.AttendanceClock
		if cfg.AttendanceEvery >= 0 {
			every := cfg.AttendanceEvery
			if every == 0 {
				every = 30 * time.Second
			}
			actx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() { defer close(done); n.Attendance.Run(actx, every) }()
			n.closers = append(n.closers, func() { stop(); <-done })
		}
	}
	var guard func() error
	if disk != nil {
		guard = disk.guard
	}
	if err := n.startMedia(ctx, cfg, &ccfg, guard); err != nil {
		n.Close()
		return nil, err
	}
	n.Chat = chat.NewService(n.Store, chatPub, people, nil, ccfg)
	n.closers = append(n.closers, n.Chat.Close)
	n.startPlatform(cfg, &plat)
	if n.Deadlines != nil {
		n.Deadlines.Handle(chat.BurnJob, n.Chat.HandleBurn)
	}
	n.startDing(cfg, mailer, log)
	n.startCircle(cfg.Clock, log)
	if err := n.startApprovals(ctx, cfg, &approvals, bots); err != nil {
		n.Close()
		return nil, err
	}
	if !cfg.NoSignInAlerts {
		if err := n.startSignInAlerts(ctx, bots); err != nil {
			n.Close()
			return nil, err
		}
	}
	if err := n.startExport(ctx, cfg, log); err != nil {
		n.Close()
		return nil, err
	}
	presCh := make(chan *bus.Event, 4096)
	maxStreams := cfg.MaxStreamsPerUser
	if maxStreams == 0 {
		maxStreams = 20
	}
	n.Hub = hub.New(n.Chat, hub.Config{Logger: log, MaxStreamsPerUser: maxStreams, Interest: interest, OnPresence: func(user tack.ID, online bool, peers []tack.ID) {
		action := "offline"
		if online {
			action = "online"
		}
		b, _ := json.Marshal(map[string]any{"type": "presence", "user_id": user, "online": online})
		e := &bus.Event{Kind: bus.Presence, Subject: user, Action: action, Users: append(peers[:len(peers):len(peers)], user), Payload: b}
		select {
		case presCh <- e:
		default: // presence is best effort; heartbeats repair it
		}
	}})
	stopSweep := make(chan struct{})
	sweepDone := make(chan struct{})
	go n.sweepSessions(log, stopSweep, sweepDone)
	n.closers = append(n.closers, func() { close(stopSweep); <-sweepDone })
	stopPres := make(chan struct{})
	presDone := make(chan struct{})
	go n.presenceLoop(presCh, stopPres, presDone)
	n.closers = append(n.closers, func() { close(stopPres); <-presDone })
	cancel, err := n.Bus.Subscribe(func(e *bus.Event) {
		n.Accounts.HandleEvent(e)
		n.Chat.HandleEvent(e)
		n.Presence.Handle(e)
		n.Hub.Deliver(e)
	})
	if err != nil {
		n.Close()
		return nil, err
	}
	n.closers = append(n.closers, cancel)
	n.runDeadlines(log) // after every handler is registered
	anon := cfg.MaxAnonConnsPerAddr
	if anon == 0 {
		anon = 256
	}
	acfgAPI := api.Config{Presence: n.Presence, Accounts: n.Accounts, Chat: n.Chat, Org: n.Org, Attendance: n.Attendance, Approval: n.Approval, Leave: n.Leave, Media: n.Media, Platform: n.Platform, Ding: n.Ding, Export: n.Export, Retention: n.Retention, Hub: n.Hub, Web: web.Handler(), Ready: n.Store.Ping, Logger: log, Push: n.Push,
		TrustedProxies: cfg.TrustedProxies, MetricsToken: cfg.MetricsToken, MaxAnonConnsPerAddr: anon, StreamPing: cfg.StreamPing,
		BusReceived: busReceived}
	acfgAPI.Circle, acfgAPI.Board, acfgAPI.Journal = n.Circle, n.Board, n.Journal
	if ss, ok := n.Store.(search.Store); ok {
		n.Search = search.NewService(ss, &limit.Keyed{Rate: 5, Burst: 20})
		acfgAPI.Search = n.Search
	}
	if disk != nil {
		acfgAPI.Disk = disk.status
	}
	n.API = api.New(acfgAPI)
	if cfg.MetricsAddr != "" {
		if n.metricsLn, err = net.Listen("tcp", cfg.MetricsAddr); err != nil {
			n.Close()
			return nil, &MetricsAddrError{Err: err}
		}
		ln := n.metricsLn
		n.closers = append(n.closers, func() { ln.Close() })
	}
	return n, nil
}

// Close releases everything, in reverse order of opening: the bus
// subscription, the chat committer (flushing queued sends), the bus, the store.
func (n *Node) Close() {
	for i := len(n.closers) - 1; i >= 0; i-- {
		n.closers[i]()
	}
	n.closers = nil
}

// Serve serves on ln until ctx ends, then shuts down cleanly: it stops
// accepting, closes streams with a going-away status, lets in-flight
// requests finish (up to grace), flushes pending writes and closes the node.
// It serves HTTPS (with HSTS) when the node has a certificate (Config.TLSCert
// or Config.Domain), else plain HTTP.
func (n *Node) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	return n.ServeRedirect(ctx, ln, nil, grace)
}

// ServeRedirect is Serve, and also serves plain HTTP on httpLn (if not
// nil): ACME HTTP-01 challenges for Config.Domain, and a redirect of every
// other request to HTTPS on ln's port. Without TLS, httpLn must be nil.
func (n *Node) ServeRedirect(ctx context.Context, ln, httpLn net.Listener, grace time.Duration) error {
	var h http.Handler = n.API
	if n.tls != nil {
		h = withHSTS(h)
	}
	errLog := log.New(serverLog{n.log}, "", 0)
	// Headers must arrive within 10 s and bodies keep a minimum pace (see
	// api.Server.ServeHTTP); there is no whole-request ReadTimeout, which
	// would cut off WebSocket streams and long uploads. Connections that
	// have not authenticated are capped per address (api.Server.Listener).
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, TLSConfig: n.tls, ErrorLog: errLog,
		ConnContext: n.API.ConnContext}
	ln = n.API.Listener(ln)
	servers := []*http.Server{srv}
	errc := make(chan error, 2)
	if n.tls != nil {
		go func() { errc <- srv.ServeTLS(ln, "", "") }()
	} else {
		if httpLn != nil {
			n.Close()
			return errors.New("an HTTP redirect needs HTTPS to redirect to")
		}
		go func() { errc <- srv.Serve(ln) }()
	}
	if httpLn != nil {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		var rh http.Handler = n.redirect(port)
		if n.acme != nil {
			rh = n.acme.HTTPHandler(rh)
		}
		rs := &http.Server{Handler: rh, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: time.Minute, ErrorLog: errLog}
		servers = append(servers, rs)
		go func() { errc <- rs.Serve(httpLn) }()
	}
	if n.metricsLn != nil {
		msrv := &http.Server{Handler: metricsMux(n.API.MetricsHandler()), ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
		go msrv.Serve(n.metricsLn)
		defer msrv.Close()
	}
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	done := make(chan struct{})
	go func() { n.API.Shutdown(sctx); close(done) }()
	for _, s := range servers {
		if e := s.Shutdown(sctx); err == nil {
			err = e
		}
	}
	<-done
	n.Close()
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// pushTap publishes the chat service's events and hands them to the push
// service too: only this node's committed events, so each message is
// pushed once in a deployment however many nodes hear of it.
type pushTap struct {
	bus.Publisher
	push *push.Service
}

func (t pushTap) Publish(ctx context.Context, e *bus.Event) error {
	err := t.Publisher.Publish(ctx, e)
	t.push.HandleEvent(e)
	return err
}

// narrowPresence addresses a presence change only to those who may see it
// (colleagues and friends, no block either way, unless the user hides it;
// see org.Service.PresenceAudience) and to the user's own devices.
func (n *Node) narrowPresence(e *bus.Event) {
	if n.Org == nil || len(e.Users) == 0 {
		return
	}
	audience, err := n.Org.PresenceAudience(context.Background(), e.Subject, e.Users)
	if err != nil {
		audience = nil // tell nobody else
	}
	e.Users = append(audience, e.Subject)
}

// presenceLoop publishes presence changes in order, and every
// presence.Heartbeat re-announces the users online here so that other nodes
// keep them online (and forget them if this node dies).
func (n *Node) presenceLoop(ch chan *bus.Event, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(presence.Heartbeat)
	defer t.Stop()
	for {
		select {
		case e := <-ch:
			n.narrowPresence(e)
			_ = n.Bus.Publish(context.Background(), e)
		case <-t.C:
			n.Presence.Sweep()
			if users := n.Hub.OnlineUsers(); len(users) > 0 {
				_ = n.Bus.Publish(context.Background(), &bus.Event{Kind: bus.Presence, Action: "heartbeat", Users: users})
			}
		case <-stop:
			return
		}
	}
}

// metricsMux serves /metrics and nothing else.
func metricsMux(h http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", h)
	return mux
}

// sweepSessions signs out expired sessions every ten minutes (see
// account.Service.SweepSessions).
func (n *Node) sweepSessions(log *slog.Logger, stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			if _, err := n.Accounts.SweepSessions(ctx); err != nil {
				log.Warn("sweep sessions", "err", err)
			}
			cancel()
		case <-stop:
			return
		}
	}
}

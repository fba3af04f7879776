package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/node"
	"github.com/tackhq/tack/notify"
)

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	var c node.Config
	addr := fs.String("addr", envOr("TACK_ADDR", "127.0.0.1:8080"), "listen address (env TACK_ADDR)")
	fs.StringVar(&c.DataDir, "data", envOr("TACK_DATA", "./tack-data"), "data directory for the SQLite database and media (env TACK_DATA)")
	fs.StringVar(&c.PostgresURL, "db", envOr("TACK_DB", ""), "PostgreSQL URL for scale-out (env TACK_DB); empty uses SQLite in --data")
	fs.StringVar(&c.NATSURL, "nats", envOr("TACK_NATS", ""), "NATS URL for scale-out (env TACK_NATS); empty uses the in-process bus")
	fs.IntVar(&c.MaxGroupMembers, "max-group", 500, "largest group size (at most 10000)")
	fs.Float64Var(&c.SendRate, "send-rate", 20, "messages per second each sender may send (bursts of 5×)")
	fs.BoolVar(&c.Durable, "durable", false, "fsync every SQLite commit (survives power loss, not only process death)")
	fs.BoolVar(&c.FastHash, "insecure-fast-hash", false, "cheap password hashing, for tests and benchmarks only")
	fs.IntVar(&c.MaxStreamsPerUser, "max-streams", 20, "live streams one user may hold on this node (-1: no cap)")
	fs.IntVar(&c.MaxAnonConnsPerAddr, "max-anon-conns", 256, "connections one client address may hold open before signing in (-1: no cap; raise it behind a reverse proxy)")
	walMB := fs.Int64("wal-limit-mb", 64, "bound of the SQLite WAL file, MiB")
	minFreeMB := fs.Int64("min-free-mb", 64, "refuse writes (507 insufficient_storage) when the data directory has less free space, MiB (-1: never)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.TLSCert, "tls-cert", envOr("TACK_TLS_CERT", ""), "serve HTTPS with this PEM certificate (chain) file (env TACK_TLS_CERT); reloaded when it changes")
	fs.StringVar(&c.TLSKey, "tls-key", envOr("TACK_TLS_KEY", ""), "the PEM private key of --tls-cert (env TACK_TLS_KEY)")
	fs.StringVar(&c.Domain, "domain", envOr("TACK_DOMAIN", ""), "serve HTTPS for this domain with an automatic certificate from Let's Encrypt (env TACK_DOMAIN); then --addr defaults to :443 and --http-addr to :80")
	fs.StringVar(&c.ACMEEmail, "acme-email", envOr("TACK_ACME_EMAIL", ""), "contact address for the certificate authority (optional)")
	fs.StringVar(&c.ACMEDirectory, "acme-directory", envOr("TACK_ACME_DIRECTORY", ""), "ACME directory URL (default Let's Encrypt; e.g. its staging directory for trials)")
	httpAddr := fs.String("http-addr", envOr("TACK_HTTP_ADDR", ""), "with HTTPS: also listen for plain HTTP here, redirecting to HTTPS and answering ACME HTTP-01 challenges (env TACK_HTTP_ADDR)")
	fs.StringVar(&c.PushContact, "push-contact", envOr("TACK_PUSH_CONTACT", ""), "how push services may reach you about this server's pushes: mailto:you@example.com or an https URL (env TACK_PUSH_CONTACT)")
	fs.StringVar(&c.SMTPURL, "smtp", envOr("TACK_SMTP", ""), "mail server for outgoing email, smtp://user:pass@host:port or smtps://... (env TACK_SMTP); empty sends none")
	fs.StringVar(&c.SMTPFrom, "smtp-from", envOr("TACK_SMTP_FROM", ""), `sender of outgoing email, e.g. "Tack <noreply@example.com>" (env TACK_SMTP_FROM)`)
	fs.StringVar(&c.PublicURL, "public-url", envOr("TACK_PUBLIC_URL", ""), "the address people open Tack at, for links in email (env TACK_PUBLIC_URL); default https://DOMAIN with --domain, else emails carry codes")
	proxies := fs.String("trusted-proxy", envOr("TACK_TRUSTED_PROXY", ""), "comma-separated CIDRs of reverse proxies whose X-Forwarded-For names the client (env TACK_TRUSTED_PROXY)")
	fs.DurationVar(&c.SessionIdle, "session-idle", account.DefaultSessionIdle, "sign out sessions unused for this long")
	fs.DurationVar(&c.SessionMax, "session-max", account.DefaultSessionMax, "sign out sessions this long after sign-in, used or not")
	fs.Float64Var(&c.RegisterPerHour, "register-per-hour", 20, "new accounts per client address (IPv6: per /64) per hour")
	fs.Float64Var(&c.RegisterGlobalPerHour, "register-global-per-hour", 600, "new accounts per hour on this node, from everywhere")
	const defaultMetrics = "127.0.0.1:9090"
	fs.StringVar(&c.MetricsAddr, "metrics-addr", envOr("TACK_METRICS_ADDR", defaultMetrics), "serve /metrics on this address only (keep it private; empty: off)")
	fs.StringVar(&c.MediaDir, "media", envOr("TACK_MEDIA", ""), "directory for uploaded files (env TACK_MEDIA; default DATA/media)")
	fs.StringVar(&c.S3URL, "s3", envOr("TACK_S3", ""), "keep uploaded files in S3-compatible storage, https://KEY:SECRET@host/bucket (env TACK_S3); several nodes need it")
	fs.Int64Var(&c.MediaLimits.Image, "max-image-mb", 20, "largest image upload, MiB")
	fs.Int64Var(&c.MediaLimits.Voice, "max-voice-mb", 2, "largest voice clip upload, MiB")
	fs.Int64Var(&c.MediaLimits.File, "max-file-mb", 100, "largest file upload, MiB")
	fs.DurationVar(&c.MediaGrace, "media-grace", 24*time.Hour, "keep uploads that no message carries this long")
	fs.StringVar(&c.MetricsToken, "metrics-token", envOr("TACK_METRICS_TOKEN", ""), "also serve /metrics on --addr to requests with Authorization: Bearer TOKEN (env TACK_METRICS_TOKEN)")
	smsURL := fs.String("sms-url", envOr("TACK_SMS_URL", ""), "text-message gateway: POST {to, text} as JSON (docs/ding.md; env TACK_SMS_URL); empty sends none")
	smsToken := fs.String("sms-token", envOr("TACK_SMS_TOKEN", ""), "bearer token for --sms-url (env TACK_SMS_TOKEN)")
	voiceURL := fs.String("voice-url", envOr("TACK_VOICE_URL", ""), "voice-call gateway for DINGs: POST {to, text} as JSON, the text read aloud (docs/ding.md; env TACK_VOICE_URL); empty places none")
	voiceToken := fs.String("voice-token", envOr("TACK_VOICE_TOKEN", ""), "bearer token for --voice-url (env TACK_VOICE_TOKEN)")
	fs.Parse(args)
	if *voiceURL != "" {
		v, err := notify.NewHTTPVoice(*voiceURL, *voiceToken)
		if err != nil {
			return err
		}
		c.Voice = v
	}
	if *smsURL != "" {
		sms, err := notify.NewHTTPSMS(*smsURL, *smsToken)
		if err != nil {
			return err
		}
		c.SMS = sms
	}
	if (c.SMTPURL == "") != (c.SMTPFrom == "") {
		return fmt.Errorf("--smtp and --smtp-from go together")
	}
	for _, p := range strings.Split(*proxies, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		pfx, err := netip.ParsePrefix(p)
		if err != nil {
			a, aerr := netip.ParseAddr(p)
			if aerr != nil {
				return fmt.Errorf("--trusted-proxy %q: not a CIDR or an address", p)
			}
			pfx = netip.PrefixFrom(a, a.BitLen())
		}
		c.TrustedProxies = append(c.TrustedProxies, pfx.Masked())
	}
	if c.MediaLimits.Image <= 0 || c.MediaLimits.Voice <= 0 || c.MediaLimits.File <= 0 {
		return fmt.Errorf("--max-image-mb, --max-voice-mb and --max-file-mb must be positive")
	}
	c.MediaLimits.Image <<= 20
	c.MediaLimits.Voice <<= 20
	c.MediaLimits.File <<= 20
	if c.MediaGrace <= 0 {
		c.MediaGrace = -1 // collect unsent uploads at once
	}
	if c.SessionIdle <= 0 || c.SessionMax <= 0 {
		return fmt.Errorf("--session-idle and --session-max must be positive")
	}
	if c.RegisterPerHour <= 0 || c.RegisterGlobalPerHour <= 0 {
		return fmt.Errorf("--register-per-hour and --register-global-per-hour must be positive")
	}
	if len(c.MetricsToken) > 0 && len(c.MetricsToken) < 16 {
		return fmt.Errorf("--metrics-token must have at least 16 characters")
	}
	if c.Domain != "" {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["addr"] && os.Getenv("TACK_ADDR") == "" {
			*addr = ":443"
		}
		if !set["http-addr"] && os.Getenv("TACK_HTTP_ADDR") == "" {
			*httpAddr = ":80"
		}
	}
	if *httpAddr != "" && c.TLSCert == "" && c.Domain == "" {
		return fmt.Errorf("--http-addr redirects to HTTPS: give --tls-cert and --tls-key, or --domain")
	}
	if c.MaxStreamsPerUser == 0 || c.MaxAnonConnsPerAddr == 0 {
		return fmt.Errorf("--max-streams and --max-anon-conns must be positive, or -1 for no cap")
	}
	if *walMB < 1 {
		return fmt.Errorf("--wal-limit-mb must be at least 1")
	}
	c.WALLimit = *walMB << 20
	switch {
	case *minFreeMB < 0:
		c.MinFreeBytes = -1
	case *minFreeMB == 0:
		return fmt.Errorf("--min-free-mb must be positive, or -1 to never refuse writes")
	default:
		c.MinFreeBytes = *minFreeMB << 20
	}
	if c.MaxGroupMembers < 2 || c.MaxGroupMembers > chat.MaxMembers {
		return fmt.Errorf("--max-group must be between 2 and %d", chat.MaxMembers)
	}
	if c.SendRate <= 0 {
		return fmt.Errorf("--send-rate must be positive")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)
	c.Logger = log

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	n, err := node.Start(ctx, c)
	var merr *node.MetricsAddrError
	if errors.As(err, &merr) && c.MetricsAddr == defaultMetrics && errors.Is(err, syscall.EADDRINUSE) {
		// Another node on this machine has the default metrics port.
		log.Warn("metrics address in use; serving no separate metrics (set --metrics-addr)", "addr", defaultMetrics)
		c.MetricsAddr = ""
		n, err = node.Start(ctx, c)
	}
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		n.Close()
		return err
	}
	var httpLn net.Listener
	if *httpAddr != "" {
		if httpLn, err = net.Listen("tcp", *httpAddr); err != nil {
			ln.Close()
			n.Close()
			return err
		}
	}
	store, bus := "sqlite", "inmem"
	if c.PostgresURL != "" {
		store = "postgres"
	}
	if c.NATSURL != "" {
		bus = "nats"
	}
	scheme := "http"
	if n.TLS() {
		scheme = "https"
	}
	log.Info("tack serving", "addr", ln.Addr().String(), "scheme", scheme, "store", store, "bus", bus)
	if httpLn != nil {
		log.Info("redirecting plain HTTP to HTTPS", "addr", httpLn.Addr().String())
	}
	if a := n.MetricsAddr(); a != nil {
		log.Info("metrics", "addr", a.String())
	}
	fmt.Printf("listening on %s://%s\n", scheme, ln.Addr().String()) // a line scripts and tests wait for
	err = n.ServeRedirect(ctx, ln, httpLn, 15*time.Second)
	log.Info("stopped")
	return err
}

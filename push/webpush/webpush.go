// Package webpush posts pushes to browsers' push services: the payload
// encrypted for the subscription (RFC 8291, aes128gcm) and the request
// signed with the deployment's VAPID keys (RFC 8292), by
// github.com/SherClockHolmes/webpush-go. It implements push.Sender.
//
// It connects only to push services on the internet: an address that is
// loopback, private or link-local is refused when dialling (after DNS, so a
// name that resolves inward is refused too), unless AllowPrivate is set for
// tests. It follows no redirects and uses no proxy.
package webpush

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	wp "github.com/SherClockHolmes/webpush-go"

	"github.com/tackhq/tack/push"
)

// Sender posts pushes. Its zero value is not usable: use New.
type Sender struct {
	keys    push.Keys
	subject string
	client  *http.Client
}

// New returns a Sender signing with keys. subject is the contact a push
// service may use about misbehaviour (the VAPID "sub"): an https URL or
// an email address (with or without "mailto:"). allowPrivate lets it
// connect to loopback and private addresses: tests only.
func New(keys push.Keys, subject string, allowPrivate bool) *Sender {
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		d.Control = refusePrivate
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           d.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   16,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 15 * time.Second,
	}
	subject = strings.TrimPrefix(subject, "mailto:") // the library adds it to anything but https URLs
	return &Sender{keys: keys, subject: subject, client: &http.Client{
		Transport:     tr,
		Timeout:       20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func refusePrivate(network, address string, _ syscall.RawConn) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil || !push.PublicIP(ip) {
		return fmt.Errorf("push service address %s is not on the internet", host)
	}
	return nil
}

// Send implements push.Sender.
func (s *Sender) Send(ctx context.Context, to push.Subscription, payload []byte, o push.Options) error {
	urgency := wp.UrgencyNormal
	if o.Urgent {
		urgency = wp.UrgencyHigh
	}
	resp, err := wp.SendNotificationWithContext(ctx, payload, &wp.Subscription{
		Endpoint: to.Endpoint,
		Keys:     wp.Keys{P256dh: to.P256dh, Auth: to.Auth},
	}, &wp.Options{
		HTTPClient:      s.client,
		Subscriber:      s.subject,
		Topic:           o.Topic,
		TTL:             int(o.TTL / time.Second),
		Urgency:         urgency,
		VAPIDPublicKey:  s.keys.Public,
		VAPIDPrivateKey: s.keys.Private,
	})
	if err != nil {
		return scrub(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch st := resp.StatusCode; {
	case st >= 200 && st < 300:
		return nil
	case st == http.StatusNotFound || st == http.StatusGone:
		return push.ErrGone
	case st == http.StatusTooManyRequests || st >= 500:
		return &push.RetryError{Status: st, After: retryAfter(resp.Header.Get("Retry-After"))}
	default:
		return fmt.Errorf("push service answered %d", st)
	}
}

// scrub removes the endpoint URL from an error: it is a capability and
// must not reach the logs.
func scrub(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		host := "?"
		if u, perr := url.Parse(ue.URL); perr == nil {
			host = u.Host
		}
		return fmt.Errorf("%s %s: %w", ue.Op, host, ue.Err)
	}
	return err
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

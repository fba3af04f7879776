package ding

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/limit"
	"github.com/tackhq/tack/org"
)

// Config tunes the Service. The zero value is the production default.
type Config struct {
	// Quiet, if set, tells quiet hours; without it nobody is ever quiet.
	Quiet Quiet
	// Notifier reaches people outside the app; nil: app only.
	Notifier Notifier
	// Deadlines schedules sending and escalation; nil: no schedule, no
	// escalation.
	Deadlines Deadlines
	// MinEscalate is the shortest escalation delay a DING may ask for
	// (default 1 minute; tests lower it).
	MinEscalate time.Duration
	// SendLimit bounds DINGs per sender over short spans (default 10 a
	// minute), on top of the organisation's daily limit.
	SendLimit *limit.Keyed
	Logger    *slog.Logger
}

// Service holds every DING rule. It is safe for concurrent use.
type Service struct {
	gen   atomic.Int64 // settings changes made through this Service
	store Store
	dir   Directory
	bus   bus.Publisher
	clock tack.Clock
	cfg   Config
	log   *slog.Logger
}

// NewService returns a Service.
func NewService(store Store, dir Directory, pub bus.Publisher, clock tack.Clock, cfg Config) *Service {
	if cfg.MinEscalate <= 0 {
		cfg.MinEscalate = time.Minute
	}
	if cfg.SendLimit == nil {
		cfg.SendLimit = &limit.Keyed{Rate: 10.0 / 60, Burst: 10}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{store: store, dir: dir, bus: pub, clock: clock, cfg: cfg, log: cfg.Logger}
}

var errNoOrg = tack.Errorf(tack.ENotFound, "no such organisation")
var errNoDing = tack.Errorf(tack.ENotFound, "no such DING")

// member returns the caller's active membership of orgID, or ENotFound.
func (s *Service) member(ctx context.Context, orgID tack.ID) (org.Member, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return org.Member{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if !orgID.Valid() {
		return org.Member{}, errNoOrg
	}
	m, err := s.dir.DirectoryMember(ctx, orgID, uid)
	if errors.Is(err, tack.ErrNotFound) || err == nil && (m.Status != org.Active || m.UserID != uid) {
		return org.Member{}, errNoOrg
	}
	if err != nil {
		return org.Member{}, fmt.Errorf("member: %w", err)
	}
	return m, nil
}

func isAdmin(m org.Member) bool {
	return !m.Needs2FA && (m.Role == org.RoleOwner || m.Role == org.RoleAdmin) // see org.Service.DirectoryMember
}

// Settings returns orgID's settings, defaults filled in.
func (s *Service) settings(ctx context.Context, orgID tack.ID) (OrgSettings, error) {
	set, _, err := s.store.OrgSettings(ctx, orgID)
	if err != nil {
		return OrgSettings{}, fmt.Errorf("settings: %w", err)
	}
	return withDefaults(set), nil
}

func withDefaults(set OrgSettings) OrgSettings {
	if set.Senders == "" {
		set.Senders = SendersEveryone
	}
	if set.SenderIDs == nil {
		set.SenderIDs = []tack.ID{}
	}
	if set.QuietQuota == 0 {
		set.QuietQuota = DefaultQuietQuota
	}
	if set.DailyLimit == 0 {
		set.DailyLimit = DefaultDailyLimit
	}
	if set.EscalateAfterMin == 0 {
		set.EscalateAfterMin = DefaultEscalateMin
	}
	if set.Receipts == "" {
		set.Receipts = ReceiptsChoice
	}
	if set.ReceiptNamesMax == 0 {
		set.ReceiptNamesMax = DefaultReceiptNamesMax
	}
	return set
}

// Input is a DING to send.
type Input struct {
	UserIDs  []tack.ID `json:"user_ids"`
	Text     string    `json:"text"`
	Channels []string  `json:"channels"`
	Reason   string    `json:"reason"`
	// Emergency (organisation admins only) lets a DING into quiet hours
	// escalate past push.
	Emergency bool `json:"emergency"`
	// SendAt schedules it (nil: now).
	SendAt *time.Time `json:"send_at"`
	// EscalateAfterS overrides the organisation's escalation delay.
	EscalateAfterS int `json:"escalate_after_s"`
}

func validText(field, text string, maxRunes int, required bool) (string, error) {
	text = strings.TrimSpace(text)
	if !utf8.ValidString(text) {
		return "", tack.Invalid(field, "%s is not valid UTF-8", field)
	}
	for _, r := range text {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return "", tack.Invalid(field, "%s contains a control character", field)
		}
	}
	if required && text == "" {
		return "", tack.Invalid(field, "%s is empty", field)
	}
	if utf8.RuneCountInString(text) > maxRunes {
		return "", tack.Errorf(tack.ETooLarge, "%s is longer than %d characters", field, maxRunes)
	}
	return text, nil
}

// channels validates the chosen channels and returns them in ladder order,
// App first.
func channels(in []string) ([]string, error) {
	if len(in) == 0 {
		return []string{App, Push}, nil
	}
	out := []string{App}
	for _, c := range in {
		if !slices.Contains(Ladder, c) {
			return nil, tack.Invalid("channels", "unknown channel %q (app, push, email, sms, call)", c)
		}
	}
	for _, c := range Ladder[1:] {
		if slices.Contains(in, c) {
			out = append(out, c)
		}
	}
	return out, nil
}

// Send sends (or schedules) a DING from the caller to colleagues in orgID.
func (s *Service) Send(ctx context.Context, orgID tack.ID, in Input) (View, error) {
	me, err := s.member(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	set, err := s.settings(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	switch set.Senders {
	case SendersAdmins:
		if !isAdmin(me) {
			return View{}, tack.Errorf(tack.EForbidden, "in this organisation only admins send DINGs")
		}
	case SendersListed:
		if !isAdmin(me) && !slices.Contains(set.SenderIDs, me.UserID) {
			return View{}, tack.Errorf(tack.EForbidden, "in this organisation only the people the admins chose send DINGs")
		}
	}
	text, err := validText("text", in.Text, MaxTextRunes, true)
	if err != nil {
		return View{}, err
	}
	reason, err := validText("reason", in.Reason, MaxReasonRunes, false)
	if err != nil {
		return View{}, err
	}
	chans, err := channels(in.Channels)
	if err != nil {
		return View{}, err
	}
	if in.Emergency && !isAdmin(me) {
		return View{}, tack.Errorf(tack.EForbidden, "only organisation admins mark a DING an emergency")
	}
	if len(in.UserIDs) == 0 {
		return View{}, tack.Invalid("user_ids", "name at least one person")
	}
	if len(in.UserIDs) > MaxRecipients {
		return View{}, tack.Errorf(tack.ETooLarge, "user_ids: at most %d people", MaxRecipients)
	}
	now := s.clock.Now()
	sendAt := now
	if in.SendAt != nil {
		switch {
		case in.SendAt.Before(now.Add(-time.Minute)):
			return View{}, tack.Invalid("send_at", "send_at is in the past")
		case in.SendAt.After(now.Add(MaxSchedule)):
			return View{}, tack.Invalid("send_at", "a DING is scheduled at most 30 days ahead")
		case in.SendAt.After(now):
			sendAt = *in.SendAt
		}
	}
	escalate := time.Duration(set.EscalateAfterMin) * time.Minute
	if in.EscalateAfterS != 0 {
		escalate = time.Duration(in.EscalateAfterS) * time.Second
		if escalate < s.cfg.MinEscalate || escalate > MaxEscalate {
			return View{}, tack.Invalid("escalate_after_s", "escalate_after_s must be between %d and %d", int(s.cfg.MinEscalate/time.Second), int(MaxEscalate/time.Second))
		}
	}
	var recips []Recipient
	seen := map[tack.ID]bool{}
	anyQuiet := false
	for _, id := range in.UserIDs {
		if !id.Valid() {
			return View{}, tack.Invalid("user_ids", "%q is not a user ID", string(id))
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		if id == me.UserID {
			return View{}, tack.Invalid("user_ids", "you cannot DING yourself")
		}
		m, err := s.dir.DirectoryMember(ctx, orgID, id)
		if errors.Is(err, tack.ErrNotFound) || err == nil && (m.Status != org.Active || m.UserID != id) {
			return View{}, tack.Invalid("user_ids", "%s is not a member of this organisation", id)
		} else if err != nil {
			return View{}, fmt.Errorf("recipient: %w", err)
		}
		quiet := false
		if s.cfg.Quiet != nil {
			if quiet, err = s.cfg.Quiet.QuietAt(ctx, id, sendAt); err != nil {
				return View{}, fmt.Errorf("quiet hours: %w", err)
			}
		}
		anyQuiet = anyQuiet || quiet
		recips = append(recips, Recipient{UserID: id, Quiet: quiet})
	}
	if anyQuiet && reason == "" {
		return View{}, tack.Invalid("reason", "some of them are in their quiet hours: say why it cannot wait (the reason is shown to them)")
	}
	day := now.Add(-24 * time.Hour)
	n, err := s.store.CountSent(ctx, orgID, me.UserID, day, false)
	if err != nil {
		return View{}, fmt.Errorf("count: %w", err)
	}
	if n >= set.DailyLimit {
		return View{}, &tack.Error{Code: EQuota, Message: fmt.Sprintf("you sent %d DINGs in the last 24 hours, the organisation's limit", n), RetryAfter: time.Hour}
	}
	if anyQuiet {
		q, err := s.store.CountSent(ctx, orgID, me.UserID, day, true)
		if err != nil {
			return View{}, fmt.Errorf("count: %w", err)
		}
		if q >= set.QuietQuota {
			return View{}, &tack.Error{Code: EQuota, Field: "user_ids", RetryAfter: time.Hour,
				Message: fmt.Sprintf("you sent %d DINGs into quiet hours in the last 24 hours, your quota: wait until their quiet hours end", q)}
		}
	}
	if !s.cfg.SendLimit.Allow(string(me.UserID)) {
		return View{}, tack.Errorf(tack.ERateLimited, "sending DINGs too fast; slow down")
	}
	d := Ding{ID: tack.NewID(), OrgID: orgID, SenderID: me.UserID, Text: text, Reason: reason, Channels: chans,
		Emergency: in.Emergency, Quiet: anyQuiet, EscalateAfterS: int(escalate / time.Second), SendAt: sendAt,
		CreatedAt: now, Recipients: recips}
	if err := s.store.CreateDing(ctx, d); err != nil {
		return View{}, fmt.Errorf("create DING: %w", err)
	}
	if sendAt.After(now) {
		if err := s.schedule(ctx, SendJob, d.ID, sendAt); err != nil {
			return View{}, err
		}
	} else if err := s.deliver(ctx, d.ID); err != nil {
		return View{}, err
	}
	d, err = s.store.Ding(ctx, d.ID)
	if err != nil {
		return View{}, err
	}
	return view(d), nil
}

// Get returns a DING to its sender or one of its recipients.
func (s *Service) Get(ctx context.Context, orgID, id tack.ID) (View, error) {
	me, err := s.member(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	d, err := s.visible(ctx, orgID, id, me.UserID)
	if err != nil {
		return View{}, err
	}
	return view(d), nil
}

func (s *Service) visible(ctx context.Context, orgID, id, uid tack.ID) (Ding, error) {
	if !id.Valid() {
		return Ding{}, errNoDing
	}
	d, err := s.store.Ding(ctx, id)
	if errors.Is(err, tack.ErrNotFound) {
		return Ding{}, errNoDing
	} else if err != nil {
		return Ding{}, err
	}
	if d.OrgID != orgID || d.SenderID != uid && !d.has(uid) {
		return Ding{}, errNoDing
	}
	if d.SenderID != uid && !d.Sent {
		return Ding{}, errNoDing // scheduled: its recipients do not know of it yet
	}
	return d, nil
}

func (d Ding) has(uid tack.ID) bool {
	for _, r := range d.Recipients {
		if r.UserID == uid {
			return true
		}
	}
	return false
}

// List returns the caller's DINGs in orgID: box "sent" or "received".
func (s *Service) List(ctx context.Context, orgID tack.ID, box string, limit int) ([]View, error) {
	me, err := s.member(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if box == "" {
		box = "received"
	}
	if box != "sent" && box != "received" {
		return nil, tack.Invalid("box", `box must be "sent" or "received"`)
	}
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 200 {
		return nil, tack.Invalid("limit", "limit must be between 1 and 200")
	}
	ds, err := s.store.DingsOf(ctx, orgID, me.UserID, box == "sent", limit)
	if err != nil {
		return nil, fmt.Errorf("list: %w", err)
	}
	out := []View{}
	for _, d := range ds {
		if box == "received" && !d.Sent {
			continue
		}
		out = append(out, view(d))
	}
	return out, nil
}

// Confirm records the caller's 收到; the sender and the other recipients
// see it at once. Confirming twice is fine.
func (s *Service) Confirm(ctx context.Context, orgID, id tack.ID) (View, error) {
	me, err := s.member(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	d, err := s.visible(ctx, orgID, id, me.UserID)
	if err != nil {
		return View{}, err
	}
	if !d.has(me.UserID) {
		return View{}, tack.Errorf(tack.EForbidden, "only its recipients confirm a DING")
	}
	changed, err := s.store.Confirm(ctx, id, me.UserID, s.clock.Now())
	if err != nil {
		return View{}, fmt.Errorf("confirm: %w", err)
	}
	if d, err = s.store.Ding(ctx, id); err != nil {
		return View{}, err
	}
	v := view(d)
	if changed {
		s.publish(ctx, v, "confirmed")
		if len(v.Unconfirmed) == 0 && s.cfg.Deadlines != nil {
			if err := s.cfg.Deadlines.Cancel(ctx, EscalateJob, string(id)); err != nil {
				s.log.Warn("cancel escalation", "ding", id, "err", err)
			}
		}
	}
	return v, nil
}

// Remind reaches the unconfirmed again, in the app and by push (the
// sender; at most every 5 minutes).
func (s *Service) Remind(ctx context.Context, orgID, id tack.ID) (View, error) {
	me, err := s.member(ctx, orgID)
	if err != nil {
		return View{}, err
	}
	d, err := s.visible(ctx, orgID, id, me.UserID)
	if err != nil {
		return View{}, err
	}
	if d.SenderID != me.UserID {
		return View{}, tack.Errorf(tack.EForbidden, "only the sender reminds")
	}
	if !d.Sent {
		return View{}, tack.Errorf(tack.EConflict, "the DING is not sent yet")
	}
	v := view(d)
	if len(v.Unconfirmed) == 0 {
		return View{}, tack.Errorf(tack.EConflict, "everyone confirmed")
	}
	now := s.clock.Now()
	ok, err := s.store.SetReminded(ctx, id, now, now.Add(-RemindEvery))
	if err != nil {
		return View{}, fmt.Errorf("remind: %w", err)
	}
	if !ok {
		return View{}, tack.RateLimited(RemindEvery, "remind at most every 5 minutes")
	}
	d.RemindedAt = &now
	s.reach(ctx, d, 0, "reminded")
	return view(d), nil
}

// PutSettings replaces orgID's settings (organisation admins).
func (s *Service) PutSettings(ctx context.Context, orgID tack.ID, in OrgSettings) (OrgSettings, error) {
	me, err := s.member(ctx, orgID)
	if err != nil {
		return OrgSettings{}, err
	}
	if !isAdmin(me) {
		return OrgSettings{}, tack.Errorf(tack.EForbidden, "only organisation admins change these settings")
	}
	switch in.Senders {
	case "", SendersEveryone, SendersAdmins, SendersListed:
	default:
		return OrgSettings{}, tack.Invalid("senders", `senders must be "everyone", "admins" or "listed"`)
	}
	if len(in.SenderIDs) > 1000 {
		return OrgSettings{}, tack.Errorf(tack.ETooLarge, "sender_ids: at most 1000")
	}
	for _, id := range in.SenderIDs {
		if !id.Valid() {
			return OrgSettings{}, tack.Invalid("sender_ids", "%q is not a user ID", string(id))
		}
	}
	for _, c := range []struct {
		field    string
		v, lo, h int
	}{{"quiet_quota", in.QuietQuota, 0, 50}, {"daily_limit", in.DailyLimit, 0, 1000}, {"escalate_after_min", in.EscalateAfterMin, 0, 1440},
		{"receipt_names_max", in.ReceiptNamesMax, 0, 10000}} {
		if c.v < c.lo || c.v > c.h {
			return OrgSettings{}, tack.Invalid(c.field, "%s must be between %d and %d (0: the default)", c.field, c.lo, c.h)
		}
	}
	switch in.Receipts {
	case "", ReceiptsOff, ReceiptsChoice, ReceiptsOn:
	default:
		return OrgSettings{}, tack.Invalid("receipts", `receipts must be "off", "choice" or "on"`)
	}
	in.UpdatedAt = s.clock.Now()
	if err := s.store.PutOrgSettings(ctx, orgID, in); err != nil {
		return OrgSettings{}, fmt.Errorf("settings: %w", err)
	}
	s.gen.Add(1)
	return withDefaults(in), nil
}

// Settings returns orgID's settings (any member may read them).
func (s *Service) Settings(ctx context.Context, orgID tack.ID) (OrgSettings, error) {
	if _, err := s.member(ctx, orgID); err != nil {
		return OrgSettings{}, err
	}
	return s.settings(ctx, orgID)
}

// MySettings returns the caller's own settings.
func (s *Service) MySettings(ctx context.Context) (UserSettings, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return UserSettings{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	m, err := s.store.UserSettings(ctx, []tack.ID{uid})
	if err != nil {
		return UserSettings{}, err
	}
	return m[uid], nil
}

// SetMySettings replaces the caller's own settings.
func (s *Service) SetMySettings(ctx context.Context, in UserSettings) (UserSettings, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return UserSettings{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	in.UpdatedAt = s.clock.Now()
	if err := s.store.PutUserSettings(ctx, uid, in); err != nil {
		return UserSettings{}, fmt.Errorf("settings: %w", err)
	}
	s.gen.Add(1)
	return in, nil
}

func view(d Ding) View {
	v := View{ID: d.ID, OrgID: d.OrgID, SenderID: d.SenderID, Text: d.Text, Reason: d.Reason, Channels: d.Channels,
		Emergency: d.Emergency, Quiet: d.Quiet, EscalateAfterS: d.EscalateAfterS, SendAt: d.SendAt, Sent: d.Sent,
		RemindedAt: d.RemindedAt, CreatedAt: d.CreatedAt, Confirmed: []tack.ID{}, Unconfirmed: []tack.ID{},
		Recipients: d.Recipients, Reached: []string{}}
	if v.Recipients == nil {
		v.Recipients = []Recipient{}
	}
	if d.Sent {
		v.Reached = reached(d.Channels, d.Level)
	}
	for _, r := range d.Recipients {
		if r.ConfirmedAt != nil {
			v.Confirmed = append(v.Confirmed, r.UserID)
		} else {
			v.Unconfirmed = append(v.Unconfirmed, r.UserID)
		}
	}
	return v
}

// publish tells the sender and the recipients of a DING's change.
func (s *Service) publish(ctx context.Context, v View, action string) {
	users := []tack.ID{v.SenderID}
	for _, r := range v.Recipients {
		users = append(users, r.UserID)
	}
	b, _ := json.Marshal(map[string]any{"type": EventKind, "action": action, "ding": v})
	if err := s.bus.Publish(ctx, &bus.Event{Kind: EventKind, Users: users, Subject: v.ID, Action: action, Payload: b}); err != nil {
		s.log.Warn("publish DING", "err", err)
	}
}

// PushesInQuiet reports whether userID chose to have ordinary messages
// pushed during quiet hours (for the push service; no caller checks).
func (s *Service) PushesInQuiet(ctx context.Context, userID tack.ID) (bool, error) {
	m, err := s.store.UserSettings(ctx, []tack.ID{userID})
	if err != nil {
		return false, err
	}
	return m[userID].PushInQuiet, nil
}

// SettingsGeneration changes whenever settings change through this
// Service (caches of receipt views compare it).
func (s *Service) SettingsGeneration() int64 { return s.gen.Load() }

package circle

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/deadline"
	"github.com/tackhq/tack/org"
)

// Announcements (公告): an organisation's (or some departments') notices,
// written by admins, in a safe markdown subset, with attachments, pinned or
// not, and optionally "must read" with who has and has not read. A
// scheduled one is published by the durable deadline queue exactly once;
// its notifications wait for each recipient's quiet hours to end.

// Announcement limits.
const (
	MaxTitle         = 100
	MaxBody          = 20000
	MaxAttachments   = 9
	MaxDepartments   = 50
	PublishJob       = "announce"        // deadline kind: publish a scheduled announcement
	NotifyJob        = "announce-notify" // deadline kind: tell those who were in quiet hours
	AnnouncementKind = "announcement"    // bus event and stream frame type
	// QuietRetry is how long a notification waits before asking again
	// whether its recipient's quiet hours have ended; after QuietMax it goes
	// anyway (in the app only: push respects quiet hours itself).
	QuietRetry = 15 * time.Minute
	QuietMax   = 24 * time.Hour
)

// Announcement is a notice as stored.
type Announcement struct {
	ID            tack.ID           `json:"id"`
	OrgID         tack.ID           `json:"org_id"`
	AuthorID      tack.ID           `json:"author_id"`
	Title         string            `json:"title"`
	Body          string            `json:"body"` // markdown subset; clients render it, escaping everything else
	DepartmentIDs []tack.ID         `json:"department_ids"`
	Files         []chat.Attachment `json:"files"`
	Pinned        bool              `json:"pinned"`
	MustRead      bool              `json:"must_read"`
	PublishAt     time.Time         `json:"publish_at"`
	Published     bool              `json:"published"`
	CreatedAt     time.Time         `json:"created_at"`
	// ReadAt is when the user the store was asked for read it (lists).
	ReadAt *time.Time `json:"read_at,omitempty"`
}

// Receipt is one recipient's state.
type Receipt struct {
	UserID   tack.ID    `json:"user_id"`
	ReadAt   *time.Time `json:"read_at,omitempty"`
	Notified bool       `json:"-"`
}

// AnnouncementStore keeps announcements. Errors: tack.ErrNotFound for a
// missing row.
type AnnouncementStore interface {
	CreateAnnouncement(ctx context.Context, a Announcement) error
	Announcement(ctx context.Context, id tack.ID) (Announcement, error)
	// Announcements lists orgID's announcements, pinned first then newest:
	// with all, every one (scheduled too); else the published ones userID
	// receives. ReadAt is userID's.
	Announcements(ctx context.Context, orgID, userID tack.ID, all bool, limit int) ([]Announcement, error)
	// PublishAnnouncement marks it published and stores its recipients,
	// once: false if it was published already.
	PublishAnnouncement(ctx context.Context, id tack.ID, recipients []tack.ID) (bool, error)
	SetPinned(ctx context.Context, id tack.ID, pinned bool) error
	// DeleteAnnouncement deletes it with its receipts and unpins its files.
	DeleteAnnouncement(ctx context.Context, id tack.ID) error
	// MarkRead records userID's reading, once; false if already read or
	// userID is no recipient.
	MarkRead(ctx context.Context, id, userID tack.ID, at time.Time) (bool, error)
	// Receipts lists every recipient's state.
	Receipts(ctx context.Context, id tack.ID) ([]Receipt, error)
	// MarkNotified records that users were notified.
	MarkNotified(ctx context.Context, id tack.ID, users []tack.ID) error
}

// Directory is what announcements need of the organisation (org.Service).
type Directory interface {
	DirectoryMember(ctx context.Context, orgID, id tack.ID) (org.Member, error)
	DirectoryDepartments(ctx context.Context, orgID tack.ID) ([]org.Department, error)
	DirectoryActiveMembers(ctx context.Context, orgID tack.ID, paths []string) ([]org.Member, error)
}

// Quiet says whether someone is in their quiet hours (attendance.Service).
type Quiet interface {
	QuietAt(ctx context.Context, userID tack.ID, t time.Time) (bool, error)
}

// Deadlines schedules jobs (deadline.Runner).
type Deadlines interface {
	Schedule(ctx context.Context, j deadline.Job, earlier bool) error
	Cancel(ctx context.Context, kind, key string) error
}

// Notifier reaches recipients outside the app (push); optional.
type Notifier interface {
	Announce(ctx context.Context, users []tack.ID, a Announcement)
}

// ReceiptRule is what one viewer may see of others' receipts on an
// announcement under its organisation's read-receipt policy.
type ReceiptRule struct {
	Show  bool // receipts at all (counts, or names too)
	Names bool // who, not only how many
	// Hidden, if set, says whose reads the viewer never sees as reads
	// (they count as unread).
	Hidden func(reader tack.ID) bool
}

// ReceiptPolicy is an organisation's read-receipt policy (package ding):
// the rule for viewer among recipients (all of them, viewer included).
type ReceiptPolicy interface {
	AnnouncementReceipts(ctx context.Context, orgID, viewer tack.ID, recipients []tack.ID) (ReceiptRule, error)
}

// BoardConfig configures a Board.
type BoardConfig struct {
	Quiet     Quiet
	Deadlines Deadlines // nil: scheduling refused, publishing at once only
	Notifier  Notifier
	// Receipts is the read-receipt policy; nil: admins and the author see
	// every receipt by name.
	Receipts ReceiptPolicy
	Logger   *slog.Logger
}

// Board holds the rules of announcements.
type Board struct {
	store AnnouncementStore
	dir   Directory
	files chat.Files
	urls  URLs
	bus   bus.Publisher
	clock tack.Clock
	cfg   BoardConfig
	log   *slog.Logger
}

// NewBoard returns a Board.
func NewBoard(store AnnouncementStore, dir Directory, files chat.Files, urls URLs, pub bus.Publisher, clock tack.Clock, cfg BoardConfig) *Board {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Board{store: store, dir: dir, files: files, urls: urls, bus: pub, clock: clock, cfg: cfg, log: cfg.Logger}
}

var errNoOrg = tack.Errorf(tack.ENotFound, "no such organisation")
var errNoAnnouncement = tack.Errorf(tack.ENotFound, "no such announcement")

func (b *Board) member(ctx context.Context, orgID tack.ID) (org.Member, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return org.Member{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if !orgID.Valid() {
		return org.Member{}, errNoOrg
	}
	m, err := b.dir.DirectoryMember(ctx, orgID, uid)
	if errors.Is(err, tack.ErrNotFound) || err == nil && (m.Status != org.Active || m.UserID != uid) {
		return org.Member{}, errNoOrg
	}
	return m, err
}

func isAdmin(m org.Member) bool { return m.Role == org.RoleOwner || m.Role == org.RoleAdmin }

// AnnouncementInput is a new announcement.
type AnnouncementInput struct {
	Title         string     `json:"title"`
	Body          string     `json:"body"`
	DepartmentIDs []tack.ID  `json:"department_ids"`
	FileIDs       []tack.ID  `json:"file_ids"`
	Pinned        bool       `json:"pinned"`
	MustRead      bool       `json:"must_read"`
	PublishAt     *time.Time `json:"publish_at"`
}

// AnnouncementView is an announcement as one member sees it: whether they
// read it, and (for admins and its author) how many of how many did.
type AnnouncementView struct {
	Announcement
	Files      []File `json:"files"`
	Read       bool   `json:"read"`
	ReadCount  *int   `json:"read_count,omitempty"`
	Recipients *int   `json:"recipients,omitempty"`
}

// validBody checks the markdown subset's text: valid UTF-8, no control
// characters, no raw HTML tags (clients render the subset and escape
// everything else; the server refuses what would only be dropped).
func validBody(body string) (string, error) {
	body, err := validText("body", body, MaxBody)
	if err != nil {
		return "", err
	}
	lower := strings.ToLower(body)
	for _, bad := range []string{"<script", "<iframe", "<img", "<a ", "javascript:", "<style", "<svg", "<object", "<embed"} {
		if strings.Contains(lower, bad) {
			return "", tack.Invalid("body", "body is markdown: bold, italics, headings, lists, quotes and http(s) links; no HTML")
		}
	}
	return body, nil
}

// Post writes an announcement (admins): published now, or scheduled.
func (b *Board) Post(ctx context.Context, orgID tack.ID, in AnnouncementInput) (AnnouncementView, error) {
	m, err := b.member(ctx, orgID)
	if err != nil {
		return AnnouncementView{}, err
	}
	if !isAdmin(m) {
		return AnnouncementView{}, tack.Errorf(tack.EForbidden, "only admins post announcements")
	}
	title, err := validText("title", in.Title, MaxTitle)
	if err != nil {
		return AnnouncementView{}, err
	}
	if title == "" || strings.ContainsAny(title, "\n\t") {
		return AnnouncementView{}, tack.Invalid("title", "a title is one line of text")
	}
	body, err := validBody(in.Body)
	if err != nil {
		return AnnouncementView{}, err
	}
	if len(in.DepartmentIDs) > MaxDepartments {
		return AnnouncementView{}, tack.Errorf(tack.ETooLarge, "department_ids: at most %d", MaxDepartments)
	}
	depts := []tack.ID{}
	if len(in.DepartmentIDs) > 0 {
		all, err := b.dir.DirectoryDepartments(ctx, orgID)
		if err != nil {
			return AnnouncementView{}, err
		}
		for _, id := range in.DepartmentIDs {
			if !slices.ContainsFunc(all, func(d org.Department) bool { return d.ID == id }) {
				return AnnouncementView{}, tack.Invalid("department_ids", "%q is no department of this organisation", id)
			}
			if !slices.Contains(depts, id) {
				depts = append(depts, id)
			}
		}
	}
	if len(in.FileIDs) > MaxAttachments {
		return AnnouncementView{}, tack.Errorf(tack.ETooLarge, "file_ids: at most %d", MaxAttachments)
	}
	files := []chat.Attachment{}
	if len(in.FileIDs) > 0 {
		for _, id := range in.FileIDs {
			if !id.Valid() {
				return AnnouncementView{}, tack.Invalid("file_ids", "%q is not a file ID", id)
			}
		}
		if b.files == nil {
			return AnnouncementView{}, tack.Errorf(tack.EUnavailable, "files are not available on this server")
		}
		if files, err = b.files.Attachments(ctx, in.FileIDs); err != nil {
			return AnnouncementView{}, err
		}
	}
	now := b.clock.Now().UTC().Truncate(time.Microsecond)
	at := now
	if in.PublishAt != nil && in.PublishAt.After(now) {
		if b.cfg.Deadlines == nil {
			return AnnouncementView{}, tack.Errorf(tack.EUnavailable, "scheduling is not available on this server")
		}
		if in.PublishAt.After(now.Add(366 * 24 * time.Hour)) {
			return AnnouncementView{}, tack.Invalid("publish_at", "publish_at is at most a year ahead")
		}
		at = in.PublishAt.UTC().Truncate(time.Microsecond)
	}
	a := Announcement{ID: tack.NewID(), OrgID: orgID, AuthorID: m.UserID, Title: title, Body: body, DepartmentIDs: depts, Files: files,
		Pinned: in.Pinned, MustRead: in.MustRead, PublishAt: at, CreatedAt: now}
	if err := b.store.CreateAnnouncement(ctx, a); err != nil {
		return AnnouncementView{}, fmt.Errorf("announcement: %w", err)
	}
	if at.After(now) {
		data, _ := json.Marshal(map[string]tack.ID{"id": a.ID})
		if err := b.cfg.Deadlines.Schedule(ctx, deadline.Job{Kind: PublishJob, Key: string(a.ID), Due: at, Data: data}, false); err != nil {
			return AnnouncementView{}, err
		}
	} else if err := b.publish(ctx, a.ID); err != nil {
		return AnnouncementView{}, err
	}
	return b.Get(ctx, orgID, a.ID)
}

// publish resolves the recipients and publishes, once; then notifies.
func (b *Board) publish(ctx context.Context, id tack.ID) error {
	a, err := b.store.Announcement(ctx, id)
	if err != nil {
		return err
	}
	if a.Published {
		return nil
	}
	var paths []string
	if len(a.DepartmentIDs) > 0 {
		all, err := b.dir.DirectoryDepartments(ctx, a.OrgID)
		if err != nil {
			return err
		}
		paths = []string{}
		for _, d := range all {
			if slices.Contains(a.DepartmentIDs, d.ID) {
				paths = append(paths, d.Path)
			}
		}
	}
	ms, err := b.dir.DirectoryActiveMembers(ctx, a.OrgID, paths)
	if err != nil {
		return err
	}
	users := []tack.ID{}
	for _, m := range ms {
		if m.UserID != "" && !slices.Contains(users, m.UserID) {
			users = append(users, m.UserID)
		}
	}
	if !slices.Contains(users, a.AuthorID) {
		users = append(users, a.AuthorID)
	}
	ok, err := b.store.PublishAnnouncement(ctx, id, users)
	if err != nil || !ok {
		return err
	}
	return b.notify(ctx, a, false)
}

// notify tells the recipients not yet told who are out of their quiet
// hours (all of them when force), and schedules another try for the rest.
func (b *Board) notify(ctx context.Context, a Announcement, force bool) error {
	rs, err := b.store.Receipts(ctx, a.ID)
	if err != nil {
		return err
	}
	now := b.clock.Now()
	var tell, wait []tack.ID
	for _, r := range rs {
		if r.Notified {
			continue
		}
		quiet := false
		if b.cfg.Quiet != nil && !force && r.UserID != a.AuthorID {
			if quiet, err = b.cfg.Quiet.QuietAt(ctx, r.UserID, now); err != nil {
				b.log.Warn("quiet hours", "err", err)
				quiet = false
			}
		}
		if quiet {
			wait = append(wait, r.UserID)
		} else {
			tell = append(tell, r.UserID)
		}
	}
	// The next try for those in quiet hours is scheduled before anyone is
	// told: once the publish has been heard of, the retry is stored (a
	// publish run again after a crash finds the announcement published and
	// tells nobody).
	if len(wait) > 0 && b.cfg.Deadlines != nil {
		due := now.Add(QuietRetry)
		data, _ := json.Marshal(map[string]any{"id": a.ID, "force": now.Add(QuietRetry).Sub(a.PublishAt) >= QuietMax})
		if err := b.cfg.Deadlines.Schedule(ctx, deadline.Job{Kind: NotifyJob, Key: string(a.ID), Due: due, Data: data}, false); err != nil {
			return err
		}
	}
	if len(tell) > 0 {
		if err := b.store.MarkNotified(ctx, a.ID, tell); err != nil {
			return err
		}
		if b.bus != nil {
			p, _ := json.Marshal(map[string]any{"type": AnnouncementKind, "action": "published", "org_id": a.OrgID, "id": a.ID, "must_read": a.MustRead})
			if err := b.bus.Publish(ctx, &bus.Event{Kind: AnnouncementKind, Users: tell, Subject: a.ID, Action: "published", Payload: p}); err != nil {
				b.log.Warn("publish announcement", "err", err)
			}
		}
		if b.cfg.Notifier != nil {
			b.cfg.Notifier.Announce(ctx, slices.DeleteFunc(slices.Clone(tell), func(id tack.ID) bool { return id == a.AuthorID }), a)
		}
	}
	return nil
}

type boardJob struct {
	ID    tack.ID `json:"id"`
	Force bool    `json:"force"`
}

// HandlePublish is the deadline handler of PublishJob.
func (b *Board) HandlePublish(ctx context.Context, j deadline.Job) error {
	var jd boardJob
	if err := json.Unmarshal(j.Data, &jd); err != nil || !jd.ID.Valid() {
		return deadline.Permanent(fmt.Errorf("publish job data: %v", err))
	}
	err := b.publish(ctx, jd.ID)
	if errors.Is(err, tack.ErrNotFound) {
		return nil // deleted before its time
	}
	return err
}

// HandleNotify is the deadline handler of NotifyJob.
func (b *Board) HandleNotify(ctx context.Context, j deadline.Job) error {
	var jd boardJob
	if err := json.Unmarshal(j.Data, &jd); err != nil || !jd.ID.Valid() {
		return deadline.Permanent(fmt.Errorf("notify job data: %v", err))
	}
	a, err := b.store.Announcement(ctx, jd.ID)
	if errors.Is(err, tack.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	return b.notify(ctx, a, jd.Force)
}

// visible returns the announcement if the caller (member m) may read it:
// admins and its author always; others once published and a recipient.
func (b *Board) visible(ctx context.Context, m org.Member, orgID, id tack.ID) (Announcement, []Receipt, error) {
	if !id.Valid() {
		return Announcement{}, nil, errNoAnnouncement
	}
	a, err := b.store.Announcement(ctx, id)
	if errors.Is(err, tack.ErrNotFound) || err == nil && a.OrgID != orgID {
		return Announcement{}, nil, errNoAnnouncement
	} else if err != nil {
		return Announcement{}, nil, err
	}
	rs, err := b.store.Receipts(ctx, id)
	if err != nil {
		return Announcement{}, nil, err
	}
	if isAdmin(m) || a.AuthorID == m.UserID {
		return a, rs, nil
	}
	if !a.Published || !slices.ContainsFunc(rs, func(r Receipt) bool { return r.UserID == m.UserID }) {
		return Announcement{}, nil, errNoAnnouncement
	}
	return a, rs, nil
}

// rule returns what viewer may see of rs under the organisation's policy.
func (b *Board) rule(ctx context.Context, a Announcement, viewer tack.ID, rs []Receipt) (ReceiptRule, error) {
	if b.cfg.Receipts == nil {
		return ReceiptRule{Show: true, Names: true}, nil
	}
	ids := make([]tack.ID, len(rs))
	for i, r := range rs {
		ids[i] = r.UserID
	}
	rule, err := b.cfg.Receipts.AnnouncementReceipts(ctx, a.OrgID, viewer, ids)
	if err != nil {
		return ReceiptRule{}, fmt.Errorf("receipt policy: %w", err)
	}
	return rule, nil
}

// readBy reports whether the viewer sees r as read under rule (their own
// reading always).
func (rule ReceiptRule) readBy(viewer tack.ID, r Receipt) bool {
	return r.ReadAt != nil && (r.UserID == viewer || rule.Hidden == nil || !rule.Hidden(r.UserID))
}

func (b *Board) view(ctx context.Context, m org.Member, a Announcement, rs []Receipt) (AnnouncementView, error) {
	v := AnnouncementView{Announcement: a, Files: make([]File, 0, len(a.Files))}
	for _, f := range a.Files {
		x := File{Attachment: f}
		if b.urls != nil {
			var err error
			if x.URL, err = b.urls.GrantURL(ctx, f.ID, false); err != nil {
				return v, err
			}
		}
		v.Files = append(v.Files, x)
	}
	if rs != nil {
		for _, r := range rs {
			if r.UserID == m.UserID && r.ReadAt != nil {
				v.Read = true
				t := *r.ReadAt
				v.ReadAt = &t
			}
		}
		if isAdmin(m) || a.AuthorID == m.UserID {
			rule, err := b.rule(ctx, a, m.UserID, rs)
			if err != nil {
				return v, err
			}
			if rule.Show {
				n := 0
				for _, r := range rs {
					if rule.readBy(m.UserID, r) {
						n++
					}
				}
				total := len(rs)
				v.ReadCount, v.Recipients = &n, &total
			}
		}
	} else {
		v.Read = a.ReadAt != nil
	}
	return v, nil
}

// Get returns one announcement.
func (b *Board) Get(ctx context.Context, orgID, id tack.ID) (AnnouncementView, error) {
	m, err := b.member(ctx, orgID)
	if err != nil {
		return AnnouncementView{}, err
	}
	a, rs, err := b.visible(ctx, m, orgID, id)
	if err != nil {
		return AnnouncementView{}, err
	}
	return b.view(ctx, m, a, rs)
}

// List returns the announcements the caller receives (admins: all, with
// the scheduled ones), pinned first, then newest.
func (b *Board) List(ctx context.Context, orgID tack.ID, limit int) ([]AnnouncementView, error) {
	m, err := b.member(ctx, orgID)
	if err != nil {
		return nil, err
	}
	if limit, err = pageSize(limit); err != nil {
		return nil, err
	}
	as, err := b.store.Announcements(ctx, orgID, m.UserID, isAdmin(m), limit)
	if err != nil {
		return nil, err
	}
	out := make([]AnnouncementView, 0, len(as))
	for _, a := range as {
		var rs []Receipt
		if isAdmin(m) || a.AuthorID == m.UserID {
			if rs, err = b.store.Receipts(ctx, a.ID); err != nil {
				return nil, err
			}
		}
		v, err := b.view(ctx, m, a, rs)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// MarkRead records that the caller read an announcement.
func (b *Board) MarkRead(ctx context.Context, orgID, id tack.ID) (AnnouncementView, error) {
	m, err := b.member(ctx, orgID)
	if err != nil {
		return AnnouncementView{}, err
	}
	if _, _, err := b.visible(ctx, m, orgID, id); err != nil {
		return AnnouncementView{}, err
	}
	if _, err := b.store.MarkRead(ctx, id, m.UserID, b.clock.Now().UTC().Truncate(time.Microsecond)); err != nil {
		return AnnouncementView{}, err
	}
	return b.Get(ctx, orgID, id)
}

// ReceiptList says who has read an announcement and who has not: names
// unless CountsOnly (then the lists are empty), as the organisation's
// read-receipt policy lets the viewer see.
type ReceiptList struct {
	Read        []Receipt `json:"read"`
	Unread      []tack.ID `json:"unread"`
	ReadCount   int       `json:"read_count"`
	UnreadCount int       `json:"unread_count"`
	CountsOnly  bool      `json:"counts_only"`
}

// Receipts returns who has and has not read (admins and its author), for
// must-read and ordinary announcements alike, as the organisation's
// read-receipt policy says (package ding): "off" shows no one's
// (forbidden); "choice" hides the reads of those who hide theirs (they
// count as unread) and shows nothing to a viewer who hides their own;
// "on" shows all; beyond the policy's names bound, counts only.
func (b *Board) Receipts(ctx context.Context, orgID, id tack.ID) (ReceiptList, error) {
	m, err := b.member(ctx, orgID)
	if err != nil {
		return ReceiptList{}, err
	}
	a, rs, err := b.visible(ctx, m, orgID, id)
	if err != nil {
		return ReceiptList{}, err
	}
	if !isAdmin(m) && a.AuthorID != m.UserID {
		return ReceiptList{}, tack.Errorf(tack.EForbidden, "only admins see who read an announcement")
	}
	rule, err := b.rule(ctx, a, m.UserID, rs)
	if err != nil {
		return ReceiptList{}, err
	}
	if !rule.Show {
		return ReceiptList{}, tack.Errorf(tack.EForbidden, "the organisation's read-receipt policy does not show you who read it")
	}
	out := ReceiptList{Read: []Receipt{}, Unread: []tack.ID{}, CountsOnly: !rule.Names}
	for _, r := range rs {
		if rule.readBy(m.UserID, r) {
			out.ReadCount++
			if rule.Names {
				out.Read = append(out.Read, r)
			}
		} else {
			out.UnreadCount++
			if rule.Names {
				out.Unread = append(out.Unread, r.UserID)
			}
		}
	}
	return out, nil
}

// SetPinned pins or unpins (admins).
func (b *Board) SetPinned(ctx context.Context, orgID, id tack.ID, pinned bool) (AnnouncementView, error) {
	m, err := b.member(ctx, orgID)
	if err != nil {
		return AnnouncementView{}, err
	}
	if _, _, err := b.visible(ctx, m, orgID, id); err != nil {
		return AnnouncementView{}, err
	}
	if !isAdmin(m) {
		return AnnouncementView{}, tack.Errorf(tack.EForbidden, "only admins pin announcements")
	}
	if err := b.store.SetPinned(ctx, id, pinned); err != nil {
		return AnnouncementView{}, err
	}
	return b.Get(ctx, orgID, id)
}

// Delete deletes an announcement (admins), cancelling a scheduled one.
func (b *Board) Delete(ctx context.Context, orgID, id tack.ID) error {
	m, err := b.member(ctx, orgID)
	if err != nil {
		return err
	}
	if _, _, err := b.visible(ctx, m, orgID, id); err != nil {
		return err
	}
	if !isAdmin(m) {
		return tack.Errorf(tack.EForbidden, "only admins delete announcements")
	}
	if err := b.store.DeleteAnnouncement(ctx, id); err != nil {
		return err
	}
	if b.cfg.Deadlines != nil {
		_ = b.cfg.Deadlines.Cancel(ctx, PublishJob, string(id))
		_ = b.cfg.Deadlines.Cancel(ctx, NotifyJob, string(id))
	}
	return nil
}

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
	"unicode/utf8"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/limit"
)

// EventKind is the bus event and stream frame type of circles ("moment").
const EventKind = "moment"

// Config tunes the Service; the zero value is the production default.
type Config struct {
	// PostLimit bounds posts, comments and likes per person (default 1 a
	// second, bursts of 30).
	PostLimit *limit.Keyed
	// MaxHints caps how many people hear of a new moment live (default
	// 5,000); the rest see it when they open their timeline.
	MaxHints int
	// URLs signs download URLs of a moment's files for its viewers
	// (media.Service); nil: views carry no URLs.
	URLs URLs
	// Modules is the organisations' switchboard (platform.Service): a
	// colleague circle is refused (module_off) in an organisation that
	// switched "circle" off; nil: always on.
	Modules Modules
	Logger  *slog.Logger
}

// Modules tells whether an organisation has a switchable module on.
type Modules interface {
	ModuleOn(ctx context.Context, orgID tack.ID, module string) (bool, error)
}

// ModuleCircle is the switchboard's name for circles: colleague circles,
// announcements and work reports (friends' moments belong to no
// organisation and are never switched off).
const ModuleCircle = "circle"

// URLs signs download URLs for files the Service has decided the caller
// may see.
type URLs interface {
	GrantURL(ctx context.Context, fileID tack.ID, thumb bool) (string, error)
}

// File is a moment's file as a viewer gets it, with signed URLs.
type File struct {
	chat.Attachment
	URL      string `json:"url,omitempty"`
	ThumbURL string `json:"thumb_url,omitempty"`
}

// Service holds every rule of circles. It is safe for concurrent use.
type Service struct {
	store  Store
	people People
	files  chat.Files
	bus    bus.Publisher
	clock  tack.Clock
	cfg    Config
	log    *slog.Logger
}

// NewService returns a Service. files resolves the file IDs of a post
// (media.Service); pub may be nil (no live hints).
func NewService(store Store, people People, files chat.Files, pub bus.Publisher, clock tack.Clock, cfg Config) *Service {
	if cfg.PostLimit == nil {
		cfg.PostLimit = &limit.Keyed{Rate: 1, Burst: 30}
	}
	if cfg.MaxHints <= 0 {
		cfg.MaxHints = 5000
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{store: store, people: people, files: files, bus: pub, clock: clock, cfg: cfg, log: cfg.Logger}
}

var errNoMoment = tack.Errorf(tack.ENotFound, "no such moment")

func caller(ctx context.Context) (tack.ID, error) {
	id := tack.UserID(ctx)
	if id == "" {
		return "", tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	return id, nil
}

// viewerOf loads what decides what me may see.
func (s *Service) viewerOf(ctx context.Context, me tack.ID) (*viewer, error) {
	friends, blocked, err := s.people.Ties(ctx, me)
	if err != nil {
		return nil, fmt.Errorf("ties: %w", err)
	}
	orgs, err := s.people.ActiveOrgs(ctx, []tack.ID{me})
	if err != nil {
		return nil, fmt.Errorf("organisations: %w", err)
	}
	return newViewer(me, friends, blocked, orgs[me]), nil
}

// learnOrgs fills v.orgsOf for the people of colleague-circle moments.
func (s *Service) learnOrgs(ctx context.Context, v *viewer, ms []Moment, extra func(Moment) []tack.ID) error {
	var ids []tack.ID
	for _, m := range ms {
		if m.Audience.Type != Colleagues {
			continue
		}
		add := append([]tack.ID{m.AuthorID}, extra(m)...)
		for _, id := range add {
			if _, ok := v.orgsOf[id]; !ok && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	if len(ids) == 0 {
		return nil
	}
	got, err := s.people.ActiveOrgs(ctx, ids)
	if err != nil {
		return fmt.Errorf("organisations: %w", err)
	}
	for _, id := range ids {
		v.orgsOf[id] = got[id]
	}
	return nil
}

// ---- input ----

// PostInput is a new moment.
type PostInput struct {
	Text     string    `json:"text"`
	Audience Audience  `json:"audience"`
	FileIDs  []tack.ID `json:"file_ids"`
}

func validText(field, text string, max int) (string, error) {
	if !utf8.ValidString(text) {
		return "", tack.Invalid(field, "%s is not valid UTF-8", field)
	}
	text = strings.TrimSpace(text)
	if n := utf8.RuneCountInString(text); n > max {
		return "", tack.Errorf(tack.ETooLarge, "%s: at most %d characters (got %d)", field, max, n)
	}
	for _, r := range text {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return "", tack.Invalid(field, "%s holds a control character", field)
		}
	}
	return text, nil
}

// validAudience checks an audience against the author's friends and
// organisations; tagged are the friends its tags (a.TagIDs, already
// resolved by Service.tagged) hold, listed in UserIDs with the rest.
func validAudience(a Audience, me tack.ID, v *viewer, tagged []tack.ID) (Audience, error) {
	out := Audience{Type: a.Type}
	if len(a.TagIDs) > 0 && a.Type != Only && a.Type != Except {
		return out, tack.Invalid("audience.tag_ids", "tags are for an only or except audience")
	}
	switch a.Type {
	case Friends, Private:
		if len(a.UserIDs) > 0 || a.OrgID != "" {
			return out, tack.Invalid("audience", "a %q audience lists nobody", a.Type)
		}
	case Only, Except:
		if a.OrgID != "" {
			return out, tack.Invalid("audience.org_id", "org_id is for a colleagues audience")
		}
		if len(a.UserIDs) > MaxAudience {
			return out, tack.Errorf(tack.ETooLarge, "audience.user_ids: at most %d", MaxAudience)
		}
		if a.Type == Only && len(a.UserIDs) == 0 && len(a.TagIDs) == 0 {
			return out, tack.Invalid("audience.user_ids", "name at least one friend or tag")
		}
		out.UserIDs = []tack.ID{}
		for _, id := range a.UserIDs {
			if !id.Valid() || id == me || !v.friend[id] {
				return out, tack.Invalid("audience.user_ids", "%q is not one of your friends", id)
			}
			if !slices.Contains(out.UserIDs, id) {
				out.UserIDs = append(out.UserIDs, id)
			}
		}
		for _, id := range tagged {
			if v.friend[id] && !slices.Contains(out.UserIDs, id) {
				out.UserIDs = append(out.UserIDs, id)
			}
		}
		if len(out.UserIDs) > MaxAudience {
			return out, tack.Errorf(tack.ETooLarge, "audience: at most %d people with the tags' friends (got %d)", MaxAudience, len(out.UserIDs))
		}
		if a.Type == Only && len(out.UserIDs) == 0 {
			return out, tack.Invalid("audience.tag_ids", "the chosen tags hold none of your friends")
		}
		if len(a.TagIDs) > 0 {
			out.TagIDs = slices.Clone(a.TagIDs)
		}
	case Colleagues:
		if len(a.UserIDs) > 0 {
			return out, tack.Invalid("audience.user_ids", "a colleagues audience lists nobody")
		}
		if !a.OrgID.Valid() || !v.orgs[a.OrgID] {
			return out, tack.Invalid("audience.org_id", "you are not a member of that organisation")
		}
		out.OrgID = a.OrgID
	default:
		return out, tack.Invalid("audience.type", "audience.type must be one of %s", strings.Join(AudienceTypes, ", "))
	}
	return out, nil
}

// validFiles checks a post's files: up to 9 images, or a voice picture
// (one image and one voice clip).
func validFiles(fs []chat.Attachment) error {
	images, voices := 0, 0
	for _, f := range fs {
		switch f.Kind {
		case "image":
			images++
		case "voice":
			voices++
		default:
			return tack.Invalid("file_ids", "a moment carries images (or one image and one voice clip), not %q files", f.Kind)
		}
	}
	if images > MaxImages {
		return tack.Errorf(tack.ETooLarge, "file_ids: at most %d images", MaxImages)
	}
	if voices > 1 || voices == 1 && images != 1 {
		return tack.Invalid("file_ids", "a voice picture is one image and one voice clip")
	}
	return nil
}

// ---- views ----

// View is a moment as one viewer sees it: the likes and comments they may
// see, and the audience only when they wrote it.
type View struct {
	ID        tack.ID    `json:"id"`
	AuthorID  tack.ID    `json:"author_id"`
	Text      string     `json:"text"`
	Audience  *Audience  `json:"audience,omitempty"`
	Files     []File     `json:"files"`
	CreatedAt time.Time  `json:"created_at"`
	EditedAt  *time.Time `json:"edited_at,omitempty"`
	Likes     []Like     `json:"likes"`
	Comments  []Comment  `json:"comments"`
	Liked     bool       `json:"liked"`
}

// Page is a page of moments; NextCursor is empty at the end.
type Page struct {
	Moments    []View `json:"moments"`
	NextCursor string `json:"next_cursor"`
}

// views builds the views of ms (all of which v may see).
func (s *Service) views(ctx context.Context, v *viewer, ms []Moment) ([]View, error) {
	out := make([]View, 0, len(ms))
	if len(ms) == 0 {
		return out, nil
	}
	ids := make([]tack.ID, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	likes, err := s.store.Likes(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("likes: %w", err)
	}
	comments, err := s.store.Comments(ctx, ids)
	if err != nil {
		return nil, fmt.Errorf("comments: %w", err)
	}
	err = s.learnOrgs(ctx, v, ms, func(m Moment) []tack.ID {
		var p []tack.ID
		for _, l := range likes {
			if l.MomentID == m.ID {
				p = append(p, l.UserID)
			}
		}
		for _, c := range comments {
			if c.MomentID == m.ID {
				p = append(p, c.AuthorID)
			}
		}
		return p
	})
	if err != nil {
		return nil, err
	}
	byID := map[tack.ID]int{}
	for i, m := range ms {
		w := View{ID: m.ID, AuthorID: m.AuthorID, Text: m.Text, Files: make([]File, 0, len(m.Files)), CreatedAt: m.CreatedAt, EditedAt: m.EditedAt,
			Likes: []Like{}, Comments: []Comment{}}
		for _, a := range m.Files {
			f := File{Attachment: a}
			if s.cfg.URLs != nil {
				var err error
				if f.URL, err = s.cfg.URLs.GrantURL(ctx, a.ID, false); err != nil {
					return nil, fmt.Errorf("file URL: %w", err)
				}
				if a.Kind == "image" {
					if f.ThumbURL, err = s.cfg.URLs.GrantURL(ctx, a.ID, true); err != nil {
						return nil, fmt.Errorf("file URL: %w", err)
					}
				}
			}
			w.Files = append(w.Files, f)
		}
		if m.AuthorID == v.me {
			a := m.Audience
			w.Audience = &a
		}
		out = append(out, w)
		byID[m.ID] = i
	}
	for _, l := range likes {
		i := byID[l.MomentID]
		if v.seesPerson(ms[i], l.UserID) {
			out[i].Likes = append(out[i].Likes, l)
			if l.UserID == v.me {
				out[i].Liked = true
			}
		}
	}
	for _, c := range comments {
		i := byID[c.MomentID]
		if v.seesPerson(ms[i], c.AuthorID) {
			if c.ReplyTo != "" && !v.seesPerson(ms[i], c.ReplyTo) {
				c.ReplyTo = "" // whom it answers stays hidden too
			}
			out[i].Comments = append(out[i].Comments, c)
		}
	}
	return out, nil
}

// visible returns a moment the caller may see, or errNoMoment.
func (s *Service) visible(ctx context.Context, v *viewer, id tack.ID) (Moment, error) {
	if !id.Valid() {
		return Moment{}, errNoMoment
	}
	m, err := s.store.Moment(ctx, id)
	if errors.Is(err, tack.ErrNotFound) {
		return Moment{}, errNoMoment
	} else if err != nil {
		return Moment{}, err
	}
	if err := s.learnOrgs(ctx, v, []Moment{m}, func(Moment) []tack.ID { return nil }); err != nil {
		return Moment{}, err
	}
	if !v.mayView(m) {
		return Moment{}, errNoMoment
	}
	return m, nil
}

func (s *Service) one(ctx context.Context, v *viewer, m Moment) (View, error) {
	vs, err := s.views(ctx, v, []Moment{m})
	if err != nil {
		return View{}, err
	}
	return vs[0], nil
}

func (s *Service) limited(me tack.ID) error {
	if !s.cfg.PostLimit.Allow(string(me)) {
		return tack.Errorf(tack.ERateLimited, "too many posts, comments or likes; try again later")
	}
	return nil
}

// publish sends a hint (no content) to users.
func (s *Service) publish(ctx context.Context, users []tack.ID, action string, m Moment, by tack.ID) {
	if s.bus == nil || len(users) == 0 {
		return
	}
	b, _ := json.Marshal(map[string]any{"type": EventKind, "action": action, "moment_id": m.ID, "author_id": m.AuthorID, "by": by})
	if err := s.bus.Publish(ctx, &bus.Event{Kind: EventKind, Users: users, Subject: m.ID, Action: action, Payload: b}); err != nil {
		s.log.Warn("publish moment", "err", err)
	}
}

// audienceOf lists who may see m now (for live hints), the author
// included, up to MaxHints.
func (s *Service) audienceOf(ctx context.Context, m Moment) ([]tack.ID, error) {
	users := []tack.ID{m.AuthorID}
	friends, blocked, err := s.people.Ties(ctx, m.AuthorID)
	if err != nil {
		return nil, err
	}
	switch m.Audience.Type {
	case Friends, Only, Except:
		for _, f := range friends {
			if slices.Contains(blocked, f) {
				continue
			}
			in := slices.Contains(m.Audience.UserIDs, f)
			if m.Audience.Type == Friends || m.Audience.Type == Only && in || m.Audience.Type == Except && !in {
				users = append(users, f)
			}
		}
	case Colleagues:
		members, err := s.people.OrgMembers(ctx, m.Audience.OrgID, s.cfg.MaxHints)
		if err != nil {
			return nil, err
		}
		for _, id := range members {
			if id != m.AuthorID && !slices.Contains(blocked, id) {
				users = append(users, id)
			}
		}
	}
	if len(users) > s.cfg.MaxHints {
		users = users[:s.cfg.MaxHints]
	}
	return users, nil
}

// ---- moments ----

// Post publishes a moment and hints its audience live.
func (s *Service) Post(ctx context.Context, in PostInput) (View, error) {
	me, err := caller(ctx)
	if err != nil {
		return View{}, err
	}
	text, err := validText("text", in.Text, MaxText)
	if err != nil {
		return View{}, err
	}
	if len(in.FileIDs) > MaxImages+1 {
		return View{}, tack.Errorf(tack.ETooLarge, "file_ids: at most %d images", MaxImages)
	}
	if text == "" && len(in.FileIDs) == 0 {
		return View{}, tack.Invalid("text", "a moment needs text or images")
	}
	v, err := s.viewerOf(ctx, me)
	if err != nil {
		return View{}, err
	}
	var tagged []tack.ID
	if len(in.Audience.TagIDs) > 0 && (in.Audience.Type == Only || in.Audience.Type == Except) {
		if tagged, err = s.tagged(ctx, me, in.Audience.TagIDs, v); err != nil {
			return View{}, err
		}
	}
	aud, err := validAudience(in.Audience, me, v, tagged)
	if err != nil {
		return View{}, err
	}
	if aud.Type == Colleagues && s.cfg.Modules != nil {
		on, err := s.cfg.Modules.ModuleOn(ctx, aud.OrgID, ModuleCircle)
		if err != nil {
			return View{}, fmt.Errorf("circle module: %w", err)
		}
		if !on {
			return View{}, tack.Errorf("module_off", "the organisation switched circle off")
		}
	}
	files := []chat.Attachment{}
	if len(in.FileIDs) > 0 {
		seen := map[tack.ID]bool{}
		for _, id := range in.FileIDs {
			if !id.Valid() || seen[id] {
				return View{}, tack.Invalid("file_ids", "%q is not a file ID (or is listed twice)", id)
			}
			seen[id] = true
		}
		if s.files == nil {
			return View{}, tack.Errorf(tack.EUnavailable, "files are not available on this server")
		}
		if files, err = s.files.Attachments(ctx, in.FileIDs); err != nil {
			return View{}, err
		}
		if err := validFiles(files); err != nil {
			return View{}, err
		}
	}
	if err := s.limited(me); err != nil {
		return View{}, err
	}
	m := Moment{ID: tack.NewID(), AuthorID: me, Text: text, Audience: aud, Files: files, CreatedAt: s.clock.Now().UTC().Truncate(time.Microsecond)}
	if err := s.store.CreateMoment(ctx, m); err != nil {
		return View{}, fmt.Errorf("post: %w", err)
	}
	if users, err := s.audienceOf(ctx, m); err != nil {
		s.log.Warn("moment audience", "err", err)
	} else {
		s.publish(ctx, users, "new", m, me)
	}
	return s.one(ctx, v, m)
}

// Get returns one moment as the caller sees it (404 to whoever its
// audience leaves out).
func (s *Service) Get(ctx context.Context, id tack.ID) (View, error) {
	me, err := caller(ctx)
	if err != nil {
		return View{}, err
	}
	v, err := s.viewerOf(ctx, me)
	if err != nil {
		return View{}, err
	}
	m, err := s.visible(ctx, v, id)
	if err != nil {
		return View{}, err
	}
	return s.one(ctx, v, m)
}

func pageSize(limit int) (int, error) {
	if limit == 0 {
		return DefaultPage, nil
	}
	if limit < 1 || limit > MaxPage {
		return 0, tack.Invalid("limit", "limit must be between 1 and %d", MaxPage)
	}
	return limit, nil
}

func validCursor(c string) (tack.ID, error) {
	if c == "" {
		return "", nil
	}
	if !tack.ID(c).Valid() {
		return "", tack.Invalid("cursor", "not a cursor this server gave")
	}
	return tack.ID(c), nil
}

// page reads moments as q says, keeping those v may see, until limit are
// found, the store runs out, or a few rounds passed (then NextCursor
// resumes where it stopped).
func (s *Service) page(ctx context.Context, v *viewer, q Query, limit int) (Page, error) {
	var keep []Moment
	next := ""
	for round := 0; round < 5; round++ {
		q.Limit = limit + 1 - len(keep)
		if round > 0 {
			q.Limit = max(q.Limit*2, 20)
		}
		ms, err := s.store.Moments(ctx, q)
		if err != nil {
			return Page{}, err
		}
		if err := s.learnOrgs(ctx, v, ms, func(Moment) []tack.ID { return nil }); err != nil {
			return Page{}, err
		}
		for _, m := range ms {
			if !v.mayView(m) {
				continue
			}
			keep = append(keep, m)
			if len(keep) == limit+1 {
				break
			}
		}
		if len(keep) > limit {
			keep = keep[:limit]
			next = string(keep[limit-1].ID)
			break
		}
		if len(ms) < q.Limit {
			next = "" // the store ran out
			break
		}
		q.Before = ms[len(ms)-1].ID
		next = string(q.Before)
	}
	vs, err := s.views(ctx, v, keep)
	if err != nil {
		return Page{}, err
	}
	return Page{Moments: vs, NextCursor: next}, nil
}

// Timeline returns the caller's timeline: their own moments, their
// friends' that include them, and the colleague circles of their
// organisations, newest first.
func (s *Service) Timeline(ctx context.Context, cursor string, limit int) (Page, error) {
	me, err := caller(ctx)
	if err != nil {
		return Page{}, err
	}
	if limit, err = pageSize(limit); err != nil {
		return Page{}, err
	}
	before, err := validCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	v, err := s.viewerOf(ctx, me)
	if err != nil {
		return Page{}, err
	}
	authors := []tack.ID{me}
	for id := range v.friend {
		authors = append(authors, id)
	}
	slices.Sort(authors)
	var orgs []tack.ID
	for id := range v.orgs {
		orgs = append(orgs, id)
	}
	slices.Sort(orgs)
	return s.page(ctx, v, Query{Authors: authors, Orgs: orgs, Before: before}, limit)
}

// Profile returns the moments of userID the caller may see; a visitor sees
// only as far back as the author allows.
func (s *Service) Profile(ctx context.Context, userID tack.ID, cursor string, limit int) (Page, error) {
	me, err := caller(ctx)
	if err != nil {
		return Page{}, err
	}
	if limit, err = pageSize(limit); err != nil {
		return Page{}, err
	}
	before, err := validCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	if !userID.Valid() {
		return Page{}, tack.Errorf(tack.ENotFound, "no such user")
	}
	v, err := s.viewerOf(ctx, me)
	if err != nil {
		return Page{}, err
	}
	q := Query{Authors: []tack.ID{userID}, ByAuthorOnly: true, Before: before}
	if userID != me {
		if v.blocked[userID] {
			return Page{Moments: []View{}}, nil
		}
		set, err := s.store.Settings(ctx, userID)
		if err != nil {
			return Page{}, err
		}
		if set.VisibleDays > 0 {
			q.Since = s.clock.Now().Add(-time.Duration(set.VisibleDays) * 24 * time.Hour)
		}
	}
	return s.page(ctx, v, q, limit)
}

// Edit changes the text of the caller's moment within 24 hours.
func (s *Service) Edit(ctx context.Context, id tack.ID, text string) (View, error) {
	me, err := caller(ctx)
	if err != nil {
		return View{}, err
	}
	v, err := s.viewerOf(ctx, me)
	if err != nil {
		return View{}, err
	}
	m, err := s.visible(ctx, v, id)
	if err != nil {
		return View{}, err
	}
	if m.AuthorID != me {
		return View{}, tack.Errorf(tack.EForbidden, "only its author edits a moment")
	}
	if text, err = validText("text", text, MaxText); err != nil {
		return View{}, err
	}
	if text == "" && len(m.Files) == 0 {
		return View{}, tack.Invalid("text", "a moment needs text or images")
	}
	now := s.clock.Now().UTC().Truncate(time.Microsecond)
	if now.Sub(m.CreatedAt) > EditWindow {
		return View{}, tack.Errorf(tack.EExpired, "a moment can be edited for 24 hours")
	}
	if err := s.store.EditMoment(ctx, id, text, now); err != nil {
		return View{}, err
	}
	m.Text, m.EditedAt = text, &now
	return s.one(ctx, v, m)
}

// Delete deletes the caller's moment with its likes, comments and media.
func (s *Service) Delete(ctx context.Context, id tack.ID) error {
	me, err := caller(ctx)
	if err != nil {
		return err
	}
	v, err := s.viewerOf(ctx, me)
	if err != nil {
		return err
	}
	m, err := s.visible(ctx, v, id)
	if err != nil {
		return err
	}
	if m.AuthorID != me {
		return tack.Errorf(tack.EForbidden, "only its author deletes a moment")
	}
	users, aerr := s.audienceOf(ctx, m)
	if err := s.store.DeleteMoment(ctx, id); err != nil {
		return err
	}
	if aerr == nil {
		s.publish(ctx, users, "deleted", m, me)
	}
	return nil
}

// CommentInput is a new comment; ReplyTo names the person answered.
type CommentInput struct {
	Text    string  `json:"text"`
	ReplyTo tack.ID `json:"reply_to"`
}

// AddComment comments on a moment the caller may see.
func (s *Service) AddComment(ctx context.Context, id tack.ID, in CommentInput) (Comment, error) {
	me, err := caller(ctx)
	if err != nil {
		return Comment{}, err
	}
	text, err := validText("text", in.Text, MaxComment)
	if err != nil {
		return Comment{}, err
	}
	if text == "" {
		return Comment{}, tack.Invalid("text", "a comment needs text")
	}
	v, err := s.viewerOf(ctx, me)
	if err != nil {
		return Comment{}, err
	}
	m, err := s.visible(ctx, v, id)
	if err != nil {
		return Comment{}, err
	}
	if in.ReplyTo != "" {
		if !in.ReplyTo.Valid() || in.ReplyTo == me {
			return Comment{}, tack.Invalid("reply_to", "reply_to must be someone else's user ID")
		}
		vw, err := s.one(ctx, v, m)
		if err != nil {
			return Comment{}, err
		}
		ok := in.ReplyTo == m.AuthorID
		for _, c := range vw.Comments {
			ok = ok || c.AuthorID == in.ReplyTo
		}
		if !ok {
			return Comment{}, tack.Invalid("reply_to", "reply to the author or to a comment you can see")
		}
	}
	if n, err := s.store.CountComments(ctx, id); err != nil {
		return Comment{}, err
	} else if n >= MaxCommentsPer {
		return Comment{}, tack.Errorf(tack.ETooLarge, "this moment has %d comments, the most it keeps", MaxCommentsPer)
	}
	if err := s.limited(me); err != nil {
		return Comment{}, err
	}
	c := Comment{ID: tack.NewID(), MomentID: id, AuthorID: me, ReplyTo: in.ReplyTo, Text: text, CreatedAt: s.clock.Now().UTC().Truncate(time.Microsecond)}
	if err := s.store.AddComment(ctx, c); errors.Is(err, tack.ErrNotFound) {
		return Comment{}, errNoMoment
	} else if err != nil {
		return Comment{}, err
	}
	s.publish(ctx, s.concerned(m, me, in.ReplyTo), "comment", m, me)
	return c, nil
}

// concerned are those told of a like or comment: the author and the one
// answered, never the actor themselves.
func (s *Service) concerned(m Moment, me tack.ID, also tack.ID) []tack.ID {
	var users []tack.ID
	for _, id := range []tack.ID{m.AuthorID, also} {
		if id != "" && id != me && !slices.Contains(users, id) {
			users = append(users, id)
		}
	}
	return users
}

// DeleteComment deletes a comment: its author, or the moment's author.
func (s *Service) DeleteComment(ctx context.Context, id, commentID tack.ID) error {
	me, err := caller(ctx)
	if err != nil {
		return err
	}
	v, err := s.viewerOf(ctx, me)
	if err != nil {
		return err
	}
	m, err := s.visible(ctx, v, id)
	if err != nil {
		return err
	}
	errNo := tack.Errorf(tack.ENotFound, "no such comment")
	if !commentID.Valid() {
		return errNo
	}
	c, err := s.store.Comment(ctx, commentID)
	if errors.Is(err, tack.ErrNotFound) || err == nil && (c.MomentID != id || !v.seesPerson(m, c.AuthorID)) {
		return errNo
	} else if err != nil {
		return err
	}
	if c.AuthorID != me && m.AuthorID != me {
		return tack.Errorf(tack.EForbidden, "only its writer or the moment's author deletes a comment")
	}
	return s.store.DeleteComment(ctx, commentID)
}

// Like likes (on) or unlikes a moment the caller may see, and returns it.
func (s *Service) Like(ctx context.Context, id tack.ID, on bool) (View, error) {
	me, err := caller(ctx)
	if err != nil {
		return View{}, err
	}
	v, err := s.viewerOf(ctx, me)
	if err != nil {
		return View{}, err
	}
	m, err := s.visible(ctx, v, id)
	if err != nil {
		return View{}, err
	}
	if err := s.limited(me); err != nil {
		return View{}, err
	}
	changed, err := s.store.SetLike(ctx, Like{MomentID: id, UserID: me, CreatedAt: s.clock.Now().UTC().Truncate(time.Microsecond)}, on)
	if errors.Is(err, tack.ErrNotFound) {
		return View{}, errNoMoment
	} else if err != nil {
		return View{}, err
	}
	if changed && on {
		s.publish(ctx, s.concerned(m, me, ""), "like", m, me)
	}
	return s.one(ctx, v, m)
}

// MySettings returns the caller's settings.
func (s *Service) MySettings(ctx context.Context) (Settings, error) {
	me, err := caller(ctx)
	if err != nil {
		return Settings{}, err
	}
	return s.store.Settings(ctx, me)
}

// SetMySettings changes the caller's settings.
func (s *Service) SetMySettings(ctx context.Context, in Settings) (Settings, error) {
	me, err := caller(ctx)
	if err != nil {
		return Settings{}, err
	}
	if !slices.Contains(VisibleDayChoices, in.VisibleDays) {
		return Settings{}, tack.Invalid("visible_days", "visible_days must be 0 (all), 3 or 180")
	}
	set := Settings{UserID: me, VisibleDays: in.VisibleDays, UpdatedAt: s.clock.Now().UTC().Truncate(time.Microsecond)}
	if err := s.store.PutSettings(ctx, set); err != nil {
		return Settings{}, err
	}
	return set, nil
}

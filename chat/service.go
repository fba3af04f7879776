package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/limit"
)

// People tells the chat service whom a user may bring into a conversation.
// Reachable returns those of ids that exist and that from may start a chat
// with or add to a group (other packages narrow this: organisation privacy,
// blocked users). It must be safe for concurrent use.
type People interface {
	Reachable(ctx context.Context, from tack.ID, ids []tack.ID) ([]tack.ID, error)
}

// Config tunes the Service. The zero value is the production default.
type Config struct {
	// MaxGroupMembers caps group size: default 500, at most 10,000.
	MaxGroupMembers int
	// SendLimit limits messages per sender; default 20/s with bursts of 100.
	SendLimit *limit.Keyed
	// MaxBatch caps how many sends one transaction commits; default 256.
	MaxBatch int
	// Committers is how many group committers store sends at once, each
	// its own transaction; a conversation's sends always go through the
	// same one, so they are stored and announced in the order queued.
	// Default: what the store reports through a Committers() int method
	// (a server store that runs transactions side by side), else 1.
	Committers int
	// CommitLinger is how long a busy committer waits for more sends
	// before it commits a batch smaller than MaxBatch; default 2 ms,
	// negative: never. It waits only while sends keep coming (the batch's
	// first send arrived within 10 lingers of the previous commit's end):
	// a lone send commits at once. Under a steady load that costs a send
	// at most the linger and saves a commit per few sends: at 3,300
	// direct messages a second on SQLite, the server's CPU fell by a
	// quarter and the bytes written per message by half (BENCHMARKS.md).
	CommitLinger time.Duration
	// GroupLimit limits the groups a user makes; default 30 at once, then
	// one every 10 seconds.
	GroupLimit *limit.Keyed
	// Blocks, if set, says whether two people blocked one another: no
	// message or edit then goes into their direct chat. (org.Service
	// implements it.)
	Blocks interface {
		Blocked(ctx context.Context, a, b tack.ID) (bool, error)
	}
	// GroupGate, if set, says which people refuse being put in a group by
	// someone (their privacy settings): making a group with them, or adding
	// them, fails with tack.ERefused. (org.Service implements it.)
	GroupGate interface {
		GroupAddRefused(ctx context.Context, from tack.ID, ids []tack.ID) ([]tack.ID, error)
	}
	// Files, if set, resolves the files of a send; without it a send with
	// files is refused.
	Files Files
	// Externals, if set, says which of the caller's conversations include
	// someone from outside the caller's organisations; they are marked
	// External. (org.Service implements it.)
	Externals interface {
		ExternalConversations(ctx context.Context) ([]tack.ID, error)
	}
	// Acquaintances, if set, allows secret chats only between friends or
	// people of one organisation. (org.Service implements it.)
	Acquaintances Acquaintances
	// SecretGate, if set, may refuse a new secret chat between two people
	// (an organisation of theirs switched secret chats off); its error is
	// the answer.
	SecretGate func(ctx context.Context, a, b tack.ID) error
	// Deadlines, if set, schedules the burns of secret messages (a
	// deadline.Runner whose BurnJob handler is HandleBurn).
	Deadlines Deadlines
	// Trash, if set, deletes the blobs a burn leaves unused at once.
	Trash Trash
	// Receipts, if set, is the read-receipt policy: it narrows receipt
	// lists (ReceiptsOf), unread counts and read events.
	Receipts ReceiptPolicy
	Logger   *slog.Logger
}

// Service holds every chat rule: who may do what, limits and windows. It is
// safe for concurrent use. Call Close to stop its committer.
type Service struct {
	store  Store
	bus    bus.Publisher
	people People
	clock  tack.Clock
	cfg    Config
	log    *slog.Logger
	typing *limit.Keyed

	cache     sendCache
	snapshots snapshotCache
	sends     []chan *sendReq // by conversation (sendsOf)
	publish   chan committed
	done      chan struct{}

	reads     chan *readReq
	readsDone chan struct{}
}

// NewService starts a Service. pub receives every event after its commit.
func NewService(store Store, pub bus.Publisher, people People, clock tack.Clock, cfg Config) *Service {
	if cfg.MaxGroupMembers <= 0 {
		cfg.MaxGroupMembers = DefaultMembers
	}
	if cfg.MaxGroupMembers > MaxMembers {
		cfg.MaxGroupMembers = MaxMembers
	}
	if cfg.SendLimit == nil {
		cfg.SendLimit = &limit.Keyed{Rate: 20, Burst: 100}
	}
	if cfg.GroupLimit == nil {
		cfg.GroupLimit = &limit.Keyed{Rate: 0.1, Burst: 30}
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if cfg.CommitLinger == 0 {
		cfg.CommitLinger = 2 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Committers <= 0 {
		cfg.Committers = 1
		if c, ok := store.(interface{ Committers() int }); ok {
			cfg.Committers = max(1, c.Committers())
		}
	}
	s := &Service{store: store, bus: pub, people: people, clock: clock, cfg: cfg, log: cfg.Logger,
		typing:  &limit.Keyed{Rate: 0.5, Burst: 2},
		publish: make(chan committed, 1024), done: make(chan struct{})}
	s.reads, s.readsDone = make(chan *readReq, 4096), make(chan struct{})
	var committers sync.WaitGroup
	for range cfg.Committers {
		ch := make(chan *sendReq, 4096)
		s.sends = append(s.sends, ch)
		committers.Go(func() { s.commitLoop(ch) })
	}
	go func() {
		committers.Wait()
		close(s.publish)
	}()
	go s.publishLoop()
	go s.readLoop()
	return s
}

// Close stops accepting sends, waits for the ones in flight to commit and
// their events to be published.
func (s *Service) Close() {
	close(s.reads)
	<-s.readsDone
	for _, ch := range s.sends {
		close(ch)
	}
	<-s.done
}

// MaxGroupMembers is the configured group size cap.
func (s *Service) MaxGroupMembers() int { return s.cfg.MaxGroupMembers }

func caller(ctx context.Context) (tack.ID, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return "", tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	return uid, nil
}

var errNoConversation = tack.Errorf(tack.ENotFound, "no such conversation")

// member returns the caller's membership, or ENotFound (never EForbidden:
// non-members learn nothing of a conversation, not even that it exists).
func (s *Service) member(ctx context.Context, convID tack.ID) (Membership, error) {
	uid, err := caller(ctx)
	if err != nil {
		return Membership{}, err
	}
	if !convID.Valid() {
		return Membership{}, errNoConversation
	}
	m, err := s.store.Membership(ctx, convID, uid)
	if errors.Is(err, tack.ErrNotFound) {
		return Membership{}, errNoConversation
	}
	if err != nil {
		return Membership{}, fmt.Errorf("membership: %w", err)
	}
	return m, nil
}

func validTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	if !utf8.ValidString(title) {
		return "", tack.Invalid("title", "title is not valid UTF-8")
	}
	if utf8.RuneCountInString(title) > MaxTitleRunes {
		return "", tack.Invalid("title", "title is longer than %d characters", MaxTitleRunes)
	}
	for _, r := range title {
		if unicode.IsControl(r) {
			return "", tack.Invalid("title", "title contains a control character")
		}
	}
	return title, nil
}

func uniqueIDs(field string, ids []tack.ID, max int) ([]tack.ID, error) {
	if len(ids) > max {
		return nil, tack.Errorf(tack.ETooLarge, "%s: at most %d", field, max)
	}
	out := make([]tack.ID, 0, len(ids))
	seen := make(map[tack.ID]bool, len(ids))
	for _, id := range ids {
		if !id.Valid() {
			return nil, tack.Invalid(field, "%q is not a user ID", string(id))
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// reachable checks that every one of ids may be brought in by uid.
func (s *Service) reachable(ctx context.Context, uid tack.ID, ids []tack.ID) error {
	if len(ids) == 0 {
		return nil
	}
	ok, err := s.people.Reachable(ctx, uid, ids)
	if err != nil {
		return fmt.Errorf("reachable: %w", err)
	}
	if len(ok) != len(ids) {
		have := make(map[tack.ID]bool, len(ok))
		for _, id := range ok {
			have[id] = true
		}
		for _, id := range ids {
			if !have[id] {
				return tack.Invalid("members", "no such user: %s", id)
			}
		}
	}
	return nil
}

// Create starts a conversation. A direct chat names exactly one other person
// (or the caller alone, for notes to self); if it exists already, Create
// returns it with created false. A group gets the caller as owner.
func (s *Service) Create(ctx context.Context, kind string, members []tack.ID, title string) (c Conversation, created bool, err error) {
	uid, err := caller(ctx)
	if err != nil {
		return Conversation{}, false, err
	}
	members, err = uniqueIDs("members", members, MaxMembers)
	if err != nil {
		return Conversation{}, false, err
	}
	if title, err = validTitle(title); err != nil {
		return Conversation{}, false, err
	}
	others := slices.DeleteFunc(slices.Clone(members), func(id tack.ID) bool { return id == uid })
	now := s.clock.Now()
	conv := Conversation{ID: tack.NewID(), Kind: kind, CreatedAt: now}
	var ms []Membership
	switch kind {
	case Direct:
		if len(others) != 1 {
			return Conversation{}, false, tack.Invalid("members", "a direct chat has exactly one other person")
		}
		if title != "" {
			return Conversation{}, false, tack.Invalid("title", "a direct chat has no title")
		}
		peer := others[0]
		if id, err := s.store.DirectBetween(ctx, uid, peer); err == nil {
			c, err := s.Conversation(tack.WithCaller(ctx, tack.Caller{UserID: uid}), id)
			return c, false, err
		} else if !errors.Is(err, tack.ErrNotFound) {
			return Conversation{}, false, fmt.Errorf("direct between: %w", err)
		}
		if err := s.reachable(ctx, uid, others); err != nil {
			return Conversation{}, false, err
		}
		ms = []Membership{{UserID: uid, Role: Member, JoinedAt: now}, {UserID: peer, Role: Member, JoinedAt: now}}
	case Group:
		if len(others)+1 > s.cfg.MaxGroupMembers {
			return Conversation{}, false, tack.Errorf(tack.ETooLarge, "a group has at most %d members", s.cfg.MaxGroupMembers)
		}
		if err := s.reachable(ctx, uid, others); err != nil {
			return Conversation{}, false, err
		}
		if err := s.groupGate(ctx, uid, others); err != nil {
			return Conversation{}, false, err
		}
		if !s.cfg.GroupLimit.Allow(string(uid)) {
			return Conversation{}, false, tack.Errorf(tack.ERateLimited, "making groups too fast; try again in a minute")
		}
		conv.Title = title
		conv.OwnerID = uid
		ms = append(ms, Membership{UserID: uid, Role: Owner, JoinedAt: now})
		for _, id := range others {
			ms = append(ms, Membership{UserID: id, Role: Member, JoinedAt: now})
		}
	case Secret:
		var made bool
		c, made, ms, err = s.createSecret(ctx, uid, others, title)
		if err != nil || !made {
			return c, false, err
		}
	default:
		return Conversation{}, false, tack.Invalid("type", `type must be "direct", "group" or "secret"`)
	}
	for i := range ms {
		ms[i].ConversationID = conv.ID
	}
	first := NewMessage{ConversationID: conv.ID, SenderID: uid, Kind: SystemMessage, CreatedAt: now,
		System: &System{Action: "created", ActorID: uid, Users: others, Title: title}}
	msg, err := s.store.CreateConversation(ctx, conv, ms, first)
	if Paired(kind) && tack.ErrorCode(err) == tack.EConflict {
		// Someone created the same chat a moment ago.
		between := s.store.DirectBetween
		if kind == Secret {
			between = s.store.SecretBetween
		}
		if id, err := between(ctx, uid, others[0]); err == nil {
			c, err := s.Conversation(ctx, id)
			return c, false, err
		}
	}
	if err != nil {
		return Conversation{}, false, fmt.Errorf("create conversation: %w", err)
	}
	var evs []*bus.Event
	for _, m := range ms {
		evs = append(evs, memberEvent(conv.ID, m.UserID, "added", msg.Mod))
	}
	evs = append(evs, s.messageEvent(msg))
	s.publishNow(ctx, evs)
	c, err = s.Conversation(ctx, conv.ID)
	return c, true, err
}

// Conversation returns one conversation with the caller's view.
func (s *Service) Conversation(ctx context.Context, id tack.ID) (Conversation, error) {
	m, err := s.member(ctx, id)
	if err != nil {
		return Conversation{}, err
	}
	c, err := s.store.Conversation(ctx, id)
	if err != nil {
		return Conversation{}, fmt.Errorf("conversation: %w", err)
	}
	c.Role, c.ReadSeq, c.Unread, c.Muted = m.Role, m.ReadSeq, max(c.LastSeq-m.ReadSeq, 0), m.Muted
	if c.LastSeq > 0 {
		if last, err := s.store.Message(ctx, id, c.LastSeq); err == nil {
			secretView(m.UserID, &last)
			c.LastMessage = &last
		}
	}
	one := []Conversation{c}
	if err := s.markExternal(ctx, one); err != nil {
		return Conversation{}, err
	}
	c = one[0]
	if Paired(c.Kind) {
		ms, err := s.store.Memberships(ctx, id)
		if err != nil {
			return Conversation{}, fmt.Errorf("conversation: %w", err)
		}
		for _, p := range ms {
			if p.UserID != m.UserID {
				c.Peer = p.UserID
			}
		}
	}
	return c, nil
}

// Conversations lists the caller's conversations, most recent activity first.
func (s *Service) Conversations(ctx context.Context) ([]Conversation, error) {
	uid, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.store.ConversationsOf(ctx, uid)
	if err != nil {
		return nil, fmt.Errorf("conversations: %w", err)
	}
	if err := s.markExternal(ctx, list); err != nil {
		return nil, err
	}
	for i := range list {
		if list[i].LastMessage != nil {
			secretView(uid, list[i].LastMessage)
		}
	}
	return list, nil
}

// markExternal sets External on the conversations with someone from
// outside the caller's organisations.
func (s *Service) markExternal(ctx context.Context, list []Conversation) error {
	if s.cfg.Externals == nil || len(list) == 0 {
		return nil
	}
	ids, err := s.cfg.Externals.ExternalConversations(ctx)
	if err != nil {
		return fmt.Errorf("external conversations: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	ext := make(map[tack.ID]bool, len(ids))
	for _, id := range ids {
		ext[id] = true
	}
	for i := range list {
		list[i].External = ext[list[i].ID]
	}
	return nil
}

// ConversationMods returns the caller's conversations with their last Mod,
// for the stream's catch-up.
func (s *Service) ConversationMods(ctx context.Context) (map[tack.ID]int64, error) {
	uid, err := caller(ctx)
	if err != nil {
		return nil, err
	}
	return s.store.ConversationMods(ctx, uid)
}

// SetMuted switches the caller's own notification mute of a conversation
// (免打扰): a muted conversation still counts unread messages but does not
// notify. The caller's other devices hear of it at once.
func (s *Service) SetMuted(ctx context.Context, id tack.ID, muted bool) (Conversation, error) {
	me, err := s.member(ctx, id)
	if err != nil {
		return Conversation{}, err
	}
	if err := s.store.SetMuted(ctx, id, me.UserID, muted); err != nil {
		return Conversation{}, fmt.Errorf("set muted: %w", err)
	}
	b, _ := json.Marshal(map[string]any{"type": "conversation", "conversation": map[string]any{"id": id, "muted": muted}})
	s.publishNow(ctx, []*bus.Event{{Kind: bus.Conversation, ConversationID: id, Users: []tack.ID{me.UserID}, Action: "muted", Payload: b}})
	return s.Conversation(ctx, id)
}

// Members lists the members of a conversation the caller belongs to.
func (s *Service) Members(ctx context.Context, id tack.ID) ([]Membership, error) {
	if _, err := s.member(ctx, id); err != nil {
		return nil, err
	}
	return s.store.Memberships(ctx, id)
}

func (s *Service) group(ctx context.Context, id tack.ID) (Conversation, Membership, error) {
	m, err := s.member(ctx, id)
	if err != nil {
		return Conversation{}, Membership{}, err
	}
	c, err := s.store.Conversation(ctx, id)
	if err != nil {
		return Conversation{}, Membership{}, fmt.Errorf("conversation: %w", err)
	}
	if c.Kind != Group {
		return Conversation{}, Membership{}, tack.Invalid("conversation", "only groups have members to manage")
	}
	return c, m, nil
}

func isAdmin(role string) bool { return role == Owner || role == Admin }

// AddMembers adds people to a group (owner and admins only).
func (s *Service) AddMembers(ctx context.Context, id tack.ID, users []tack.ID) error {
	c, me, err := s.group(ctx, id)
	if err != nil {
		return err
	}
	if !isAdmin(me.Role) {
		return tack.Errorf(tack.EForbidden, "only the owner and admins add members")
	}
	users, err = uniqueIDs("user_ids", users, MaxMembers)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		return tack.Invalid("user_ids", "name at least one person")
	}
	already, err := s.store.MembersAmong(ctx, id, users)
	if err != nil {
		return fmt.Errorf("add members: %w", err)
	}
	users = slices.DeleteFunc(users, func(u tack.ID) bool { return slices.Contains(already, u) })
	if len(users) == 0 {
		return nil
	}
	if c.MemberCount+len(users) > s.cfg.MaxGroupMembers {
		return tack.Errorf(tack.ETooLarge, "a group has at most %d members", s.cfg.MaxGroupMembers)
	}
	if err := s.reachable(ctx, me.UserID, users); err != nil {
		return err
	}
	if err := s.groupGate(ctx, me.UserID, users); err != nil {
		return err
	}
	now := s.clock.Now()
	ch := Change{ConversationID: id, System: s.system(id, me.UserID, &System{Action: "added", ActorID: me.UserID, Users: users})}
	for _, u := range users {
		ch.Add = append(ch.Add, Membership{ConversationID: id, UserID: u, Role: Member, JoinedAt: now})
	}
	return s.apply(ctx, ch, users, nil, false)
}

func (s *Service) system(convID, actor tack.ID, sys *System) NewMessage {
	return NewMessage{ConversationID: convID, SenderID: actor, Kind: SystemMessage, System: sys, CreatedAt: s.clock.Now()}
}

// apply commits ch and publishes what it changed: member events for added
// users before the system message (so their connections subscribe first),
// for removed users after it (so they see why they left).
func (s *Service) apply(ctx context.Context, ch Change, added, removed []tack.ID, settings bool) error {
	msg, err := s.store.ApplyChange(ctx, ch)
	s.cache.invalidate(ch.ConversationID)
	if err != nil {
		return fmt.Errorf("apply change: %w", err)
	}
	var evs []*bus.Event
	for _, u := range added {
		evs = append(evs, memberEvent(ch.ConversationID, u, "added", msg.Mod))
	}
	if settings || len(added)+len(removed) > 0 { // member_count changed too
		if c, err := s.store.Conversation(ctx, ch.ConversationID); err == nil {
			evs = append(evs, conversationEvent(c))
		}
	}
	evs = append(evs, s.messageEvent(msg))
	for _, u := range removed {
		evs = append(evs, memberEvent(ch.ConversationID, u, "removed", 0))
	}
	s.publishNow(ctx, evs)
	return nil
}

// RemoveMember removes someone from a group. The owner may remove anyone
// else; admins may remove plain members; removing yourself is Leave.
func (s *Service) RemoveMember(ctx context.Context, id, user tack.ID) error {
	if user == tack.UserID(ctx) {
		return s.Leave(ctx, id)
	}
	_, me, err := s.group(ctx, id)
	if err != nil {
		return err
	}
	if !isAdmin(me.Role) {
		return tack.Errorf(tack.EForbidden, "only the owner and admins remove members")
	}
	them, err := s.store.Membership(ctx, id, user)
	if errors.Is(err, tack.ErrNotFound) {
		return tack.Errorf(tack.ENotFound, "not a member")
	} else if err != nil {
		return err
	}
	if them.Role == Owner || (them.Role == Admin && me.Role != Owner) {
		return tack.Errorf(tack.EForbidden, "only the owner removes admins, and nobody removes the owner")
	}
	ch := Change{ConversationID: id, Remove: []tack.ID{user},
		System: s.system(id, me.UserID, &System{Action: "removed", ActorID: me.UserID, Users: []tack.ID{user}})}
	return s.apply(ctx, ch, nil, []tack.ID{user}, false)
}

// Leave takes the caller out of a group. An owner who leaves hands the group
// to the longest-standing admin, or else the longest-standing member.
func (s *Service) Leave(ctx context.Context, id tack.ID) error {
	_, me, err := s.group(ctx, id)
	if err != nil {
		return err
	}
	ch := Change{ConversationID: id, Remove: []tack.ID{me.UserID},
		System: s.system(id, me.UserID, &System{Action: "left", ActorID: me.UserID, Users: []tack.ID{me.UserID}})}
	if me.Role == Owner {
		ms, err := s.store.Memberships(ctx, id)
		if err != nil {
			return err
		}
		var heir *Membership
		for i := range ms {
			m := &ms[i]
			if m.UserID == me.UserID {
				continue
			}
			if heir == nil || (m.Role == Admin && heir.Role != Admin) ||
				(m.Role == heir.Role && m.JoinedSeq < heir.JoinedSeq) {
				heir = m
			}
		}
		if heir != nil {
			ch.OwnerID = heir.UserID
			ch.Roles = map[tack.ID]string{heir.UserID: Owner}
		}
	}
	return s.apply(ctx, ch, nil, []tack.ID{me.UserID}, ch.OwnerID != "")
}

// Update renames a group or switches mute-all (owner and admins only).
func (s *Service) Update(ctx context.Context, id tack.ID, title *string, muteAll *bool) (Conversation, error) {
	c, me, err := s.group(ctx, id)
	if err != nil {
		return Conversation{}, err
	}
	if !isAdmin(me.Role) {
		return Conversation{}, tack.Errorf(tack.EForbidden, "only the owner and admins change group settings")
	}
	if title != nil {
		t, err := validTitle(*title)
		if err != nil {
			return Conversation{}, err
		}
		if t != c.Title {
			ch := Change{ConversationID: id, Title: &t,
				System: s.system(id, me.UserID, &System{Action: "renamed", ActorID: me.UserID, Title: t})}
			if err := s.apply(ctx, ch, nil, nil, true); err != nil {
				return Conversation{}, err
			}
		}
	}
	if muteAll != nil && *muteAll != c.MuteAll {
		action := "unmuted"
		if *muteAll {
			action = "muted"
		}
		ch := Change{ConversationID: id, MuteAll: muteAll,
			System: s.system(id, me.UserID, &System{Action: action, ActorID: me.UserID})}
		if err := s.apply(ctx, ch, nil, nil, true); err != nil {
			return Conversation{}, err
		}
	}
	return s.Conversation(ctx, id)
}

// TransferOwnership makes another member the owner (owner only); the old
// owner becomes an admin.
func (s *Service) TransferOwnership(ctx context.Context, id, to tack.ID) error {
	_, me, err := s.group(ctx, id)
	if err != nil {
		return err
	}
	if me.Role != Owner {
		return tack.Errorf(tack.EForbidden, "only the owner transfers ownership")
	}
	if to == me.UserID {
		return nil
	}
	if _, err := s.store.Membership(ctx, id, to); err != nil {
		return tack.Invalid("user_id", "the new owner must be a member")
	}
	ch := Change{ConversationID: id, OwnerID: to, Roles: map[tack.ID]string{to: Owner, me.UserID: Admin},
		System: s.system(id, me.UserID, &System{Action: "owner_changed", ActorID: me.UserID, Users: []tack.ID{to}})}
	return s.apply(ctx, ch, nil, nil, true)
}

// SetRole makes a member an admin or a plain member (owner only).
func (s *Service) SetRole(ctx context.Context, id, user tack.ID, role string) error {
	_, me, err := s.group(ctx, id)
	if err != nil {
		return err
	}
	if role != Admin && role != Member {
		return tack.Invalid("role", `role must be "admin" or "member"`)
	}
	if me.Role != Owner {
		return tack.Errorf(tack.EForbidden, "only the owner appoints admins")
	}
	them, err := s.store.Membership(ctx, id, user)
	if err != nil {
		return tack.Errorf(tack.ENotFound, "not a member")
	}
	if them.Role == Owner {
		return tack.Invalid("user_id", "the owner's role changes only by transfer")
	}
	if them.Role == role {
		return nil
	}
	action := "admin_added"
	if role == Member {
		action = "admin_removed"
	}
	ch := Change{ConversationID: id, Roles: map[tack.ID]string{user: role},
		System: s.system(id, me.UserID, &System{Action: action, ActorID: me.UserID, Users: []tack.ID{user}})}
	return s.apply(ctx, ch, nil, nil, true)
}

// Draft is a message to send.
type Draft struct {
	ClientID   string
	Text       string
	Mentions   []tack.ID
	MentionAll bool
	ReplyTo    int64
	// Files are file IDs to attach (see Attachment); Text may then be empty.
	Files []tack.ID
	// BurnAfterS is, in a secret chat, how long after its reveal the
	// message burns (5 to 300 s, default 30); elsewhere it must be 0.
	BurnAfterS int
}

func validClientID(id string) error {
	if id == "" {
		return tack.Invalid("client_id", "client_id is required")
	}
	if len(id) > MaxClientID {
		return tack.Invalid("client_id", "client_id is longer than %d characters", MaxClientID)
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return tack.Invalid("client_id", "client_id must be printable ASCII")
		}
	}
	return nil
}

func validText(text string) error {
	if !utf8.ValidString(text) {
		return tack.Invalid("text", "text is not valid UTF-8")
	}
	for _, r := range text {
		if r < 0x20 && r != '\n' && r != '\t' && r != '\r' || r == 0x7f {
			return tack.Invalid("text", "text contains a control character (U+%04X)", r)
		}
	}
	if strings.TrimSpace(text) == "" {
		return tack.Invalid("text", "text is empty")
	}
	if utf8.RuneCountInString(text) > MaxTextRunes {
		return tack.Errorf(tack.ETooLarge, "text is longer than %d characters", MaxTextRunes)
	}
	return nil
}

// checkMentions validates mentions against the conversation.
func (s *Service) checkMentions(ctx context.Context, c Conversation, me Membership, mentions []tack.ID, all bool) ([]tack.ID, error) {
	mentions, err := uniqueIDs("mentions", mentions, MaxMentions)
	if err != nil {
		return nil, err
	}
	if all && (c.Kind != Group || me.Role != Owner) {
		return nil, tack.Errorf(tack.EForbidden, "only the group owner may mention everyone")
	}
	if len(mentions) > 0 {
		in, err := s.store.MembersAmong(ctx, c.ID, mentions)
		if err != nil {
			return nil, err
		}
		if len(in) != len(mentions) {
			return nil, tack.Invalid("mentions", "mentions must name members of the conversation")
		}
	}
	return mentions, nil
}

type sendReq struct {
	ctx   context.Context
	msg   NewMessage
	quote *Quote
	count int    // member count at send time, for the initial unread figure
	kind  string // Direct or Group
	done  chan sendResult
}

type sendResult struct {
	a   Appended
	err error
}

// Send stores a message and returns it once committed. A retry with the same
// client ID returns the original message and duplicate true.
func (s *Service) Send(ctx context.Context, convID tack.ID, d Draft) (m Message, duplicate bool, err error) {
	return s.Queue(ctx, convID, d).Wait()
}

// Pending is a send that Queue has checked and queued for commit.
type Pending struct {
	req *sendReq
	err error
}

// Wait returns the outcome of the send once it is committed (or refused).
func (p *Pending) Wait() (m Message, duplicate bool, err error) {
	if p.err != nil {
		return Message{}, false, p.err
	}
	// Once queued, wait for the outcome even if ctx ends: the message may be
	// committing, and the caller must learn its seq or retry with its client ID.
	r := <-p.req.done
	if r.err != nil {
		return Message{}, false, r.err
	}
	m = r.a.Message
	secretView(m.SenderID, &m)
	return m, r.a.Duplicate, nil
}

// Queue checks a send and queues it for the group committer without waiting
// for the commit. Sends to one conversation queued one after another by one
// caller commit in that order, so a connection can pipeline its sends and
// still have them stored in the order it sent them. (Sends to different
// conversations may commit in either order when there are several
// committers; each conversation has its own seqs.)
func (s *Service) Queue(ctx context.Context, convID tack.ID, d Draft) *Pending {
	req, err := s.queue(ctx, convID, d)
	return &Pending{req: req, err: err}
}

func (s *Service) queue(ctx context.Context, convID tack.ID, d Draft) (*sendReq, error) {
	if err := validClientID(d.ClientID); err != nil {
		return nil, err
	}
	if len(d.Files) == 0 || d.Text != "" {
		if err := validText(d.Text); err != nil {
			return nil, err
		}
	}
	me, c, err := s.sendCheck(ctx, convID, d.ReplyTo != 0)
	if err != nil {
		return nil, err
	}
	if c.MuteAll && !isAdmin(me.Role) {
		return nil, tack.Errorf(tack.EForbidden, "only the owner and admins may send while the group is muted")
	}
	burn, err := secretDraft(c, d)
	if err != nil {
		return nil, err
	}
	mentions, err := s.checkMentions(ctx, c, me, d.Mentions, d.MentionAll)
	if err != nil {
		return nil, err
	}
	var quote *Quote
	if d.ReplyTo != 0 {
		if d.ReplyTo < 0 || d.ReplyTo > c.LastSeq {
			return nil, tack.Invalid("reply_to", "no message %d in this conversation", d.ReplyTo)
		}
		q, err := s.store.Message(ctx, convID, d.ReplyTo)
		if err != nil {
			return nil, tack.Invalid("reply_to", "no message %d in this conversation", d.ReplyTo)
		}
		quote = quoteOf(q)
	}
	kind, atts := TextMessage, []Attachment(nil)
	if len(d.Files) > 0 {
		if kind, atts, err = s.attachments(ctx, d.Files); err != nil {
			return nil, err
		}
	}
	if !s.cfg.SendLimit.Allow(string(me.UserID)) {
		return nil, tack.Errorf(tack.ERateLimited, "sending too fast; slow down")
	}
	req := &sendReq{ctx: ctx, quote: quote, count: c.MemberCount, kind: c.Kind, done: make(chan sendResult, 1), msg: NewMessage{
		ConversationID: convID, ClientID: d.ClientID, SenderID: me.UserID, Kind: kind, Text: d.Text,
		Mentions: mentions, MentionAll: d.MentionAll, ReplyTo: d.ReplyTo, CreatedAt: s.clock.Now(), Attachments: atts}}
	if burn > 0 {
		req.msg.BurnAfterS, req.msg.BurnsAt = burn, req.msg.CreatedAt.Add(UnrevealedBurn)
	}
	select {
	case s.sendsOf(convID) <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return req, nil
}

// sendCheck returns the caller's membership (role only) and the
// conversation, from the send cache when it has them, and refuses a direct
// chat whose two people blocked one another. fresh reads the conversation
// from the store (a reply needs the current LastSeq).
func (s *Service) sendCheck(ctx context.Context, convID tack.ID, fresh bool) (Membership, Conversation, error) {
	uid, err := caller(ctx)
	if err != nil {
		return Membership{}, Conversation{}, err
	}
	if c, role, blocked, ok := s.cache.get(convID, uid, time.Now()); ok && !fresh {
		if blocked {
			return Membership{}, Conversation{}, errBlocked
		}
		return Membership{ConversationID: convID, UserID: uid, Role: role}, c, nil
	}
	gen := s.cache.generation(convID)
	me, err := s.member(ctx, convID)
	if err != nil {
		return Membership{}, Conversation{}, err
	}
	c, err := s.store.Conversation(ctx, convID)
	if err != nil {
		return Membership{}, Conversation{}, fmt.Errorf("send: %w", err)
	}
	blocked, err := s.directBlocked(ctx, c, uid)
	if err != nil {
		return Membership{}, Conversation{}, err
	}
	s.cache.put(convID, gen, c, uid, me.Role, blocked, time.Now())
	if blocked {
		return Membership{}, Conversation{}, errBlocked
	}
	return me, c, nil
}

func quoteOf(m Message) *Quote {
	q := &Quote{Seq: m.Seq, SenderID: m.SenderID, Text: m.Text, Recalled: m.Recalled}
	if r := []rune(q.Text); len(r) > 200 {
		q.Text = string(r[:200]) + "…"
	}
	return q
}

// sendsOf is the queue of the committer that stores convID's sends.
func (s *Service) sendsOf(convID tack.ID) chan *sendReq {
	h := fnv.New32a()
	h.Write([]byte(convID))
	return s.sends[h.Sum32()%uint32(len(s.sends))]
}

// commitLoop is a group committer: it takes every send waiting in its
// queue (while busy, waiting up to Config.CommitLinger for more), stores
// them in one transaction, answers each, and hands their events on in
// commit order.
func (s *Service) commitLoop(sends chan *sendReq) {
	batch := make([]*sendReq, 0, s.cfg.MaxBatch)
	msgs := make([]NewMessage, 0, s.cfg.MaxBatch)
	linger := time.NewTimer(time.Hour)
	linger.Stop()
	var lastEnd time.Time // when the previous commit ended
	for first := range sends {
		batch = append(batch[:0], first)
		var wait <-chan time.Time // set while lingering
		if l := s.cfg.CommitLinger; l > 0 && time.Since(lastEnd) < 10*l {
			linger.Reset(l)
			wait = linger.C
		}
	fill:
		for len(batch) < s.cfg.MaxBatch {
			select {
			case r, ok := <-sends:
				if !ok {
					break fill
				}
				batch = append(batch, r)
				continue
			default:
			}
			if wait == nil {
				break
			}
			select {
			case r, ok := <-sends:
				if !ok {
					break fill
				}
				batch = append(batch, r)
			case <-wait:
				break fill
			}
		}
		linger.Stop()
		msgs = msgs[:0]
		for _, r := range batch {
			msgs = append(msgs, r.msg)
		}
		res, err := s.store.Append(context.Background(), msgs)
		lastEnd = time.Now()
		if err != nil && len(batch) > 1 {
			// One bad message must not fail its neighbours: store each alone.
			s.log.Warn("append batch failed; retrying one by one", "count", len(batch), "err", err)
			res, err = make([]Appended, len(batch)), nil
			for i, r := range batch {
				one, err1 := s.store.Append(context.Background(), msgs[i:i+1])
				if err1 != nil {
					s.log.Error("append message", "err", err1)
					r.done <- sendResult{err: fmt.Errorf("send: %w", err1)}
					batch[i] = nil
					continue
				}
				res[i] = one[0]
			}
		}
		if err != nil {
			s.log.Error("append messages", "count", len(batch), "err", err)
			for _, r := range batch {
				r.done <- sendResult{err: fmt.Errorf("send: %w", err)}
			}
			continue
		}
		evs := make([]*bus.Event, 0, len(batch))
		var reads []readMove
		var burns []Message
		for i, r := range batch {
			if r == nil {
				continue // failed alone above
			}
			a := res[i]
			if a.Duplicate && a.Message.ConversationID != r.msg.ConversationID {
				r.done <- sendResult{err: tack.Invalid("client_id", "client_id was already used for a message in another conversation")}
				continue
			}
			a.Message.Quote = r.quote
			if !a.Duplicate {
				n := max(r.count-1, 0)
				a.Message.Unread = &n
				evs = append(evs, s.messageEvent(a.Message))
				if a.Message.BurnAfterS > 0 {
					burns = append(burns, a.Message)
				}
				if a.PrevReadSeq < a.Message.Seq-1 && r.msg.Kind != RobotMessage {
					// Sending read everything before it: tell those senders.
					reads = append(reads, readMove{conv: a.Message.ConversationID, user: a.Message.SenderID,
						prev: a.PrevReadSeq, now: a.Message.Seq - 1, direct: Paired(r.kind)})
				}
			}
			r.done <- sendResult{a: a}
		}
		if len(evs)+len(reads) > 0 {
			s.publish <- committed{evs: evs, reads: reads, burns: burns}
		}
	}
}

// committed is what one group commit has to announce: its messages, then
// the read positions that sending moved.
type committed struct {
	evs   []*bus.Event
	reads []readMove
	burns []Message // secret messages whose burns to schedule
}

// publishLoop publishes each commit's events in commit order; the lookups
// that address read events happen here, off the commit path.
func (s *Service) publishLoop() {
	defer close(s.done)
	for c := range s.publish {
		s.scheduleBurns(context.Background(), c.burns)
		for _, e := range append(c.evs, s.readEvents(c.reads)...) {
			if err := s.bus.Publish(context.Background(), e); err != nil {
				s.log.Warn("publish", "kind", e.Kind, "err", err)
			}
		}
	}
}

// publishNow publishes events of changes made outside the committer.
func (s *Service) publishNow(ctx context.Context, evs []*bus.Event) {
	for _, e := range evs {
		if err := s.bus.Publish(ctx, e); err != nil {
			s.log.Warn("publish", "kind", e.Kind, "err", err)
		}
	}
}

// Frames sent to clients.
type messageFrame struct {
	Type    string   `json:"type"`
	Message *Message `json:"message"`
}

// MessageFrame encodes m as the stream frame clients receive.
func MessageFrame(m *Message) []byte {
	b, _ := json.Marshal(MessageFrameOf(m))
	return b
}

// MessageFrameOf is the value MessageFrame encodes, for a caller that
// encodes it into its own buffer.
func MessageFrameOf(m *Message) any { return messageFrame{Type: "message", Message: m} }

func (s *Service) messageEvent(m Message) *bus.Event {
	secretView("", &m)
	return &bus.Event{Kind: bus.Message, ConversationID: m.ConversationID, Mod: m.Mod, Payload: MessageFrame(&m)}
}

// memberEvent is a Member event; mod is the change that added the member
// (0 for "removed"), from which their connections catch up.
func memberEvent(convID, user tack.ID, action string, mod int64) *bus.Event {
	b, _ := json.Marshal(map[string]any{"type": "member", "conversation_id": convID, "user_id": user, "action": action})
	return &bus.Event{Kind: bus.Member, ConversationID: convID, Subject: user, Action: action, Mod: mod, Payload: b}
}

func conversationEvent(c Conversation) *bus.Event {
	shared := map[string]any{"id": c.ID, "type": c.Kind, "title": c.Title, "owner_id": c.OwnerID,
		"mute_all": c.MuteAll, "member_count": c.MemberCount}
	b, _ := json.Marshal(map[string]any{"type": "conversation", "conversation": shared})
	return &bus.Event{Kind: bus.Conversation, ConversationID: c.ID, Payload: b}
}

// Edit replaces the text of the caller's own message, within 24 hours.
func (s *Service) Edit(ctx context.Context, convID tack.ID, seq int64, text string, mentions []tack.ID) (Message, error) {
	if err := validText(text); err != nil {
		return Message{}, err
	}
	me, err := s.member(ctx, convID)
	if err != nil {
		return Message{}, err
	}
	m, err := s.message(ctx, convID, seq)
	if err != nil {
		return Message{}, err
	}
	if m.SenderID != me.UserID || m.Kind != TextMessage {
		return Message{}, tack.Errorf(tack.EForbidden, "only the sender edits a message")
	}
	if m.BurnAfterS > 0 {
		return Message{}, tack.Errorf(tack.EForbidden, "messages in a secret chat cannot be edited")
	}
	if m.Recalled {
		return Message{}, tack.Errorf(tack.EConflict, "the message was recalled")
	}
	now := s.clock.Now()
	if now.Sub(m.CreatedAt) > EditWindow {
		return Message{}, tack.Errorf(tack.EExpired, "messages can be edited for 24 hours")
	}
	// An edit is a message anew: the same rules as a send.
	_, c, err := s.sendCheck(ctx, convID, false)
	if err != nil {
		return Message{}, err
	}
	if c.MuteAll && !isAdmin(me.Role) {
		return Message{}, tack.Errorf(tack.EForbidden, "only the owner and admins may edit while the group is muted")
	}
	mentions, err = s.checkMentions(ctx, c, me, mentions, m.MentionAll)
	if err != nil {
		return Message{}, err
	}
	if !s.cfg.SendLimit.Allow(string(me.UserID)) {
		return Message{}, tack.Errorf(tack.ERateLimited, "editing too fast; slow down")
	}
	m, err = s.store.EditMessage(ctx, convID, seq, text, mentions, m.MentionAll, now)
	if err != nil {
		return Message{}, fmt.Errorf("edit: %w", err)
	}
	ms := []Message{m}
	_ = s.annotate(ctx, me.UserID, ms)
	s.publishNow(ctx, []*bus.Event{s.messageEvent(ms[0])})
	return ms[0], nil
}

func (s *Service) message(ctx context.Context, convID tack.ID, seq int64) (Message, error) {
	m, err := s.store.Message(ctx, convID, seq)
	if errors.Is(err, tack.ErrNotFound) {
		return Message{}, tack.Errorf(tack.ENotFound, "no message %d in this conversation", seq)
	}
	return m, err
}

// Recall withdraws a message: its text is erased from storage and a
// placeholder stays. The sender may recall within 2 minutes; a group's owner
// and admins may recall any message at any time.
func (s *Service) Recall(ctx context.Context, convID tack.ID, seq int64) (Message, error) {
	me, err := s.member(ctx, convID)
	if err != nil {
		return Message{}, err
	}
	m, err := s.message(ctx, convID, seq)
	if err != nil {
		return Message{}, err
	}
	if !IsUserMessage(m.Kind) {
		return Message{}, tack.Errorf(tack.EForbidden, "system events cannot be recalled")
	}
	if m.Recalled {
		return m, nil
	}
	c, err := s.store.Conversation(ctx, convID)
	if err != nil {
		return Message{}, err
	}
	admin := c.Kind == Group && isAdmin(me.Role)
	switch {
	case admin:
	case m.SenderID != me.UserID:
		return Message{}, tack.Errorf(tack.EForbidden, "only the sender or a group admin recalls a message")
	case s.clock.Now().Sub(m.CreatedAt) > RecallWindow:
		return Message{}, tack.Errorf(tack.EExpired, "messages can be recalled for 2 minutes")
	}
	if m.BurnAfterS > 0 && !m.Burned {
		// A recalled secret message burns first: its text and files go at
		// once, not after the collector's grace period.
		if err := s.Burn(ctx, MessageRef{ConversationID: convID, Seq: seq}); err != nil {
			return Message{}, err
		}
	}
	m, err = s.store.RecallMessage(ctx, convID, seq, me.UserID)
	if err != nil {
		return Message{}, fmt.Errorf("recall: %w", err)
	}
	s.publishNow(ctx, []*bus.Event{s.messageEvent(m)})
	return m, nil
}

// History returns a page of messages in ascending seq: with before > 0 the
// limit messages before it (use a huge before for the newest), else those
// after after. limit is 1 to 200 (default 50).
func (s *Service) History(ctx context.Context, convID tack.ID, after, before int64, limit int) ([]Message, error) {
	if after < 0 || before < 0 {
		return nil, tack.Invalid("after_seq", "sequence numbers are positive")
	}
	if after > 0 && before > 0 {
		return nil, tack.Invalid("before_seq", "give after_seq or before_seq, not both")
	}
	if limit == 0 {
		limit = 50
	}
	if limit < 1 || limit > 200 {
		return nil, tack.Invalid("limit", "limit must be between 1 and 200")
	}
	me, err := s.member(ctx, convID)
	if err != nil {
		return nil, err
	}
	ms, err := s.store.Messages(ctx, convID, after, before, limit)
	if err != nil {
		return nil, fmt.Errorf("history: %w", err)
	}
	if err := s.annotate(ctx, me.UserID, ms); err != nil {
		return nil, err
	}
	return ms, nil
}

// Changes returns up to limit messages of a conversation changed after mod,
// in Mod order, for the stream's catch-up and gap healing.
func (s *Service) Changes(ctx context.Context, convID tack.ID, mod int64, limit int) ([]Message, error) {
	me, err := s.member(ctx, convID)
	if err != nil {
		return nil, err
	}
	ms, err := s.store.MessagesSince(ctx, convID, mod, limit)
	if err != nil {
		return nil, fmt.Errorf("changes: %w", err)
	}
	if err := s.annotate(ctx, me.UserID, ms); err != nil {
		return nil, err
	}
	return ms, nil
}

// annotate fills quotes and, on the viewer's own messages, unread counts.
func (s *Service) annotate(ctx context.Context, viewer tack.ID, ms []Message) error {
	if len(ms) == 0 {
		return nil
	}
	var seqs []int64
	var maxOwn int64
	for i := range ms {
		secretView(viewer, &ms[i])
	}
	for _, m := range ms {
		if m.ReplyTo != 0 {
			seqs = append(seqs, m.ReplyTo)
		}
		if m.SenderID == viewer && IsUserMessage(m.Kind) && !m.Recalled && m.Seq > maxOwn {
			maxOwn = m.Seq
		}
	}
	convID := ms[0].ConversationID
	if len(seqs) > 0 {
		qs, err := s.store.MessagesBySeq(ctx, convID, seqs)
		if err != nil {
			return fmt.Errorf("quotes: %w", err)
		}
		bySeq := make(map[int64]Message, len(qs))
		for _, q := range qs {
			bySeq[q.Seq] = q
		}
		for i := range ms {
			if q, ok := bySeq[ms[i].ReplyTo]; ok {
				ms[i].Quote = quoteOf(q)
			}
		}
	}
	if maxOwn > 0 {
		behind, err := s.store.Behind(ctx, convID, maxOwn)
		if err != nil {
			return fmt.Errorf("unread: %w", err)
		}
		for i := range ms {
			m := &ms[i]
			if m.SenderID != viewer || !IsUserMessage(m.Kind) || m.Recalled {
				continue
			}
			n := 0
			for _, p := range behind {
				if p.ReadSeq < m.Seq && p.JoinedSeq <= m.Seq && p.UserID != viewer {
					n++
				}
			}
			m.Unread = &n
		}
		s.policyUnread(ctx, viewer, ms)
	}
	return nil
}

// Receipts says who has read message seq and who has not, among the members
// who were there when it was sent (its sender excluded).
func (s *Service) Receipts(ctx context.Context, convID tack.ID, seq int64) (read, unread []tack.ID, err error) {
	if _, err := s.member(ctx, convID); err != nil {
		return nil, nil, err
	}
	m, err := s.message(ctx, convID, seq)
	if err != nil {
		return nil, nil, err
	}
	// Every member's position: Behind with a seq past any message.
	ms, err := s.store.Behind(ctx, convID, 1<<62)
	if err != nil {
		return nil, nil, fmt.Errorf("receipts: %w", err)
	}
	read, unread = []tack.ID{}, []tack.ID{}
	for _, p := range ms {
		if p.UserID == m.SenderID || p.JoinedSeq > seq {
			continue
		}
		if p.ReadSeq >= seq {
			read = append(read, p.UserID)
		} else {
			unread = append(unread, p.UserID)
		}
	}
	return read, unread, nil
}

// Typing tells the other members that the caller is typing. At most one
// event every two seconds per person and conversation; extra calls are
// dropped silently.
func (s *Service) Typing(ctx context.Context, convID tack.ID) error {
	me, err := s.member(ctx, convID)
	if err != nil {
		return err
	}
	if !s.typing.Allow(string(me.UserID) + "/" + string(convID)) {
		return nil
	}
	b, _ := json.Marshal(map[string]any{"type": "typing", "conversation_id": convID, "user_id": me.UserID})
	s.publishNow(ctx, []*bus.Event{{Kind: bus.Typing, ConversationID: convID, Subject: me.UserID, Payload: b}})
	return nil
}

type readEvent struct {
	Type           string  `json:"type"`
	ConversationID tack.ID `json:"conversation_id"`
	UserID         tack.ID `json:"user_id,omitempty"` // none: someone a counts-only view may not name
	Seq            int64   `json:"seq"`
	PrevSeq        int64   `json:"prev_seq"`
}

func readFrame(convID, user tack.ID, prev, now int64) []byte {
	b, _ := json.Marshal(readEvent{Type: "read", ConversationID: convID, UserID: user, Seq: now, PrevSeq: prev})
	return b
}

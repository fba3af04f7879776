package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/bus"
	"github.com/tackhq/tack/deadline"
)

// Secret chats (密聊): a conversation of kind Secret is between two people
// who are friends or share an organisation (Config.Acquaintances). Each of
// its messages is hidden from the recipient until they reveal it, and
// burns BurnAfterS seconds after that for everyone, the sender's copy too;
// an unrevealed message burns after UnrevealedBurn. Burning erases the
// text from the database (see SecretStore.BurnMessage). Secret messages
// take no replies, quotes, edits or mentions, are never put in a push
// preview, and the stream's events about them never carry their text. A
// search index must skip conversations of kind Secret.
const (
	Secret = "secret"

	DefaultBurnAfter = 30
	MinBurnAfter     = 5
	MaxBurnAfter     = 300
	UnrevealedBurn   = 7 * 24 * time.Hour

	// BurnJob is the deadline kind of a burn; its key is "conv/seq".
	BurnJob = "chat.burn"
)

// Paired reports whether conversations of kind have exactly two people,
// one on each side (direct and secret chats).
func Paired(kind string) bool { return kind == Direct || kind == Secret }

// MessageRef names one message.
type MessageRef struct {
	ConversationID tack.ID `json:"conversation_id"`
	Seq            int64   `json:"seq"`
}

// SecretStore keeps what secret chats need beyond other messages.
type SecretStore interface {
	// SecretBetween returns the ID of the secret conversation of a and b,
	// if any (tack.ErrNotFound otherwise).
	SecretBetween(ctx context.Context, a, b tack.ID) (tack.ID, error)
	// RevealMessage marks a secret message revealed at at, and moves its
	// BurnsAt to burnsAt if that is earlier, giving it the next Mod. A
	// message revealed before is returned as it is, with changed false.
	RevealMessage(ctx context.Context, convID tack.ID, seq int64, at, burnsAt time.Time) (m Message, changed bool, err error)
	// BurnMessage erases a secret message's text and mentions from storage
	// (not only from the row: secure deletion, and the WAL or its
	// equivalent emptied soon), marks it Burned and gives it the next Mod.
	// A burned message is returned as it is, with changed false.
	BurnMessage(ctx context.Context, convID tack.ID, seq int64) (m Message, changed bool, err error)
	// DueBurns returns up to limit secret messages not burned whose BurnsAt
	// is at or before now.
	DueBurns(ctx context.Context, now time.Time, limit int) ([]MessageRef, error)
}

// Trash deletes the objects of blobs a burn left unused (a burn moves
// them to the media trash in its transaction); media.Service implements
// it. Whatever it misses (a crash, a failing blob store) the media
// collector deletes later.
type Trash interface {
	EmptyTrash(ctx context.Context) (int, error)
}

// Deadlines schedules work for later (deadline.Runner implements it).
type Deadlines interface {
	Schedule(ctx context.Context, j deadline.Job, earlier bool) error
}

// Acquaintances says whether two people are friends or share an
// organisation, and neither blocks the other (org.Service implements it).
type Acquaintances interface {
	Acquainted(ctx context.Context, a, b tack.ID) (bool, error)
}

func burnKey(r MessageRef) string { return fmt.Sprintf("%s/%d", r.ConversationID, r.Seq) }

// secretView hides what viewer may not see of a secret message: the text of
// a burned message from everyone; of an unrevealed one from everyone but
// its sender. viewer "" is a stream event, seen by both: it carries no text
// ever.
func secretView(viewer tack.ID, m *Message) {
	if m.BurnAfterS == 0 || !IsUserMessage(m.Kind) {
		return
	}
	m.Mentions, m.MentionAll = nil, false
	switch {
	case m.Burned:
		m.Text, m.Attachments = "", nil
	case m.RevealedAt == nil:
		m.Hidden = true
		if viewer != m.SenderID {
			m.Text, m.Attachments = "", nil
		}
	}
	if viewer == "" {
		m.Text, m.Attachments = "", nil
	}
}

func (s *Service) createSecret(ctx context.Context, uid tack.ID, others []tack.ID, title string) (Conversation, bool, []Membership, error) {
	if len(others) != 1 {
		return Conversation{}, false, nil, tack.Invalid("members", "a secret chat has exactly one other person")
	}
	if title != "" {
		return Conversation{}, false, nil, tack.Invalid("title", "a secret chat has no title")
	}
	peer := others[0]
	if id, err := s.store.SecretBetween(ctx, uid, peer); err == nil {
		c, err := s.Conversation(ctx, id)
		return c, false, nil, err
	} else if !errors.Is(err, tack.ErrNotFound) {
		return Conversation{}, false, nil, fmt.Errorf("secret between: %w", err)
	}
	if err := s.reachable(ctx, uid, others); err != nil {
		return Conversation{}, false, nil, err
	}
	if s.cfg.SecretGate != nil {
		if err := s.cfg.SecretGate(ctx, uid, peer); err != nil {
			return Conversation{}, false, nil, err
		}
	}
	if s.cfg.Acquaintances != nil {
		ok, err := s.cfg.Acquaintances.Acquainted(ctx, uid, peer)
		if err != nil {
			return Conversation{}, false, nil, fmt.Errorf("acquainted: %w", err)
		}
		if !ok {
			return Conversation{}, false, nil, tack.Errorf(tack.EForbidden, "secret chats are only between friends or people of one organisation")
		}
	}
	now := s.clock.Now()
	return Conversation{}, true, []Membership{{UserID: uid, Role: Member, JoinedAt: now}, {UserID: peer, Role: Member, JoinedAt: now}}, nil
}

// secretDraft checks a draft for a secret chat and returns its burn delay.
func secretDraft(c Conversation, d Draft) (int, error) {
	if c.Kind != Secret {
		if d.BurnAfterS != 0 {
			return 0, tack.Invalid("burn_after_s", "only messages in a secret chat burn")
		}
		return 0, nil
	}
	if d.ReplyTo != 0 {
		return 0, tack.Invalid("reply_to", "messages in a secret chat cannot be quoted or replied to")
	}
	if len(d.Mentions) > 0 || d.MentionAll {
		return 0, tack.Invalid("mentions", "a secret chat has no mentions")
	}
	switch b := d.BurnAfterS; {
	case b == 0:
		return DefaultBurnAfter, nil
	case b < MinBurnAfter || b > MaxBurnAfter:
		return 0, tack.Invalid("burn_after_s", "burn_after_s must be between %d and %d seconds", MinBurnAfter, MaxBurnAfter)
	default:
		return b, nil
	}
}

// scheduleBurns puts the burns of newly stored secret messages in the
// deadline queue (at their BurnsAt: send time + UnrevealedBurn). Were this
// lost in a crash, SweepBurns finds them.
func (s *Service) scheduleBurns(ctx context.Context, ms []Message) {
	if s.cfg.Deadlines == nil {
		return
	}
	for _, m := range ms {
		if m.BurnAfterS == 0 || m.BurnsAt == nil {
			continue
		}
		r := MessageRef{ConversationID: m.ConversationID, Seq: m.Seq}
		data, _ := json.Marshal(r)
		if err := s.cfg.Deadlines.Schedule(ctx, deadline.Job{Kind: BurnJob, Key: burnKey(r), Due: *m.BurnsAt, Data: data}, true); err != nil {
			s.log.Warn("schedule burn", "conversation", m.ConversationID, "seq", m.Seq, "err", err)
		}
	}
}

// Reveal shows a secret message to its recipient, starting its burn
// countdown: it returns the message with its text and BurnsAt. Revealing
// again returns it as it is (until it burns). Only the recipient reveals.
func (s *Service) Reveal(ctx context.Context, convID tack.ID, seq int64) (Message, error) {
	me, err := s.member(ctx, convID)
	if err != nil {
		return Message{}, err
	}
	m, err := s.message(ctx, convID, seq)
	if err != nil {
		return Message{}, err
	}
	if m.BurnAfterS == 0 || !IsUserMessage(m.Kind) {
		return Message{}, tack.Invalid("seq", "only messages in a secret chat are revealed")
	}
	if m.SenderID == me.UserID {
		return Message{}, tack.Errorf(tack.EForbidden, "only the recipient reveals a message")
	}
	if m.Burned || m.Recalled {
		return Message{}, tack.Errorf(tack.EExpired, "the message has burned")
	}
	now := s.clock.Now()
	m, changed, err := s.store.RevealMessage(ctx, convID, seq, now, now.Add(time.Duration(m.BurnAfterS)*time.Second))
	if err != nil {
		return Message{}, fmt.Errorf("reveal: %w", err)
	}
	if changed {
		if s.cfg.Deadlines != nil {
			r := MessageRef{ConversationID: convID, Seq: seq}
			data, _ := json.Marshal(r)
			if err := s.cfg.Deadlines.Schedule(ctx, deadline.Job{Kind: BurnJob, Key: burnKey(r), Due: *m.BurnsAt, Data: data}, true); err != nil {
				return Message{}, fmt.Errorf("schedule burn: %w", err)
			}
		}
		s.publishNow(ctx, []*bus.Event{s.messageEvent(m)})
	}
	if m.Burned {
		return Message{}, tack.Errorf(tack.EExpired, "the message has burned")
	}
	ms := []Message{m}
	_ = s.annotate(ctx, me.UserID, ms)
	return ms[0], nil
}

// Burn erases a secret message (a deadline job's handler; no caller
// needed): its text, its attachments and the files no other message
// carries, then (Config.Trash) their blobs. Burning a burned message does
// nothing; the event it publishes carries no text.
func (s *Service) Burn(ctx context.Context, r MessageRef) error {
	m, changed, err := s.store.BurnMessage(ctx, r.ConversationID, r.Seq)
	if errors.Is(err, tack.ErrNotFound) {
		return nil // gone with its conversation
	}
	if err != nil {
		return fmt.Errorf("burn: %w", err)
	}
	if changed {
		s.publishNow(ctx, []*bus.Event{s.messageEvent(m)})
	}
	if changed && s.cfg.Trash != nil {
		if _, err := s.cfg.Trash.EmptyTrash(ctx); err != nil {
			s.log.Warn("burn: delete blobs", "err", err) // the collector retries
		}
	}
	return nil
}

// HandleBurn is the deadline handler of BurnJob.
func (s *Service) HandleBurn(ctx context.Context, j deadline.Job) error {
	var r MessageRef
	if err := json.Unmarshal(j.Data, &r); err != nil || !r.ConversationID.Valid() {
		return deadline.Permanent(fmt.Errorf("burn job data: %v", err))
	}
	m, err := s.store.Message(ctx, r.ConversationID, r.Seq)
	if errors.Is(err, tack.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	if m.Burned || m.BurnsAt == nil {
		return nil
	}
	if later := m.BurnsAt.Sub(s.clock.Now()); later > 0 {
		// Not yet (the job ran early, e.g. a clock step): come back.
		if s.cfg.Deadlines != nil {
			return s.cfg.Deadlines.Schedule(ctx, deadline.Job{Kind: BurnJob, Key: j.Key, Due: *m.BurnsAt, Data: j.Data}, true)
		}
		return nil
	}
	return s.Burn(ctx, r)
}

// SweepBurns burns every secret message whose time has come, whatever the
// queue holds: a safety net run at start and now and then, for burns whose
// job was never scheduled (a crash between a send's commit and its
// scheduling). It returns how many it burned.
func (s *Service) SweepBurns(ctx context.Context) (int, error) {
	n := 0
	for {
		due, err := s.store.DueBurns(ctx, s.clock.Now(), 100)
		if err != nil {
			return n, fmt.Errorf("due burns: %w", err)
		}
		for _, r := range due {
			if err := s.Burn(ctx, r); err != nil {
				return n, err
			}
			n++
		}
		if len(due) < 100 {
			return n, nil
		}
	}
}

// ScreenshotNotice is the System.Action of the notice that someone took a
// screenshot of a secret chat (as far as their client can tell).
const ScreenshotNotice = "screenshot"

// ScreenshotEvery bounds screenshot notices: at most one per person and
// secret chat in each window of this length (reporting again in the same
// window returns the first notice).
const ScreenshotEvery = 10 * time.Second

// ReportScreenshot posts, in a secret chat, a notice that the caller took
// a screenshot of it (a client reports what it can detect: a PrintScreen
// key, a screen-capture shortcut). Both sides see it, as a system message
// with System.Action "screenshot" and ActorID the caller; it carries no
// text and is not pushed. Repeated reports within ScreenshotEvery return
// the same notice. Only in secret chats (tack.EInvalid elsewhere).
func (s *Service) ReportScreenshot(ctx context.Context, convID tack.ID) (Message, error) {
	me, err := s.member(ctx, convID)
	if err != nil {
		return Message{}, err
	}
	c, err := s.store.Conversation(ctx, convID)
	if err != nil {
		return Message{}, fmt.Errorf("conversation: %w", err)
	}
	if c.Kind != Secret {
		return Message{}, tack.Invalid("id", "screenshot notices are for secret chats")
	}
	now := s.clock.Now()
	clientID := fmt.Sprintf("screenshot:%s:%d", convID, now.UnixNano()/int64(ScreenshotEvery))
	res, err := s.store.Append(ctx, []NewMessage{{ConversationID: convID, ClientID: clientID, SenderID: me.UserID, Kind: SystemMessage,
		System: &System{Action: ScreenshotNotice, ActorID: me.UserID}, CreatedAt: now}})
	if err != nil {
		return Message{}, fmt.Errorf("screenshot notice: %w", err)
	}
	if !res[0].Duplicate {
		s.publishNow(ctx, []*bus.Event{s.messageEvent(res[0].Message)})
	}
	return res[0].Message, nil
}

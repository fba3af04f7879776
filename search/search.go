package search

import (
	"context"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/limit"
)

// Limits of one page.
const (
	DefaultLimit = 20
	MaxLimit     = 100
	// rounds bounds how many batches of candidates one page reads when
	// Query.Match turns many away.
	rounds = 5
)

// Hit is one indexed message a store found.
type Hit struct {
	// Key orders hits (newer messages have larger keys) and is the cursor.
	Key            int64
	ConversationID tack.ID
	Seq            int64
	SenderID       tack.ID
	Text           string
	// Files are the names of the message's files (found by name too).
	Files     []string
	CreatedAt time.Time
}

// Find asks an Index for candidates. The Service fills it; the store
// applies it as given and decides nothing.
type Find struct {
	// Terms are joined with AND.
	Terms []Term
	// MemberID restricts hits to conversations MemberID is a member of, and
	// to messages with seq >= the member's joined_seq there.
	MemberID tack.ID
	// ConversationID, SenderID: only that conversation, only that sender.
	ConversationID tack.ID
	SenderID       tack.ID
	// From (inclusive) and To (exclusive) bound CreatedAt; zero: unbounded.
	From, To time.Time
	// HasFile: only messages with attachments (files, images, voice).
	HasFile bool
	// Before: only hits with Key < Before (0: no bound).
	Before int64
	Limit  int
}

// Index finds messages by their tokens.
//
// What is indexed is the store's business and happens in the transaction
// that writes the message: messages of every kind but system events, in
// conversations of every type but "secret"; an edit replaces the tokens, a
// recall or deletion removes them. Files (by name) are to be indexed the
// same way once messages carry them.
type Index interface {
	// SearchMessages returns up to f.Limit hits matching all of f's terms and
	// filters, by Key descending.
	SearchMessages(ctx context.Context, f Find) ([]Hit, error)
}

// Store is what the Service needs of a database.
type Store interface {
	Index
	Membership
}

// Request is a search as the API receives it.
type Request struct {
	Q              string
	ConversationID tack.ID
	SenderID       tack.ID
	From, To       time.Time
	HasFile        bool
	Cursor         string
	Limit          int
}

// Result is one message found, with the parts that matched.
type Result struct {
	ConversationID tack.ID `json:"conversation_id"`
	Seq            int64   `json:"seq"`
	SenderID       tack.ID `json:"sender_id"`
	Text           string  `json:"text"`
	// Files are the names of the message's files, when it has some.
	Files      []string  `json:"files,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	Highlights []Range   `json:"highlights"`
}

// Group is the results of one conversation within a page, in page order.
type Group struct {
	ConversationID tack.ID  `json:"conversation_id"`
	Results        []Result `json:"results"`
}

// Page is one page of results, newest first.
type Page struct {
	Results []Result `json:"results"`
	// Groups holds the same results grouped by conversation, groups in the
	// order of their newest result.
	Groups []Group `json:"groups"`
	// NextCursor continues the search; "" when there is no more.
	NextCursor string `json:"next_cursor"`
}

// Membership tells whether a user is a member of a conversation.
type Membership interface {
	// IsMember reports whether userID is a member of convID.
	IsMember(ctx context.Context, convID, userID tack.ID) (bool, error)
}

// Service searches what the caller may read.
type Service struct {
	index   Index
	members Membership
	limit   *limit.Keyed
}

// NewService returns a Service over a store; lim, if not nil, bounds the
// searches of each user (a search reads an index: cheap, not free).
func NewService(st Store, lim *limit.Keyed) *Service {
	return &Service{index: st, members: st, limit: lim}
}

func encodeCursor(key int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(key, 36)))
}

func decodeCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		k, err := strconv.ParseInt(string(b), 36, 64)
		if err == nil && k > 0 {
			return k, nil
		}
	}
	return 0, tack.Invalid("cursor", "not a cursor this server gave")
}

// Search returns a page of the messages matching r.Q that the caller may
// read: in conversations they are a member of, sent since they joined,
// never in secret chats. Errors: EUnauthorized without a caller;
// ERateLimited past the limit; EInvalid
// for a bad query, cursor, limit, ID or date range; ENotFound for a
// conversation the caller is not in.
func (s *Service) Search(ctx context.Context, r Request) (Page, error) {
	uid := tack.UserID(ctx)
	if uid == "" {
		return Page{}, tack.Errorf(tack.EUnauthorized, "sign in first")
	}
	if s.limit != nil && !s.limit.Allow(string(uid)) {
		return Page{}, tack.RateLimited(time.Second, "too many searches: wait a moment")
	}
	q, err := Parse(r.Q)
	if err != nil {
		return Page{}, err
	}
	f := Find{Terms: q.Terms, MemberID: uid, From: r.From, To: r.To, HasFile: r.HasFile, Limit: r.Limit}
	if f.Limit == 0 {
		f.Limit = DefaultLimit
	}
	if f.Limit < 1 || f.Limit > MaxLimit {
		return Page{}, tack.Invalid("limit", "limit must be between 1 and %d", MaxLimit)
	}
	if !r.From.IsZero() && !r.To.IsZero() && !r.From.Before(r.To) {
		return Page{}, tack.Invalid("to", "to must be after from")
	}
	if r.SenderID != "" {
		if !r.SenderID.Valid() {
			return Page{}, tack.Invalid("sender_id", "not a user ID")
		}
		f.SenderID = r.SenderID
	}
	if r.Cursor != "" {
		if f.Before, err = decodeCursor(r.Cursor); err != nil {
			return Page{}, err
		}
	}
	if r.ConversationID != "" {
		if !r.ConversationID.Valid() {
			return Page{}, tack.Invalid("conversation_id", "not a conversation ID")
		}
		ok, err := s.members.IsMember(ctx, r.ConversationID, uid)
		if err != nil {
			return Page{}, fmt.Errorf("search: membership: %w", err)
		}
		if !ok {
			return Page{}, tack.Errorf(tack.ENotFound, "no such conversation")
		}
		f.ConversationID = r.ConversationID
	}
	want := f.Limit
	page := Page{Results: []Result{}, Groups: []Group{}}
	for round := 0; round < rounds; round++ {
		f.Limit = want + 1
		hits, err := s.index.SearchMessages(ctx, f)
		if err != nil {
			return Page{}, fmt.Errorf("search: %w", err)
		}
		for _, h := range hits {
			if len(page.Results) == want {
				// More may follow: continue after the last one read.
				page.NextCursor = encodeCursor(f.Before)
				return group(page), nil
			}
			f.Before = h.Key
			if !q.Match(FileText(h.Text, h.Files)) {
				continue
			}
			page.Results = append(page.Results, Result{ConversationID: h.ConversationID, Seq: h.Seq, SenderID: h.SenderID,
				Text: h.Text, Files: h.Files, CreatedAt: h.CreatedAt, Highlights: q.Highlight(h.Text)})
		}
		if len(hits) < f.Limit {
			return group(page), nil // the index has no more
		}
	}
	// Many candidates turned away: let the caller continue from here.
	page.NextCursor = encodeCursor(f.Before)
	return group(page), nil
}

func group(p Page) Page {
	at := map[tack.ID]int{}
	for _, r := range p.Results {
		i, ok := at[r.ConversationID]
		if !ok {
			i = len(p.Groups)
			at[r.ConversationID] = i
			p.Groups = append(p.Groups, Group{ConversationID: r.ConversationID})
		}
		p.Groups[i].Results = append(p.Groups[i].Results, r)
	}
	return p
}

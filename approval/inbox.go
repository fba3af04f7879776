package approval

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tackhq/tack"
)

// Page is a page of a box.
type Page struct {
	Approvals []Summary `json:"approvals"`
	// Next is the cursor of the next page ("" at the end).
	Next string `json:"next_cursor"`
}

var boxes = []string{BoxPending, BoxDone, BoxCC, BoxMine}

func encodeCursor(c Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.At.UnixMicro(), 10) + "." + string(c.InstanceID)))
}

func decodeCursor(s string) (*Cursor, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err == nil {
		at, id, ok := strings.Cut(string(b), ".")
		us, err := strconv.ParseInt(at, 10, 64)
		if ok && err == nil && tack.ID(id).Valid() {
			return &Cursor{At: time.UnixMicro(us).UTC(), InstanceID: tack.ID(id)}, nil
		}
	}
	return nil, tack.Invalid("cursor", "cursor must be a next_cursor from a page before")
}

// Box lists one of the caller's boxes, newest first: pending (their turn
// to act), done (what they acted on), cc (what they were told of), mine
// (what they asked for).
func (s *Service) Box(ctx context.Context, orgID tack.ID, box, cursor string, limit int) (Page, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Page{}, err
	}
	if box == "" {
		box = BoxPending
	}
	if !slices.Contains(boxes, box) {
		return Page{}, tack.Invalid("box", "box must be pending, done, cc or mine")
	}
	after, err := decodeCursor(cursor)
	if err != nil {
		return Page{}, err
	}
	if limit == 0 {
		limit = DefaultPage
	}
	if limit < 1 || limit > MaxPage {
		return Page{}, tack.Invalid("limit", "limit must be between 1 and %d", MaxPage)
	}
	es, err := s.store.Box(ctx, a.me.UserID, orgID, box, after, limit+1)
	if err != nil {
		return Page{}, err
	}
	p := Page{Approvals: []Summary{}}
	if len(es) > limit {
		es = es[:limit]
		last := es[len(es)-1]
		p.Next = encodeCursor(Cursor{At: last.At, InstanceID: last.InstanceID})
	}
	ids := make([]tack.ID, len(es))
	for i, e := range es {
		ids[i] = e.InstanceID
	}
	ins, err := s.store.Instances(ctx, orgID, ids)
	if err != nil {
		return Page{}, err
	}
	byID := make(map[tack.ID]*Instance, len(ins))
	for i := range ins {
		byID[ins[i].ID] = &ins[i]
	}
	for _, id := range ids {
		if in := byID[id]; in != nil {
			p.Approvals = append(p.Approvals, summaryOf(*in))
		}
	}
	return p, nil
}

// Counts are the numbers the workbench shows.
type Counts struct {
	Pending int `json:"pending"`
	CC      int `json:"cc"`
}

// Count counts the caller's pending and CC'd approvals.
func (s *Service) Count(ctx context.Context, orgID tack.ID) (Counts, error) {
	a, err := s.actor(ctx, orgID)
	if err != nil {
		return Counts{}, err
	}
	var c Counts
	if c.Pending, err = s.store.BoxCount(ctx, a.me.UserID, orgID, BoxPending); err != nil {
		return c, err
	}
	c.CC, err = s.store.BoxCount(ctx, a.me.UserID, orgID, BoxCC)
	return c, err
}

package ding

import (
	"context"

	"github.com/tackhq/tack"
)

// Read-receipt policy, per organisation:
//
//   - off: nobody sees who read what; only their own read position.
//   - choice (the default): each person decides (UserSettings.HideReceipts),
//     and it is reciprocal: who hides theirs sees no one's, and those who
//     hide theirs count as not having read.
//   - on: everyone sees receipts; nobody may hide theirs.
//
// In groups larger than ReceiptNamesMax members (default 500), receipts
// are counts only, never names. The policy applies to every view of
// receipts: who-read lists, the unread counts on messages, and the read
// events of the stream.
const (
	ReceiptsOff    = "off"
	ReceiptsChoice = "choice"
	ReceiptsOn     = "on"

	DefaultReceiptNamesMax = 500
)

// ReceiptView is what a viewer may see of others' receipts in one
// conversation.
type ReceiptView struct {
	// Show: the viewer sees receipts at all (counts or names).
	Show bool
	// Names: the viewer sees who, not only how many.
	Names bool
	// Hidden says whose reads are never shown (as read) to the viewer.
	Hidden func(reader string) bool
	// NoneHidden: Hidden is false for everyone (a fast path for callers).
	NoneHidden bool
}

// DecideReceipts applies the policy mode for a viewer in a conversation of
// members people, with namesMax from the organisation (0: the default);
// viewerHides is the viewer's own choice, hides a reader's.
func DecideReceipts(mode string, namesMax, members int, viewerHides bool, hides func(reader string) bool) ReceiptView {
	if namesMax <= 0 {
		namesMax = DefaultReceiptNamesMax
	}
	none := func(string) bool { return false }
	switch mode {
	case ReceiptsOff:
		return ReceiptView{Hidden: func(string) bool { return true }}
	case ReceiptsOn:
		return ReceiptView{Show: true, Names: members <= namesMax, Hidden: none, NoneHidden: true}
	default: // choice
		if viewerHides {
			return ReceiptView{Hidden: func(string) bool { return true }}
		}
		if hides == nil {
			return ReceiptView{Show: true, Names: members <= namesMax, Hidden: none, NoneHidden: true}
		}
		return ReceiptView{Show: true, Names: members <= namesMax, Hidden: hides}
	}
}

// Strictest returns the more private of two modes (off, then choice, then
// on): a conversation between people of several organisations follows the
// strictest of their policies.
func Strictest(a, b string) string {
	rank := map[string]int{ReceiptsOff: 0, ReceiptsChoice: 1, ReceiptsOn: 2, "": 1}
	if rank[a] <= rank[b] {
		if a == "" {
			return ReceiptsChoice
		}
		return a
	}
	return b
}

// ReceiptViewFor decides what viewer sees of others' receipts in a
// conversation of members people. The policy is the strictest among the
// viewer's organisations (choice for someone in none); readers are the
// people whose own choice matters (the other members, for groups up to the
// names bound; nil otherwise). For other services: no caller checks.
func (s *Service) ReceiptViewFor(ctx context.Context, viewer tack.ID, members int, readers []tack.ID) (ReceiptView, error) {
	orgs, _, err := s.dir.DirectoryOrgsOf(ctx, viewer)
	if err != nil {
		return ReceiptView{}, err
	}
	mode, namesMax := "", 0
	for i, o := range orgs {
		set, err := s.settings(ctx, o.ID)
		if err != nil {
			return ReceiptView{}, err
		}
		if i == 0 {
			mode = set.Receipts
		} else {
			mode = Strictest(mode, set.Receipts)
		}
		if namesMax == 0 || set.ReceiptNamesMax < namesMax {
			namesMax = set.ReceiptNamesMax
		}
	}
	return s.decide(ctx, mode, namesMax, viewer, members, readers)
}

// ReceiptViewIn decides what viewer sees of others' receipts on something
// of orgID's own (an announcement) that members people receive: that
// organisation's policy alone, whatever the viewer's other organisations
// say; readers as for ReceiptViewFor. For other services: no caller
// checks.
func (s *Service) ReceiptViewIn(ctx context.Context, orgID, viewer tack.ID, members int, readers []tack.ID) (ReceiptView, error) {
	set, err := s.settings(ctx, orgID)
	if err != nil {
		return ReceiptView{}, err
	}
	return s.decide(ctx, set.Receipts, set.ReceiptNamesMax, viewer, members, readers)
}

// decide applies mode with the viewer's and readers' own choices.
func (s *Service) decide(ctx context.Context, mode string, namesMax int, viewer tack.ID, members int, readers []tack.ID) (ReceiptView, error) {
	if mode == "" {
		mode = ReceiptsChoice
	}
	us, err := s.store.UserSettings(ctx, append([]tack.ID{viewer}, readers...))
	if err != nil {
		return ReceiptView{}, err
	}
	var hides func(string) bool
	for _, r := range readers {
		if us[r].HideReceipts {
			hides = func(r string) bool { return us[tack.ID(r)].HideReceipts }
			break
		}
	}
	return DecideReceipts(mode, namesMax, members, us[viewer].HideReceipts, hides), nil
}

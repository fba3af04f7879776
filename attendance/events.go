package attendance

import (
	"context"

	"github.com/tackhq/tack"
)

// Events hears of attendance results after they commit (the open
// platform turns them into apps' "attendance" events).
type Events interface {
	// Event tells of one result: event is "attendance", key orders it
	// among results with the same key (a member's).
	Event(ctx context.Context, orgID tack.ID, event, key string, data any)
}

// Result is the data of an attendance event. Action is "punch" (a
// member punched: Check is the judged check), "correction" (a make-up
// punch or an admin's correction set a check) or "day_closed" (a work
// day closed: Summary holds its results, Checks every check).
type Result struct {
	Action   string   `json:"action"`
	UserID   tack.ID  `json:"user_id"`
	MemberID tack.ID  `json:"member_id,omitempty"`
	WorkDate string   `json:"work_date"`
	Check    *Check   `json:"check,omitempty"`
	Checks   []Check  `json:"checks,omitempty"`
	Summary  *Summary `json:"summary,omitempty"`
}

func (s *Service) emit(ctx context.Context, orgID tack.ID, r Result) {
	if s.events != nil {
		s.events.Event(ctx, orgID, "attendance", "user:"+string(r.UserID), r)
	}
}

// emitDay tells of a closed day.
func (s *Service) emitDay(ctx context.Context, d Day) {
	sum := d.Summary
	s.emit(ctx, d.OrgID, Result{Action: "day_closed", UserID: d.UserID, MemberID: d.MemberID, WorkDate: d.WorkDate, Checks: d.Checks, Summary: &sum})
}

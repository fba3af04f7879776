package api

import (
	"encoding/json"
	"net/http"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/leave"
)

// leaveRoutes are the leave routes (see package leave).
func (s *Server) leaveRoutes() []route {
	l := s.withLeave
	const p = "/api/v1/orgs/{org_id}/leave"
	return []route{
		{method: "GET", path: p + "/types", summary: "Leave types of the organisation and their rules", auth: true, resp: "LeaveTypes", status: 200, h: l(s.leaveTypes)},
		{method: "PUT", path: p + "/types/{leave_type}", summary: "Add or change a leave type (admins)", auth: true, req: "LeaveType", resp: "LeaveType", status: 200, h: l(s.putLeaveType)},
		{method: "GET", path: p + "/balances", summary: "Leave balances (?user_id=: yourself, or someone you manage)", auth: true, resp: "LeaveBalances", status: 200, h: l(s.leaveBalances)},
		{method: "PUT", path: p + "/balances/{user_id}/{leave_type}", summary: "Set a balance, with a reason: a ledger line (admins)", auth: true, req: "LeaveBalanceIn", resp: "LeaveBalance", status: 200, h: l(s.setLeaveBalance)},
		{method: "GET", path: p + "/ledger", summary: "Ledger of balance changes, newest first (?user_id=&leave_type=&before=&limit=)", auth: true, resp: "LeaveLedger", status: 200, h: l(s.leaveLedger)},
		{method: "GET", path: p + "/quote", summary: "Count a leave request without asking (?leave_type=&start=&end=&start_half=&end_half=)", auth: true, resp: "LeaveQuote", status: 200, h: l(s.leaveQuote)},
	}
}

func init() {
	num := map[string]any{"type": "number"}
	ltype := obj("key", str(), "name", str(), "builtin", boolean(), "enabled", boolean(), "unit", enum(leave.UnitDay, leave.UnitHalfDay, leave.UnitHour),
		"counting", enum(leave.WorkingDays, leave.CalendarDays), "paid", boolean(), "min", num, "max", num, "proof_over", num,
		"max_days_ahead", integer(), "max_days_after", integer(), "balance", boolean(),
		"accrual", obj("kind", enum(leave.AccrueNone, leave.AccrueYearly, leave.AccrueMonthly, leave.AccrueTenure), "amount", num,
			"tiers", arr(obj("years", integer(), "amount", num))),
		"carry_over", obj("cap", num, "expires_months", integer()), "negative_limit", num, "version", integer(), "updated_at", timeT())
	balance := obj("leave_type", str(), "name", str(), "unit", str(), "balance", num, "carried", num, "carry_expires", str())
	for k, v := range map[string]any{
		"LeaveType":      ltype,
		"LeaveTypes":     obj("types", arr(ltype)),
		"LeaveBalance":   balance,
		"LeaveBalances":  obj("balances", arr(balance)),
		"LeaveBalanceIn": obj("balance", num, "reason", str()),
		"LeaveLedger": obj("lines", arr(obj("id", str(), "user_id", str(), "leave_type", str(), "kind", str(), "delta", num, "balance", num,
			"approval_id", str(), "actor_id", str(), "reason", str(), "at", timeT())), "next_before", str()),
		"LeaveQuote": obj("leave_type", str(), "name", str(), "unit", str(), "counting", str(), "paid", boolean(), "amount", num,
			"days", arr(obj("date", str(), "amount", num)), "from_date", str(), "to_date", str(), "start", timeT(), "end", timeT(),
			"proof_required", boolean(), "balance", num),
	} {
		schemas[k] = v
	}
}

// withLeave answers unavailable when the node has no leave.
func (s *Server) withLeave(h func(*leave.Service, http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Leave == nil {
			return tack.Errorf(tack.EUnavailable, "leave is not available on this server")
		}
		return h(s.cfg.Leave, w, r)
	}
}

func (s *Server) leaveTypes(ls *leave.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	ts, err := ls.Types(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"types": nonNil(ts)})
	return nil
}

func (s *Server) putLeaveType(ls *leave.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	t := leave.Type{Enabled: true} // unless the body says otherwise
	if err := decode(r, &t); err != nil {
		return err
	}
	t.Key = r.PathValue("leave_type")
	out, err := ls.PutType(r.Context(), id, t)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) leaveBalances(ls *leave.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	bs, err := ls.Balances(r.Context(), id, tack.ID(r.URL.Query().Get("user_id")))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"balances": bs})
	return nil
}

func (s *Server) setLeaveBalance(ls *leave.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in struct {
		Balance json.RawMessage `json:"balance"`
		Reason  string          `json:"reason"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if len(in.Balance) == 0 || string(in.Balance) == "null" {
		return tack.Invalid("balance", "balance is required, such as 4.5")
	}
	var amount leave.Amount
	if err := amount.UnmarshalJSON(in.Balance); err != nil {
		return tack.Invalid("balance", "balance must be a number with at most two decimals, such as 4.5")
	}
	b, err := ls.SetBalance(r.Context(), id, idParam(r, "user_id"), r.PathValue("leave_type"), amount, in.Reason)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) leaveLedger(ls *leave.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	if limit > 200 {
		return tack.Invalid("limit", "limit must be between 1 and 200")
	}
	lines, err := ls.Ledger(r.Context(), id, tack.ID(q.Get("user_id")), q.Get("leave_type"), tack.ID(q.Get("before")), int(limit))
	if err != nil {
		return err
	}
	next := ""
	if limit == 0 {
		limit = 50
	}
	if len(lines) == int(limit) {
		next = string(lines[len(lines)-1].ID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"lines": lines, "next_before": next})
	return nil
}

func (s *Server) leaveQuote(ls *leave.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	out, err := ls.MyQuote(r.Context(), id, leave.Request{LeaveType: q.Get("leave_type"), Start: q.Get("start"), End: q.Get("end"),
		StartHalf: q.Get("start_half"), EndHalf: q.Get("end_half"), Proof: true})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

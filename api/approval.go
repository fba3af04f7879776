package api

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/org"
)

func init() {
	statusOf[approval.EDecided] = http.StatusConflict
}

// awaySchemas adds the away status (休假中, 出差中) to the people of the
// OpenAPI document, once.
var awaySchemas sync.Once

// approvalRoutes are the approval routes (see package approval).
func (s *Server) approvalRoutes() []route {
	awaySchemas.Do(func() {
		away := obj("kind", enum(approval.KindLeave, approval.KindTrip), "label", str(), "until", timeT())
		for _, name := range []string{"User", "OrgMember"} {
			if sc, ok := schemas[name].(map[string]any); ok {
				if props, ok := sc["properties"].(map[string]any); ok {
					props["away"] = away
				}
			}
		}
	})
	a := s.withApproval
	const p = "/api/v1/orgs/{org_id}/approvals"
	act := func(name, summary string) route {
		return route{method: "POST", path: p + "/{approval_id}/" + name, summary: summary, auth: true, req: "ApprovalActionIn", resp: "Approval",
			status: 200, h: a(s.approvalAction(name))}
	}
	return []route{
		{method: "POST", path: p, summary: "Ask for an approval: {template, form, approvers?, auto_reply?}", auth: true, req: "ApprovalIn", resp: "Approval", status: 201, h: a(s.submitApproval)},
		{method: "GET", path: p, summary: "A box of approvals, newest first (?box=pending|done|cc|mine&cursor=&limit=)", auth: true, resp: "Approvals", status: 200, h: a(s.approvalBox)},
		{method: "GET", path: p + "/counts", summary: "How many approvals wait for you, and how many you were CC'd on", auth: true, resp: "ApprovalCounts", status: 200, h: a(s.approvalCounts)},
		{method: "GET", path: p + "/templates", summary: "Approval templates (built-in and the organisation's own)", auth: true, resp: "ApprovalTemplates", status: 200, h: a(s.approvalTemplates)},
		{method: "GET", path: p + "/templates/{key}", summary: "One approval template: its form and flow", auth: true, resp: "ApprovalTemplate", status: 200, h: a(s.approvalTemplate)},
		{method: "PUT", path: p + "/templates/{key}", summary: "Make or change a template: a new version (admins; ?version=N to change only that version)", auth: true, req: "ApprovalTemplate", resp: "ApprovalTemplate", status: 200, h: a(s.putApprovalTemplate)},
		{method: "GET", path: p + "/{approval_id}", summary: "One approval with its tasks and timeline (the originator, approvers, people CC'd, admins)", auth: true, resp: "Approval", status: 200, h: a(s.approvalGet)},
		act("approve", "Approve (a current approver) {comment?}"),
		act("reject", "Reject (a current approver) {comment?}"),
		act("transfer", "Hand your task to someone else {user_id, comment?}"),
		act("add", "Add an approver before or after you {user_id, position: before|after, comment?}"),
		act("return", "Send back to an earlier step {step?, comment?}"),
		act("comment", "Comment, with @mentions of people to tell {comment, mentions?, client_id?}"),
		act("withdraw", "Withdraw your request while it runs"),
		act("urge", "Remind the current approvers (once every 10 minutes)"),
		act("cancel", "Cancel an approved request: yours before it starts, or any as an admin; leave is given back"),
		{method: "POST", path: p + "/{approval_id}/announce", summary: "Tell your department's group that your approved leave or trip is on", auth: true, resp: "Approval", status: 200, h: a(s.announceApproval)},
	}
}

func init() {
	step := obj("node", str(), "name", str(), "type", enum(approval.NodeApprover, approval.NodeCC), "mode", enum(approval.ModeSequential, approval.ModeAll, approval.ModeAny),
		"approvers", arr(str()), "fallback", boolean(), "status", str(), "auto", str())
	task := obj("id", str(), "step", integer(), "round", integer(), "approver_id", str(), "status", str(), "after", str(), "added_by", str(),
		"comment", str(), "auto", str(), "created_at", timeT(), "acted_at", timeT())
	action := obj("id", str(), "actor_id", str(), "kind", str(), "step", integer(), "targets", arr(str()), "comment", str(), "mentions", arr(str()), "at", timeT())
	leaveInfo := obj("leave_type", str(), "name", str(), "unit", str(), "amount", map[string]any{"type": "number"}, "from_date", str(), "to_date", str(),
		"days", arr(obj("date", str(), "amount", map[string]any{"type": "number"})))
	span := obj("start", timeT(), "end", timeT())
	summary := []any{"id", str(), "template", str(), "template_name", str(), "kind", str(), "title", str(),
		"status", enum(approval.Running, approval.Approved, approval.Rejected, approval.Withdrawn, approval.Cancelled),
		"originator_id", str(), "pending", arr(str()), "leave", leaveInfo, "span", span, "created_at", timeT(), "updated_at", timeT(), "ended_at", timeT()}
	field := obj("key", str(), "type", enum(approval.FieldText, approval.FieldNumber, approval.FieldMoney, approval.FieldDate, approval.FieldDateRange,
		approval.FieldSelect, approval.FieldMulti, approval.FieldPerson, approval.FieldDepartment, approval.FieldAttachment, approval.FieldTable),
		"label", str(), "required", boolean(), "options", arr(str()), "multiple", boolean(), "max_runes", integer(), "time", boolean(), "any_time", boolean(),
		"columns", arr(map[string]any{"type": "object"}), "fixed", boolean())
	node := obj("id", str(), "type", enum(approval.NodeApprover, approval.NodeCC, approval.NodeBranch), "name", str(),
		"who", obj("type", enum(approval.WhoPerson, approval.WhoManager, approval.WhoManagers, approval.WhoRole, approval.WhoChosen, approval.WhoOriginator, approval.WhoHead),
			"user_ids", arr(str()), "level", integer(), "role", str()),
		"mode", enum(approval.ModeSequential, approval.ModeAll, approval.ModeAny),
		"branches", arr(obj("name", str(), "priority", integer(), "conditions", arr(obj("field", str(), "op", str(), "value", str(), "values", arr(str()))),
			"nodes", arr(map[string]any{"type": "object"}))))
	template := obj("id", str(), "org_id", str(), "key", str(), "kind", str(), "name", str(), "description", str(), "fields", arr(field), "flow", arr(node),
		"nobody", enum(approval.NobodyAutoApprove, approval.NobodyAdmin), "admin_ids", arr(str()), "dedup", boolean(), "comp_time", boolean(),
		"enabled", boolean(), "builtin", boolean(), "version", integer(), "updated_at", timeT())
	for k, v := range map[string]any{
		"ApprovalIn": obj("template", str(), "form", map[string]any{"type": "object"}, "approvers", map[string]any{"type": "object"}, "auto_reply", boolean()),
		"Approval": obj(append(summary, "org_id", str(), "template_version", integer(), "form", map[string]any{"type": "object"}, "steps", arr(step),
			"current", integer(), "round", integer(), "cc", arr(str()), "auto_reply", boolean(), "handover", str(), "urged_at", timeT(), "announced", boolean(),
			"attachments", arr(obj("id", str(), "kind", enum("image", "voice", "file"), "name", str(), "size", integer(), "mime", str(), "width", integer(), "height", integer())),
			"tasks", arr(task), "actions", arr(action), "can", arr(str()), "fields", arr(field))...),
		"Approvals":         obj("approvals", arr(obj(summary...)), "next_cursor", str()),
		"ApprovalCounts":    obj("pending", integer(), "cc", integer()),
		"ApprovalActionIn":  obj("comment", str(), "user_id", str(), "position", enum("before", "after"), "step", integer(), "mentions", arr(str()), "client_id", str()),
		"ApprovalTemplate":  template,
		"ApprovalTemplates": obj("templates", arr(template)),
	} {
		schemas[k] = v
	}
}

// withApproval answers unavailable when the node has no approvals.
func (s *Server) withApproval(h func(*approval.Service, http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Approval == nil {
			return tack.Errorf(tack.EUnavailable, "approvals are not available on this server")
		}
		return h(s.cfg.Approval, w, r)
	}
}

func (s *Server) submitApproval(as *approval.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in approval.SubmitInput
	if err := decode(r, &in); err != nil {
		return err
	}
	v, err := as.Submit(r.Context(), id, in)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, v)
	return nil
}

func (s *Server) approvalBox(as *approval.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	if limit > approval.MaxPage {
		return tack.Invalid("limit", "limit must be between 1 and %d", approval.MaxPage)
	}
	p, err := as.Box(r.Context(), id, q.Get("box"), q.Get("cursor"), int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) approvalCounts(as *approval.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	c, err := as.Count(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) approvalTemplates(as *approval.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	ts, err := as.Templates(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": nonNil(ts)})
	return nil
}

func (s *Server) approvalTemplate(as *approval.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	t, err := as.Template(r.Context(), id, r.PathValue("key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, t)
	return nil
}

func (s *Server) putApprovalTemplate(as *approval.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		if version, err = strconv.Atoi(v); err != nil || version < 1 {
			return tack.Invalid("version", "version must be a template version (1, 2, ...)")
		}
	}
	t := approval.Template{Enabled: true, Dedup: true} // unless the body says otherwise
	if err := decode(r, &t); err != nil {
		return err
	}
	t.Key = r.PathValue("key")
	out, err := as.PutTemplate(r.Context(), id, t, version)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) approvalGet(as *approval.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	v, err := as.Get(r.Context(), id, idParam(r, "approval_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

func (s *Server) approvalAction(name string) func(*approval.Service, http.ResponseWriter, *http.Request) error {
	return func(as *approval.Service, w http.ResponseWriter, r *http.Request) error {
		id, err := orgID(r)
		if err != nil {
			return err
		}
		var in approval.ActionInput
		if err := decode(r, &in); err != nil && !isEmptyBody(err) {
			return err
		}
		v, err := as.Act(r.Context(), id, idParam(r, "approval_id"), name, in)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, v)
		return nil
	}
}

// isEmptyBody: the body was empty (actions without a comment need none).
func isEmptyBody(err error) bool {
	var e *tack.Error
	return errors.As(err, &e) && e.Field == "body" && strings.HasPrefix(e.Message, "request body is empty")
}

func (s *Server) announceApproval(as *approval.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	v, err := as.Announce(r.Context(), id, idParam(r, "approval_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// Away statuses next to names: 休假中, 出差中.

type memberAway struct {
	org.Member
	Away *approval.Status `json:"away,omitempty"`
}

type userAway struct {
	account.User
	Away *approval.Status `json:"away,omitempty"`
}

func (s *Server) statuses(r *http.Request, ids []tack.ID) map[tack.ID]approval.Status {
	if s.cfg.Approval == nil || len(ids) == 0 {
		return nil
	}
	st, err := s.cfg.Approval.Statuses(r.Context(), ids)
	if err != nil {
		s.log.Warn("away statuses", "err", err)
	}
	return st
}

func statusPtr(m map[tack.ID]approval.Status, id tack.ID) *approval.Status {
	if st, ok := m[id]; ok && id != "" {
		return &st
	}
	return nil
}

// awayMembers adds each member's away status.
func (s *Server) awayMembers(r *http.Request, ms []org.Member) []memberAway {
	ids := make([]tack.ID, 0, len(ms))
	for _, m := range ms {
		if m.UserID != "" {
			ids = append(ids, m.UserID)
		}
	}
	st := s.statuses(r, ids)
	out := make([]memberAway, len(ms))
	for i, m := range ms {
		out[i] = memberAway{Member: m, Away: statusPtr(st, m.UserID)}
	}
	return out
}

func (s *Server) awayMember(r *http.Request, m org.Member) memberAway {
	return s.awayMembers(r, []org.Member{m})[0]
}

// awayUsers adds each user's away status.
func (s *Server) awayUsers(r *http.Request, us []account.User) []userAway {
	ids := make([]tack.ID, len(us))
	for i, u := range us {
		ids[i] = u.ID
	}
	st := s.statuses(r, ids)
	out := make([]userAway, len(us))
	for i, u := range us {
		out[i] = userAway{User: u, Away: statusPtr(st, u.ID)}
	}
	return out
}

// awayHits adds the away status to people found by GET /users?q=.
func (s *Server) awayHits(r *http.Request, hits []userHit) []userHit {
	ids := make([]tack.ID, len(hits))
	for i, h := range hits {
		ids[i] = h.ID
	}
	st := s.statuses(r, ids)
	for i := range hits {
		hits[i].Away = statusPtr(st, hits[i].ID)
	}
	return hits
}

package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/platform"
)

// appDataRoutes are the app calls into attendance and approvals (scopes
// attendance:read, approval:read, approval:write). Each is within the
// app's organisation only, and refused with module_off while the
// organisation has the module switched off.
func (s *Server) appDataRoutes() []route {
	p := s.withPlatform
	const ap = "/api/v1/app/approvals"
	return []route{
		{method: "GET", path: "/api/v1/conversations/{id}/modules", summary: "Which switchable features clients show in a conversation: {modules: {robots, secret_chat}} (members)", auth: true, resp: "ConvModules", status: 200, h: p(s.convModules)},
		{method: "GET", path: "/api/v1/app/attendance/records", summary: "App call (scope attendance:read): members' checks (?user_ids=ID,ID (≤ 50, user or member IDs)&from=YYYY-MM-DD&to= (≤ 62 days))", resp: "AttRecords", status: 200, h: p(s.appAttRecords)},
		{method: "GET", path: ap, summary: "App call (scope approval:read): a member's box of approvals (?user_id=&box=pending|done|cc|mine&cursor=&limit=)", resp: "Approvals", status: 200, h: p(s.appApprovalBox)},
		{method: "GET", path: ap + "/{approval_id}", summary: "App call (scope approval:read): one approval of the organisation with its tasks and timeline", resp: "Approval", status: 200, h: p(s.appApprovalGet)},
		{method: "POST", path: ap, summary: "App call (scope approval:write): ask for an approval on a member's behalf {originator_user_id, template, form, approvers?}", req: "AppApprovalIn", resp: "Approval", status: 201, h: p(s.appApprovalSubmit)},
		{method: "POST", path: ap + "/{approval_id}/{action}", summary: "App call (scope approval:write): act on an approval as a member {actor_user_id, comment?}; action approve, reject, comment, withdraw, urge", req: "AppApprovalAction", resp: "Approval", status: 200, h: p(s.appApprovalAct)},
	}
}

func init() {
	schemas["AppApprovalIn"] = obj("originator_user_id", str(), "template", str(), "form", map[string]any{"type": "object"},
		"approvers", map[string]any{"type": "object"}, "auto_reply", boolean())
	schemas["ConvModules"] = obj("modules", obj("robots", boolean(), "secret_chat", boolean()))
	schemas["AppApprovalAction"] = obj("actor_user_id", str(), "comment", str())
	if _, ok := schemas["AttRecords"]; !ok {
		schemas["AttRecords"] = obj("records", arr(map[string]any{"type": "object"}))
	}
}

// appModule is nil when the app's organisation has module on.
func appModule(ctx context.Context, ps *platform.Service, c platform.Caller, module string) error {
	on, err := ps.ModuleOn(ctx, c.App.OrgID, module)
	if err != nil {
		return err
	}
	if !on {
		return platform.ModuleOff(module)
	}
	return nil
}

// appAs returns ctx acting as the active member of the app's
// organisation with user or member ID id (approval:write acts on a
// member's behalf, as DingTalk's originator_user_id does). Anyone else is
// not found.
func (s *Server) appAs(ctx context.Context, c platform.Caller, field string, id tack.ID) (context.Context, error) {
	if id == "" {
		return nil, tack.Invalid(field, "%s is required", field)
	}
	if s.cfg.Org == nil {
		return nil, tack.Errorf(tack.EUnavailable, "the directory is not available on this server")
	}
	if !id.Valid() {
		return nil, tack.Errorf(tack.ENotFound, "no such member")
	}
	m, err := s.cfg.Org.DirectoryMember(ctx, c.App.OrgID, id)
	if tack.ErrorCode(err) == tack.ENotFound || err == nil && (m.Status != org.Active || m.UserID == "") {
		return nil, tack.Errorf(tack.ENotFound, "no such member")
	} else if err != nil {
		return nil, err
	}
	return tack.WithCaller(ctx, tack.Caller{UserID: m.UserID}), nil
}

func (s *Server) appAttRecords(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	return s.appCall(ps, w, r, platform.ScopeAttendanceRead, func(ctx context.Context, c platform.Caller) (any, error) {
		if s.cfg.Attendance == nil {
			return nil, tack.Errorf(tack.EUnavailable, "attendance is not available on this server")
		}
		if err := appModule(ctx, ps, c, platform.ModAttendance); err != nil {
			return nil, err
		}
		q := r.URL.Query()
		var ids []tack.ID
		for _, x := range strings.Split(q.Get("user_ids"), ",") {
			if x = strings.TrimSpace(x); x != "" {
				ids = append(ids, tack.ID(x))
			}
		}
		recs, err := s.cfg.Attendance.AppRecords(ctx, c.App.OrgID, ids, q.Get("from"), q.Get("to"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"records": recs}, nil
	})
}

func (s *Server) appApprovals(ctx context.Context, ps *platform.Service, c platform.Caller) (*approval.Service, error) {
	if s.cfg.Approval == nil {
		return nil, tack.Errorf(tack.EUnavailable, "approvals are not available on this server")
	}
	return s.cfg.Approval, appModule(ctx, ps, c, platform.ModApprovals)
}

func (s *Server) appApprovalBox(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	return s.appCall(ps, w, r, platform.ScopeApprovalRead, func(ctx context.Context, c platform.Caller) (any, error) {
		as, err := s.appApprovals(ctx, ps, c)
		if err != nil {
			return nil, err
		}
		q := r.URL.Query()
		limit, err := queryInt(r, "limit")
		if err != nil {
			return nil, err
		}
		if limit > approval.MaxPage {
			return nil, tack.Invalid("limit", "limit must be between 1 and %d", approval.MaxPage)
		}
		actx, err := s.appAs(ctx, c, "user_id", tack.ID(q.Get("user_id")))
		if err != nil {
			return nil, err
		}
		return as.Box(actx, c.App.OrgID, q.Get("box"), q.Get("cursor"), int(limit))
	})
}

func (s *Server) appApprovalGet(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	return s.appCall(ps, w, r, platform.ScopeApprovalRead, func(ctx context.Context, c platform.Caller) (any, error) {
		as, err := s.appApprovals(ctx, ps, c)
		if err != nil {
			return nil, err
		}
		return as.AppGet(ctx, c.App.OrgID, tack.ID(r.PathValue("approval_id")))
	})
}

func (s *Server) appApprovalSubmit(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return s.appCallStatus(ps, w, r, platform.ScopeApprovalWrite, http.StatusCreated, func(ctx context.Context, c platform.Caller) (any, error) {
		as, err := s.appApprovals(ctx, ps, c)
		if err != nil {
			return nil, err
		}
		var who struct {
			Originator tack.ID `json:"originator_user_id"`
		}
		var in approval.SubmitInput
		if json.Unmarshal(body, &who) != nil || json.Unmarshal(body, &in) != nil {
			return nil, tack.Invalid("body", "the body is not a JSON object of the expected shape")
		}
		actx, err := s.appAs(ctx, c, "originator_user_id", who.Originator)
		if err != nil {
			return nil, err
		}
		return as.Submit(actx, c.App.OrgID, in)
	})
}

// appActions are the actions an app may take on a member's behalf.
var appActions = map[string]bool{approval.ActApprove: true, approval.ActReject: true, approval.ActComment: true, approval.ActWithdraw: true, approval.ActUrge: true}

func (s *Server) appApprovalAct(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	return s.appCall(ps, w, r, platform.ScopeApprovalWrite, func(ctx context.Context, c platform.Caller) (any, error) {
		as, err := s.appApprovals(ctx, ps, c)
		if err != nil {
			return nil, err
		}
		action := r.PathValue("action")
		if !appActions[action] {
			return nil, tack.Invalid("action", "the action is approve, reject, comment, withdraw or urge")
		}
		var in struct {
			Actor   tack.ID `json:"actor_user_id"`
			Comment string  `json:"comment"`
		}
		if len(body) > 0 && json.Unmarshal(body, &in) != nil {
			return nil, tack.Invalid("body", "the body is not a JSON object of the expected shape")
		}
		actx, err := s.appAs(ctx, c, "actor_user_id", in.Actor)
		if err != nil {
			return nil, err
		}
		return as.Act(actx, c.App.OrgID, tack.ID(r.PathValue("approval_id")), action, approval.ActionInput{Comment: in.Comment})
	})
}

func (s *Server) convModules(ps *platform.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := ps.ConversationModules(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"modules": m})
	return nil
}

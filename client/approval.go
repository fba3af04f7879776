package client

import (
	"context"
	"net/url"
	"strconv"

	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/leave"
)

// Types of the approvals and leave API, shared with the server.
type (
	Approval         = approval.View
	ApprovalSummary  = approval.Summary
	ApprovalTemplate = approval.Template
	ApprovalCounts   = approval.Counts
	ApprovalAction   = approval.ActionInput
	LeaveType        = leave.Type
	LeaveBalance     = leave.BalanceOut
	LeaveLine        = leave.Line
	LeaveQuote       = leave.Quote
	LeaveAmount      = leave.Amount
)

// ApprovalPage is a page of a box.
type ApprovalPage = approval.Page

func approvalPath(orgID, rest string) string {
	return "/api/v1/orgs/" + p(orgID) + "/approvals" + rest
}

// SubmitApproval asks for an approval. body is an approval.SubmitInput
// or any value of the API's shape ({template, form, approvers?, auto_reply?}).
func (c *Client) SubmitApproval(ctx context.Context, orgID string, body any) (Approval, error) {
	var v Approval
	err := c.Do(ctx, "POST", approvalPath(orgID, ""), body, &v)
	return v, err
}

// Approvals lists a box: pending, done, cc or mine.
func (c *Client) Approvals(ctx context.Context, orgID, box, cursor string, limit int) (ApprovalPage, error) {
	q := url.Values{}
	if box != "" {
		q.Set("box", box)
	}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var pg ApprovalPage
	err := c.Do(ctx, "GET", approvalPath(orgID, "?"+q.Encode()), nil, &pg)
	return pg, err
}

// Approval returns one approval with its tasks and timeline.
func (c *Client) Approval(ctx context.Context, orgID, id string) (Approval, error) {
	var v Approval
	err := c.Do(ctx, "GET", approvalPath(orgID, "/"+p(id)), nil, &v)
	return v, err
}

// Act takes an action on an approval: approve, reject, transfer, add,
// return, comment, withdraw, urge, cancel (or announce).
func (c *Client) Act(ctx context.Context, orgID, id, action string, in ApprovalAction) (Approval, error) {
	var v Approval
	err := c.Do(ctx, "POST", approvalPath(orgID, "/"+p(id)+"/"+p(action)), in, &v)
	return v, err
}

// ApprovalCounts returns how many approvals wait for the caller.
func (c *Client) ApprovalCounts(ctx context.Context, orgID string) (ApprovalCounts, error) {
	var n ApprovalCounts
	err := c.Do(ctx, "GET", approvalPath(orgID, "/counts"), nil, &n)
	return n, err
}

// ApprovalTemplates lists the organisation's templates.
func (c *Client) ApprovalTemplates(ctx context.Context, orgID string) ([]ApprovalTemplate, error) {
	var out struct {
		Templates []ApprovalTemplate `json:"templates"`
	}
	err := c.Do(ctx, "GET", approvalPath(orgID, "/templates"), nil, &out)
	return out.Templates, err
}

// PutApprovalTemplate makes or changes a template (admins); version, when
// not 0, is the version being changed.
func (c *Client) PutApprovalTemplate(ctx context.Context, orgID, key string, body any, version int) (ApprovalTemplate, error) {
	path := approvalPath(orgID, "/templates/"+p(key))
	if version > 0 {
		path += "?version=" + strconv.Itoa(version)
	}
	var t ApprovalTemplate
	err := c.Do(ctx, "PUT", path, body, &t)
	return t, err
}

func leavePath(orgID, rest string) string {
	return "/api/v1/orgs/" + p(orgID) + "/leave" + rest
}

// LeaveTypes lists the organisation's leave types.
func (c *Client) LeaveTypes(ctx context.Context, orgID string) ([]LeaveType, error) {
	var out struct {
		Types []LeaveType `json:"types"`
	}
	err := c.Do(ctx, "GET", leavePath(orgID, "/types"), nil, &out)
	return out.Types, err
}

// PutLeaveType adds or changes a leave type (admins).
func (c *Client) PutLeaveType(ctx context.Context, orgID, key string, body any) (LeaveType, error) {
	var t LeaveType
	err := c.Do(ctx, "PUT", leavePath(orgID, "/types/"+p(key)), body, &t)
	return t, err
}

// LeaveBalances lists someone's balances ("" is the caller).
func (c *Client) LeaveBalances(ctx context.Context, orgID, userID string) ([]LeaveBalance, error) {
	path := leavePath(orgID, "/balances")
	if userID != "" {
		path += "?user_id=" + url.QueryEscape(userID)
	}
	var out struct {
		Balances []LeaveBalance `json:"balances"`
	}
	err := c.Do(ctx, "GET", path, nil, &out)
	return out.Balances, err
}

// SetLeaveBalance sets someone's balance of a type (admins), with a reason.
func (c *Client) SetLeaveBalance(ctx context.Context, orgID, userID, leaveType string, balance LeaveAmount, reason string) (LeaveBalance, error) {
	var b LeaveBalance
	err := c.Do(ctx, "PUT", leavePath(orgID, "/balances/"+p(userID)+"/"+p(leaveType)),
		map[string]any{"balance": balance, "reason": reason}, &b)
	return b, err
}

// LeaveLedger lists someone's ledger lines, newest first.
func (c *Client) LeaveLedger(ctx context.Context, orgID, userID, leaveType string) ([]LeaveLine, error) {
	q := url.Values{}
	if userID != "" {
		q.Set("user_id", userID)
	}
	if leaveType != "" {
		q.Set("leave_type", leaveType)
	}
	var out struct {
		Lines []LeaveLine `json:"lines"`
	}
	err := c.Do(ctx, "GET", leavePath(orgID, "/ledger?"+q.Encode()), nil, &out)
	return out.Lines, err
}

// LeaveQuote counts a leave request without asking for it.
func (c *Client) LeaveQuote(ctx context.Context, orgID string, r leave.Request) (LeaveQuote, error) {
	q := url.Values{"leave_type": {r.LeaveType}, "start": {r.Start}, "end": {r.End}}
	if r.StartHalf != "" {
		q.Set("start_half", r.StartHalf)
	}
	if r.EndHalf != "" {
		q.Set("end_half", r.EndHalf)
	}
	var out LeaveQuote
	err := c.Do(ctx, "GET", leavePath(orgID, "/quote?"+q.Encode()), nil, &out)
	return out, err
}

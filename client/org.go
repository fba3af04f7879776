package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/tackhq/tack/org"
)

// Types of the organisation API, shared with the server.
type (
	Department        = org.Department
	OrgMember         = org.Member
	Privacy           = org.Privacy
	Invitation        = org.Invitation
	InvitationPreview = org.InvitationPreview
	OrgGroup          = org.Group
	Audit             = org.Audit
	ImportResult      = org.ImportResult
	Contact           = org.Contact
	Friendship        = org.Friendship
)

// Org is an organisation with the caller's membership (Me).
type Org struct {
	org.Org
	Me *org.Member `json:"me,omitempty"`
}

// InvitationOut is an invitation with its link path.
type InvitationOut struct {
	org.Invitation
	URL string `json:"url"`
}

// Joined is the answer to accepting an invitation.
type Joined struct {
	Org    Org        `json:"org"`
	Member org.Member `json:"member"`
	Status string     `json:"status"`
}

// MemberPage is a page of the directory.
type MemberPage struct {
	Members    []org.Member `json:"members"`
	NextCursor string       `json:"next_cursor"`
}

// MemberQuery filters the directory.
type MemberQuery struct {
	Q, DepartmentID, Under, Status, Cursor string
	Limit                                  int
}

func p(id string) string { return url.PathEscape(id) }

// CreateOrg creates an organisation owned by the caller.
func (c *Client) CreateOrg(ctx context.Context, name, timeZone string) (Org, error) {
	var o Org
	err := c.Do(ctx, "POST", "/api/v1/orgs", map[string]string{"name": name, "time_zone": timeZone}, &o)
	return o, err
}

// Orgs lists the caller's organisations.
func (c *Client) Orgs(ctx context.Context) ([]Org, error) {
	var out struct {
		Orgs []Org `json:"orgs"`
	}
	err := c.Do(ctx, "GET", "/api/v1/orgs", nil, &out)
	return out.Orgs, err
}

// Org returns one organisation.
func (c *Client) Org(ctx context.Context, id string) (Org, error) {
	var o Org
	err := c.Do(ctx, "GET", "/api/v1/orgs/"+p(id), nil, &o)
	return o, err
}

// UpdateOrg changes settings; body holds name, logo, time_zone, privacy.
func (c *Client) UpdateOrg(ctx context.Context, id string, body map[string]any) (Org, error) {
	var o Org
	err := c.Do(ctx, "PATCH", "/api/v1/orgs/"+p(id), body, &o)
	return o, err
}

// TransferOrg makes memberID the owner.
func (c *Client) TransferOrg(ctx context.Context, id, memberID string) error {
	return c.Do(ctx, "POST", "/api/v1/orgs/"+p(id)+"/owner", map[string]string{"member_id": memberID}, nil)
}

// LeaveOrg leaves an organisation.
func (c *Client) LeaveOrg(ctx context.Context, id string) error {
	return c.Do(ctx, "POST", "/api/v1/orgs/"+p(id)+"/leave", nil, nil)
}

// Departments lists the department tree.
func (c *Client) Departments(ctx context.Context, orgID string) ([]Department, error) {
	var out struct {
		Departments []Department `json:"departments"`
	}
	err := c.Do(ctx, "GET", "/api/v1/orgs/"+p(orgID)+"/departments", nil, &out)
	return out.Departments, err
}

// CreateDepartment adds a department under parentID ("" for the top).
func (c *Client) CreateDepartment(ctx context.Context, orgID, parentID, name string) (Department, error) {
	var d Department
	err := c.Do(ctx, "POST", "/api/v1/orgs/"+p(orgID)+"/departments", map[string]string{"name": name, "parent_id": parentID}, &d)
	return d, err
}

// UpdateDepartment renames, moves or sets heads (keys name, parent_id, head_ids).
func (c *Client) UpdateDepartment(ctx context.Context, orgID, id string, body map[string]any) (Department, error) {
	var d Department
	err := c.Do(ctx, "PATCH", "/api/v1/orgs/"+p(orgID)+"/departments/"+p(id), body, &d)
	return d, err
}

// DeleteDepartment deletes an empty department.
func (c *Client) DeleteDepartment(ctx context.Context, orgID, id string) error {
	return c.Do(ctx, "DELETE", "/api/v1/orgs/"+p(orgID)+"/departments/"+p(id), nil, nil)
}

// OrgMembers searches or browses the directory.
func (c *Client) OrgMembers(ctx context.Context, orgID string, q MemberQuery) (MemberPage, error) {
	v := url.Values{}
	for k, s := range map[string]string{"q": q.Q, "department_id": q.DepartmentID, "under": q.Under, "status": q.Status, "cursor": q.Cursor} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	var out MemberPage
	err := c.Do(ctx, "GET", "/api/v1/orgs/"+p(orgID)+"/members?"+v.Encode(), nil, &out)
	return out, err
}

// OrgMember returns a profile by member or user ID.
func (c *Client) OrgMember(ctx context.Context, orgID, id string) (OrgMember, error) {
	var m OrgMember
	err := c.Do(ctx, "GET", "/api/v1/orgs/"+p(orgID)+"/members/"+p(id), nil, &m)
	return m, err
}

// UpdateOrgMember changes a profile (keys as in the API).
func (c *Client) UpdateOrgMember(ctx context.Context, orgID, id string, body map[string]any) (OrgMember, error) {
	var m OrgMember
	err := c.Do(ctx, "PATCH", "/api/v1/orgs/"+p(orgID)+"/members/"+p(id), body, &m)
	return m, err
}

// SetMemberStatus suspends, reactivates or removes a member.
func (c *Client) SetMemberStatus(ctx context.Context, orgID, id, status string) (OrgMember, error) {
	var m OrgMember
	err := c.Do(ctx, "PUT", "/api/v1/orgs/"+p(orgID)+"/members/"+p(id)+"/status", map[string]string{"status": status}, &m)
	return m, err
}

// SetMemberRole appoints admins and sub-admins.
func (c *Client) SetMemberRole(ctx context.Context, orgID, id, role string, departments []string) (OrgMember, error) {
	var m OrgMember
	if departments == nil {
		departments = []string{}
	}
	err := c.Do(ctx, "PUT", "/api/v1/orgs/"+p(orgID)+"/members/"+p(id)+"/role", map[string]any{"role": role, "department_ids": departments}, &m)
	return m, err
}

// CreateInvitation makes an invitation; body keys: email, phone, name,
// department_ids, max_uses, expires_in_hours.
func (c *Client) CreateInvitation(ctx context.Context, orgID string, body map[string]any) (InvitationOut, error) {
	var inv InvitationOut
	if body == nil {
		body = map[string]any{}
	}
	err := c.Do(ctx, "POST", "/api/v1/orgs/"+p(orgID)+"/invitations", body, &inv)
	return inv, err
}

// Invitations lists an organisation's invitations.
func (c *Client) Invitations(ctx context.Context, orgID string) ([]InvitationOut, error) {
	var out struct {
		Invitations []InvitationOut `json:"invitations"`
	}
	err := c.Do(ctx, "GET", "/api/v1/orgs/"+p(orgID)+"/invitations", nil, &out)
	return out.Invitations, err
}

// RevokeInvitation withdraws an invitation.
func (c *Client) RevokeInvitation(ctx context.Context, orgID, code string) error {
	return c.Do(ctx, "DELETE", "/api/v1/orgs/"+p(orgID)+"/invitations/"+p(code), nil, nil)
}

// PreviewInvitation says what a code is for.
func (c *Client) PreviewInvitation(ctx context.Context, code string) (InvitationPreview, error) {
	var out InvitationPreview
	err := c.Do(ctx, "GET", "/api/v1/invitations/"+p(code), nil, &out)
	return out, err
}

// AcceptInvitation joins (or asks to join) an organisation.
func (c *Client) AcceptInvitation(ctx context.Context, code string) (Joined, error) {
	var out Joined
	err := c.Do(ctx, "POST", "/api/v1/invitations/"+p(code)+"/accept", nil, &out)
	return out, err
}

// JoinRequests lists pending join requests.
func (c *Client) JoinRequests(ctx context.Context, orgID string) ([]OrgMember, error) {
	var out MemberPage
	err := c.Do(ctx, "GET", "/api/v1/orgs/"+p(orgID)+"/join-requests", nil, &out)
	return out.Members, err
}

// ApproveRequest lets a pending member in; DeclineRequest refuses.
func (c *Client) ApproveRequest(ctx context.Context, orgID, memberID string) error {
	return c.Do(ctx, "POST", "/api/v1/orgs/"+p(orgID)+"/join-requests/"+p(memberID)+"/approve", nil, nil)
}

// DeclineRequest refuses a pending join request.
func (c *Client) DeclineRequest(ctx context.Context, orgID, memberID string) error {
	return c.Do(ctx, "POST", "/api/v1/orgs/"+p(orgID)+"/join-requests/"+p(memberID)+"/decline", nil, nil)
}

// CreateOrgGroup makes the all-staff group (departmentID "") or a department's group.
func (c *Client) CreateOrgGroup(ctx context.Context, orgID, departmentID, title string) (OrgGroup, error) {
	var g OrgGroup
	err := c.Do(ctx, "POST", "/api/v1/orgs/"+p(orgID)+"/groups", map[string]string{"department_id": departmentID, "title": title}, &g)
	return g, err
}

// OrgGroups lists organisation groups.
func (c *Client) OrgGroups(ctx context.Context, orgID string) ([]OrgGroup, error) {
	var out struct {
		Groups []OrgGroup `json:"groups"`
	}
	err := c.Do(ctx, "GET", "/api/v1/orgs/"+p(orgID)+"/groups", nil, &out)
	return out.Groups, err
}

// AuditLog returns a page of the audit log and the cursor of the next.
func (c *Client) AuditLog(ctx context.Context, orgID, before string, limit int) ([]Audit, string, error) {
	var out struct {
		Entries    []Audit `json:"entries"`
		NextBefore string  `json:"next_before"`
	}
	v := url.Values{}
	if before != "" {
		v.Set("before", before)
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	err := c.Do(ctx, "GET", "/api/v1/orgs/"+p(orgID)+"/audit?"+v.Encode(), nil, &out)
	return out.Entries, out.NextBefore, err
}

// ImportProgress is one progress line of a streamed import.
type ImportProgress struct {
	Phase string `json:"phase"` // "check" or "write"
	Done  int    `json:"done"`
	Total int    `json:"total"`
}

// ImportOptions tune ImportMembers.
type ImportOptions struct {
	DryRun   bool
	Format   string // "csv" or "xlsx"; "" guesses from the content
	Encoding string // CSV only: "" detects it; "utf-8", "gb18030" or "utf-16" force it
	// Progress, if set, hears upload progress (phase "upload", bytes) and
	// the server's progress (phases "check" and "write", rows).
	Progress func(ImportProgress)
}

// ImportMembers uploads a CSV or XLSX file of members and returns the
// server's report. Rows with errors are in the report, not the error.
func (c *Client) ImportMembers(ctx context.Context, orgID string, file []byte, opt ImportOptions) (ImportResult, error) {
	v := url.Values{}
	if opt.DryRun {
		v.Set("dry_run", "1")
	}
	if opt.Format != "" {
		v.Set("format", opt.Format)
	}
	if opt.Encoding != "" {
		v.Set("encoding", opt.Encoding)
	}
	progress := opt.Progress
	if progress == nil {
		progress = func(ImportProgress) {}
	}
	body := &countingReader{r: bytes.NewReader(file), total: len(file), fn: progress}
	req, err := http.NewRequestWithContext(ctx, "POST", c.BaseURL+"/api/v1/orgs/"+p(orgID)+"/imports?"+v.Encode(), body)
	if err != nil {
		return ImportResult{}, err
	}
	req.ContentLength = int64(len(file))
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Accept", "application/x-ndjson")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := *c.HTTP
	hc.Timeout = 0 // large imports take a while; ctx bounds them
	resp, err := hc.Do(req)
	if err != nil {
		return ImportResult{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var eb struct {
			Error *Error `json:"error"`
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		if json.Unmarshal(b, &eb) == nil && eb.Error != nil {
			eb.Error.Status = resp.StatusCode
			return ImportResult{}, eb.Error
		}
		return ImportResult{}, &Error{Status: resp.StatusCode, Code: "http", Message: strings.TrimSpace(string(b))}
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 256<<20)
	for sc.Scan() {
		var line struct {
			Type   string        `json:"type"`
			Phase  string        `json:"phase"`
			Done   int           `json:"done"`
			Total  int           `json:"total"`
			Result *ImportResult `json:"result"`
			Error  *Error        `json:"error"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			return ImportResult{}, fmt.Errorf("import: bad answer line: %w", err)
		}
		switch line.Type {
		case "progress":
			progress(ImportProgress{Phase: line.Phase, Done: line.Done, Total: line.Total})
		case "result":
			if line.Result == nil {
				return ImportResult{}, fmt.Errorf("import: empty result")
			}
			return *line.Result, nil
		case "error":
			if line.Error == nil {
				line.Error = &Error{Code: "internal", Message: "import failed"}
			}
			line.Error.Status = http.StatusOK
			return ImportResult{}, line.Error
		}
	}
	if err := sc.Err(); err != nil {
		return ImportResult{}, err
	}
	return ImportResult{}, fmt.Errorf("import: the server ended without a result")
}

type countingReader struct {
	r     io.Reader
	n     int
	total int
	fn    func(ImportProgress)
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n += n
	c.fn(ImportProgress{Phase: "upload", Done: c.n, Total: c.total})
	return n, err
}

// Contacts lists external contacts.
func (c *Client) Contacts(ctx context.Context, orgID, q string) ([]Contact, error) {
	var out struct {
		Contacts []Contact `json:"contacts"`
	}
	err := c.Do(ctx, "GET", "/api/v1/orgs/"+p(orgID)+"/contacts?q="+url.QueryEscape(q), nil, &out)
	return out.Contacts, err
}

// AddContact adds an external contact (keys as in the API).
func (c *Client) AddContact(ctx context.Context, orgID string, body map[string]any) (Contact, error) {
	var out Contact
	err := c.Do(ctx, "POST", "/api/v1/orgs/"+p(orgID)+"/contacts", body, &out)
	return out, err
}

// Friends lists friends, requests and blocks.
func (c *Client) Friends(ctx context.Context) ([]Friendship, error) {
	var out struct {
		Friends []Friendship `json:"friends"`
	}
	err := c.Do(ctx, "GET", "/api/v1/friends", nil, &out)
	return out.Friends, err
}

// RequestFriend asks userID to be friends; it returns "friend" or "outgoing".
func (c *Client) RequestFriend(ctx context.Context, userID string) (string, error) {
	var out struct {
		State string `json:"state"`
	}
	err := c.Do(ctx, "POST", "/api/v1/friends", map[string]string{"user_id": userID}, &out)
	return out.State, err
}

// AcceptFriend accepts userID's request.
func (c *Client) AcceptFriend(ctx context.Context, userID string) error {
	return c.Do(ctx, "POST", "/api/v1/friends/"+p(userID)+"/accept", nil, nil)
}

// Block blocks userID.
func (c *Client) Block(ctx context.Context, userID string) error {
	return c.Do(ctx, "PUT", "/api/v1/blocks/"+p(userID), nil, nil)
}

// ExternalConversations lists the caller's external conversations.
func (c *Client) ExternalConversations(ctx context.Context) ([]string, error) {
	var out struct {
		IDs []string `json:"conversation_ids"`
	}
	err := c.Do(ctx, "GET", "/api/v1/me/external-conversations", nil, &out)
	return out.IDs, err
}

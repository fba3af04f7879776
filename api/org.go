package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/org"
	"github.com/tackhq/tack/sheet"
)

// MaxImport is the largest file accepted by the member import.
const MaxImport = 16 << 20

// orgRoutes are the organisation and directory routes (see package org).
func (s *Server) orgRoutes() []route {
	o := s.withOrg
	return []route{
		{method: "POST", path: "/api/v1/orgs", summary: "Create an organisation (you own it)", auth: true, req: "CreateOrg", resp: "Org", status: 201, h: o(s.createOrg)},
		{method: "GET", path: "/api/v1/orgs", summary: "Your organisations, with your membership", auth: true, resp: "Orgs", status: 200, h: o(s.orgs)},
		{method: "GET", path: "/api/v1/orgs/{org_id}", summary: "One organisation (privacy rules: admins only)", auth: true, resp: "Org", status: 200, h: o(s.getOrg)},
		{method: "PATCH", path: "/api/v1/orgs/{org_id}", summary: "Change name, logo, time zone, privacy rules (admins)", auth: true, req: "UpdateOrg", resp: "Org", status: 200, h: o(s.updateOrg)},
		{method: "POST", path: "/api/v1/orgs/{org_id}/owner", summary: "Transfer ownership (owner)", auth: true, req: "MemberRef", resp: "Org", status: 200, h: o(s.transferOrg)},
		{method: "POST", path: "/api/v1/orgs/{org_id}/leave", summary: "Leave an organisation", auth: true, status: 204, h: o(s.leaveOrg)},
		{method: "GET", path: "/api/v1/orgs/{org_id}/audit", summary: "Audit log, newest first (admins; ?before=ID&limit=N)", auth: true, resp: "AuditLog", status: 200, h: o(s.auditLog)},

		{method: "GET", path: "/api/v1/orgs/{org_id}/departments", summary: "The department tree you may see, top-down", auth: true, resp: "Departments", status: 200, h: o(s.departments)},
		{method: "POST", path: "/api/v1/orgs/{org_id}/departments", summary: "Add a department (admins; sub-admins within their scope)", auth: true, req: "CreateDepartment", resp: "Department", status: 201, h: o(s.createDepartment)},
		{method: "GET", path: "/api/v1/orgs/{org_id}/departments/{dept_id}", summary: "One department", auth: true, resp: "Department", status: 200, h: o(s.department)},
		{method: "PATCH", path: "/api/v1/orgs/{org_id}/departments/{dept_id}", summary: "Rename, move, or set heads of a department", auth: true, req: "UpdateDepartment", resp: "Department", status: 200, h: o(s.updateDepartment)},
		{method: "DELETE", path: "/api/v1/orgs/{org_id}/departments/{dept_id}", summary: "Delete an empty department", auth: true, status: 204, h: o(s.deleteDepartment)},

		{method: "GET", path: "/api/v1/orgs/{org_id}/members", summary: "Directory search and browse (?q=&department_id=&under=&status=&cursor=&limit=)", auth: true, resp: "OrgMembers", status: 200, h: o(s.orgMembers)},
		{method: "GET", path: "/api/v1/orgs/{org_id}/members/{member_id}", summary: "A member's profile card (member or user ID)", auth: true, resp: "OrgMember", status: 200, h: o(s.orgMember)},
		{method: "PATCH", path: "/api/v1/orgs/{org_id}/members/{member_id}", summary: "Change a member's profile (admins; sub-admins for their departments)", auth: true, req: "UpdateOrgMember", resp: "OrgMember", status: 200, h: o(s.updateOrgMember)},
		{method: "PUT", path: "/api/v1/orgs/{org_id}/members/{member_id}/status", summary: "Suspend, reactivate or remove (left) a member", auth: true, req: "MemberStatus", resp: "OrgMember", status: 200, h: o(s.setMemberStatus)},
		{method: "PUT", path: "/api/v1/orgs/{org_id}/members/{member_id}/role", summary: "Appoint an admin or sub-admin, or make a plain member", auth: true, req: "MemberRole", resp: "OrgMember", status: 200, h: o(s.setMemberRole)},
		{method: "POST", path: "/api/v1/orgs/{org_id}/imports", summary: "Import members from CSV or XLSX (?dry_run=1&format=&encoding=); Accept: application/x-ndjson streams progress", auth: true, resp: "ImportResult", status: 200, h: o(s.importMembers), maxBody: MaxImport},

		{method: "POST", path: "/api/v1/orgs/{org_id}/invitations", summary: "Make an invitation code or link; with email or phone, for one person", auth: true, req: "CreateInvitation", resp: "Invitation", status: 201, h: o(s.createInvitation)},
		{method: "GET", path: "/api/v1/orgs/{org_id}/invitations", summary: "Invitations (admins; sub-admins for their departments)", auth: true, resp: "Invitations", status: 200, h: o(s.invitations)},
		{method: "DELETE", path: "/api/v1/orgs/{org_id}/invitations/{code}", summary: "Withdraw an invitation", auth: true, status: 204, h: o(s.revokeInvitation)},
		{method: "GET", path: "/api/v1/orgs/{org_id}/join-requests", summary: "Pending join requests (admins, sub-admins)", auth: true, resp: "OrgMembers", status: 200, h: o(s.joinRequests)},
		{method: "POST", path: "/api/v1/orgs/{org_id}/join-requests/{member_id}/approve", summary: "Approve a join request", auth: true, resp: "OrgMember", status: 200, h: o(s.approveRequest)},
		{method: "POST", path: "/api/v1/orgs/{org_id}/join-requests/{member_id}/decline", summary: "Decline a join request", auth: true, status: 204, h: o(s.declineRequest)},
		{method: "GET", path: "/api/v1/invitations/{code}", summary: "What an invitation is for", auth: true, resp: "InvitationPreview", status: 200, h: o(s.previewInvitation)},
		{method: "POST", path: "/api/v1/invitations/{code}/accept", summary: "Accept an invitation: join, or ask to join", auth: true, resp: "Joined", status: 200, h: o(s.acceptInvitation)},
		{method: "GET", path: "/api/v1/me/invitations", summary: "Invitations addressed to your email or phone", auth: true, resp: "PendingInvitations", status: 200, h: o(s.myInvitations)},

		{method: "POST", path: "/api/v1/orgs/{org_id}/groups", summary: "Make the all-staff group or a department's group, kept in step with membership", auth: true, req: "CreateOrgGroup", resp: "OrgGroup", status: 201, h: o(s.createOrgGroup)},
		{method: "GET", path: "/api/v1/orgs/{org_id}/groups", summary: "Organisation groups", auth: true, resp: "OrgGroups", status: 200, h: o(s.orgGroups)},
		{method: "DELETE", path: "/api/v1/orgs/{org_id}/groups/{conversation_id}", summary: "Stop keeping a group in step (the group stays)", auth: true, status: 204, h: o(s.unlinkOrgGroup)},
		{method: "POST", path: "/api/v1/orgs/{org_id}/groups/sync", summary: "Bring every organisation group back in step (admins)", auth: true, status: 204, h: o(s.syncOrgGroups)},

		{method: "GET", path: "/api/v1/orgs/{org_id}/contacts", summary: "External contacts: yours and shared ones (?q=&tag=&limit=)", auth: true, resp: "Contacts", status: 200, h: o(s.contacts)},
		{method: "POST", path: "/api/v1/orgs/{org_id}/contacts", summary: "Add an external contact", auth: true, req: "ContactIn", resp: "Contact", status: 201, h: o(s.addContact)},
		{method: "GET", path: "/api/v1/orgs/{org_id}/contacts/{contact_id}", summary: "One external contact", auth: true, resp: "Contact", status: 200, h: o(s.contact)},
		{method: "PATCH", path: "/api/v1/orgs/{org_id}/contacts/{contact_id}", summary: "Change an external contact (its owner or an admin)", auth: true, req: "ContactIn", resp: "Contact", status: 200, h: o(s.updateContact)},
		{method: "DELETE", path: "/api/v1/orgs/{org_id}/contacts/{contact_id}", summary: "Delete an external contact", auth: true, status: 204, h: o(s.deleteContact)},

		{method: "GET", path: "/api/v1/friends", summary: "Friends, requests both ways, and people you blocked", auth: true, resp: "Friends", status: 200, h: o(s.friends)},
		{method: "POST", path: "/api/v1/friends", summary: "Ask someone to be friends (accepts theirs if they asked first)", auth: true, req: "UserRef", resp: "FriendState", status: 200, h: o(s.requestFriend)},
		{method: "POST", path: "/api/v1/friends/{user_id}/accept", summary: "Accept a friend request", auth: true, status: 204, h: o(s.acceptFriend)},
		{method: "POST", path: "/api/v1/friends/{user_id}/decline", summary: "Decline a friend request (or withdraw yours)", auth: true, status: 204, h: o(s.declineFriend)},
		{method: "DELETE", path: "/api/v1/friends/{user_id}", summary: "End a friendship", auth: true, status: 204, h: o(s.unfriend)},
		{method: "PUT", path: "/api/v1/blocks/{user_id}", summary: "Block someone", auth: true, status: 204, h: o(s.block)},
		{method: "DELETE", path: "/api/v1/blocks/{user_id}", summary: "Unblock someone", auth: true, status: 204, h: o(s.unblock)},
		{method: "GET", path: "/api/v1/me/external-conversations", summary: "Your conversations with people outside your organisations", auth: true, resp: "ExternalConversations", status: 200, h: o(s.externalConversations)},
		{method: "GET", path: "/api/v1/me/privacy", summary: "Your privacy settings: who may add you to groups, who sees you online", auth: true, resp: "UserPrivacy", status: 200, h: o(s.myPrivacy)},
		{method: "PUT", path: "/api/v1/me/privacy", summary: "Change your privacy settings (fields left out stay)", auth: true, req: "UserPrivacyIn", resp: "UserPrivacy", status: 200, h: o(s.setMyPrivacy)},
	}
}

func init() {
	member := obj("id", str(), "org_id", str(), "user_id", str(), "name", str(), "title", str(), "employee_no", str(),
		"work_email", str(), "phone", str(), "hire_date", str(), "department_ids", arr(str()), "manager_id", str(),
		"status", enum(org.Invited, org.Pending, org.Active, org.Suspended, org.Left),
		"role", enum(org.RoleOwner, org.RoleAdmin, org.RoleSubAdmin, org.RoleMember), "admin_department_ids", arr(str()),
		"created_at", timeT(), "joined_at", timeT(), "updated_at", timeT())
	privacy := obj("hidden_fields", arr(enum(org.HideableFields...)), "hidden_departments", arr(str()),
		"own_department_only", boolean(), "join_approval", boolean(), "forbid_external_chats", boolean())
	invitation := obj("code", str(), "url", str(), "org_id", str(), "created_by", str(), "department_ids", arr(str()),
		"member_id", str(), "target", str(), "max_uses", integer(), "uses", integer(), "expires_at", timeT(), "revoked", boolean(), "created_at", timeT())
	problem := obj("code", str(), "params", map[string]any{"type": "object"}, "message", str())
	contact := obj("id", str(), "org_id", str(), "owner_id", str(), "name", str(), "company", str(), "title", str(), "phone", str(),
		"email", str(), "tags", arr(str()), "note", str(), "shared", boolean(), "created_at", timeT(), "updated_at", timeT())
	for k, v := range map[string]any{
		"CreateOrg": obj("name", str(), "time_zone", str(), "logo", str()),
		"UpdateOrg": obj("name", str(), "time_zone", str(), "logo", str(), "privacy", privacy, "require_admin_2fa", boolean()),
		"Org": obj("id", str(), "name", str(), "logo", str(), "time_zone", str(), "owner_id", str(), "privacy", privacy,
			"created_at", timeT(), "me", ref("OrgMember")),
		"Orgs":             obj("orgs", arr(ref("Org"))),
		"MemberRef":        obj("member_id", str()),
		"UserRef":          obj("user_id", str()),
		"AuditLog":         obj("entries", arr(obj("id", str(), "org_id", str(), "actor_id", str(), "action", str(), "target", str(), "before", map[string]any{}, "after", map[string]any{}, "at", timeT(), "params", map[string]any{})), "next_before", str()),
		"Department":       obj("id", str(), "org_id", str(), "parent_id", str(), "name", str(), "head_ids", arr(str()), "created_at", timeT()),
		"Departments":      obj("departments", arr(ref("Department"))),
		"CreateDepartment": obj("name", str(), "parent_id", str()),
		"UpdateDepartment": obj("name", str(), "parent_id", str(), "head_ids", arr(str())),
		"OrgMember":        member,
		"OrgMembers":       obj("members", arr(member), "next_cursor", str()),
		"UpdateOrgMember": obj("name", str(), "title", str(), "employee_no", str(), "work_email", str(), "phone", str(),
			"hire_date", str(), "department_ids", arr(str()), "manager_id", str()),
		"MemberStatus": obj("status", enum(org.Active, org.Suspended, org.Left)),
		"MemberRole":   obj("role", enum(org.RoleAdmin, org.RoleSubAdmin, org.RoleMember), "department_ids", arr(str())),
		"ImportResult": obj("dry_run", boolean(), "committed", boolean(), "encoding", enum("utf-8", "gb18030", "utf-16"), "total", integer(), "created", integer(), "updated", integer(),
			"unchanged", integer(), "failed", integer(), "new_departments", arr(str()), "problems", arr(problem), "errors", arr(str()),
			"rows", arr(obj("line", integer(), "action", enum("create", "update", "unchanged", "error"), "member_id", str(), "name", str(), "problems", arr(problem), "errors", arr(str())))),
		"CreateInvitation": obj("email", str(), "phone", str(), "name", str(), "department_ids", arr(str()), "max_uses", integer(), "expires_in_hours", integer()),
		"Invitation":       invitation,
		"Invitations":      obj("invitations", arr(invitation)),
		"InvitationPreview": obj("code", str(), "org_id", str(), "org_name", str(), "org_logo", str(), "expires_at", timeT(),
			"requires_approval", boolean()),
		"Joined":                obj("org", ref("Org"), "member", member, "status", enum(org.Active, org.Pending)),
		"PendingInvitations":    obj("invitations", arr(obj("code", str(), "org_id", str(), "org_name", str(), "expires_at", timeT()))),
		"CreateOrgGroup":        obj("department_id", str(), "title", str()),
		"OrgGroup":              obj("conversation_id", str(), "org_id", str(), "department_id", str(), "created_by", str(), "created_at", timeT()),
		"OrgGroups":             obj("groups", arr(ref("OrgGroup"))),
		"ContactIn":             obj("name", str(), "company", str(), "title", str(), "phone", str(), "email", str(), "tags", arr(str()), "note", str(), "shared", boolean()),
		"Contact":               contact,
		"Contacts":              obj("contacts", arr(contact)),
		"Friends":               obj("friends", arr(obj("user_id", str(), "name", str(), "state", enum("friend", "incoming", "outgoing", "blocked")))),
		"FriendState":           obj("state", enum("friend", "outgoing")),
		"ExternalConversations": obj("conversation_ids", arr(str())),
		"UserPrivacy": obj("add_to_groups", enum(org.Everyone, org.ColleaguesAndFriends, org.Nobody), "show_online", enum(org.Everyone, org.Nobody),
			"updated_at", timeT()),
		"UserPrivacyIn": obj("add_to_groups", enum(org.Everyone, org.ColleaguesAndFriends, org.Nobody), "show_online", enum(org.Everyone, org.Nobody)),
	} {
		schemas[k] = v
	}
}

// withOrg answers unavailable when the node has no organisation service.
func (s *Server) withOrg(h func(*org.Service, http.ResponseWriter, *http.Request) error) func(http.ResponseWriter, *http.Request) error {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.cfg.Org == nil {
			return tack.Errorf(tack.EUnavailable, "organisations are not available on this server")
		}
		return h(s.cfg.Org, w, r)
	}
}

func orgID(r *http.Request) (tack.ID, error) {
	id := tack.ID(r.PathValue("org_id"))
	if !id.Valid() {
		return "", tack.Errorf(tack.ENotFound, "no such organisation")
	}
	return id, nil
}

// orgAnd returns the organisation ID and another path ID, which may be
// malformed (the service answers not_found for it after checking the
// caller belongs to the organisation, so that outsiders learn nothing).
func orgAnd(r *http.Request, name string) (tack.ID, tack.ID, error) {
	o, err := orgID(r)
	if err != nil {
		return "", "", err
	}
	return o, tack.ID(r.PathValue(name)), nil
}

type orgOut struct {
	org.Org
	Me *org.Member `json:"me,omitempty"`
}

func noContent(w http.ResponseWriter) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) createOrg(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name     string `json:"name"`
		TimeZone string `json:"time_zone"`
		Logo     string `json:"logo"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	o, m, err := og.Create(r.Context(), in.Name, in.TimeZone, in.Logo)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, orgOut{Org: o, Me: &m})
	return nil
}

func (s *Server) orgs(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	list, ms, err := og.Mine(r.Context())
	if err != nil {
		return err
	}
	out := make([]orgOut, len(list))
	for i := range list {
		out[i] = orgOut{Org: list[i], Me: &ms[i]}
	}
	writeJSON(w, http.StatusOK, map[string]any{"orgs": out})
	return nil
}

func (s *Server) getOrg(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	o, m, err := og.Get(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgOut{Org: o, Me: &m})
	return nil
}

func (s *Server) updateOrg(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in struct {
		Name     *string      `json:"name"`
		Logo     *string      `json:"logo"`
		TimeZone *string      `json:"time_zone"`
		Privacy  *org.Privacy `json:"privacy"`
		Require  *bool        `json:"require_admin_2fa"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := og.Update(r.Context(), id, org.OrgSettings{Name: in.Name, Logo: in.Logo, TimeZone: in.TimeZone, Privacy: in.Privacy, RequireAdmin2FA: in.Require})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgOut{Org: o})
	return nil
}

func (s *Server) transferOrg(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in struct {
		MemberID tack.ID `json:"member_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	o, err := og.TransferOwnership(r.Context(), id, in.MemberID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, orgOut{Org: o})
	return nil
}

func (s *Server) leaveOrg(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	if err := og.Leave(r.Context(), id); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) auditLog(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	list, err := og.AuditLog(r.Context(), id, tack.ID(r.URL.Query().Get("before")), int(min(limit, 1000)))
	if err != nil {
		return err
	}
	next := ""
	if n := int(limit); len(list) > 0 && (len(list) == n || n == 0 && len(list) == org.DefaultPageSize) {
		next = string(list[len(list)-1].ID)
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": list, "next_before": next})
	return nil
}

// ---- departments ----

func (s *Server) departments(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	list, err := og.Departments(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"departments": list})
	return nil
}

func (s *Server) createDepartment(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in struct {
		Name     string  `json:"name"`
		ParentID tack.ID `json:"parent_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := og.CreateDepartment(r.Context(), id, in.ParentID, in.Name)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, d)
	return nil
}

func (s *Server) department(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, dept, err := orgAnd(r, "dept_id")
	if err != nil {
		return err
	}
	d, err := og.Department(r.Context(), id, dept)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) updateDepartment(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, dept, err := orgAnd(r, "dept_id")
	if err != nil {
		return err
	}
	var in struct {
		Name     *string    `json:"name"`
		ParentID *tack.ID   `json:"parent_id"`
		HeadIDs  *[]tack.ID `json:"head_ids"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	d, err := og.UpdateDepartment(r.Context(), id, dept, org.DepartmentChange{Name: in.Name, ParentID: in.ParentID, HeadIDs: in.HeadIDs})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) deleteDepartment(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, dept, err := orgAnd(r, "dept_id")
	if err != nil {
		return err
	}
	if err := og.DeleteDepartment(r.Context(), id, dept); err != nil {
		return err
	}
	return noContent(w)
}

// ---- members ----

func (s *Server) orgMembers(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	if limit > org.MaxPageSize {
		return tack.Invalid("limit", "limit must be between 1 and %d", org.MaxPageSize)
	}
	p, err := og.Search(r.Context(), id, org.Query{Text: q.Get("q"), Department: tack.ID(q.Get("department_id")),
		Under: tack.ID(q.Get("under")), Status: q.Get("status"), Cursor: q.Get("cursor"), Limit: int(limit)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": s.awayMembers(r, p.Members), "next_cursor": p.Next})
	return nil
}

func (s *Server) orgMember(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, mid, err := orgAnd(r, "member_id")
	if err != nil {
		return err
	}
	m, err := og.Member(r.Context(), id, mid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.awayMember(r, m))
	return nil
}

func (s *Server) updateOrgMember(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, mid, err := orgAnd(r, "member_id")
	if err != nil {
		return err
	}
	var in struct {
		Name        *string    `json:"name"`
		Title       *string    `json:"title"`
		EmployeeNo  *string    `json:"employee_no"`
		WorkEmail   *string    `json:"work_email"`
		Phone       *string    `json:"phone"`
		HireDate    *string    `json:"hire_date"`
		Departments *[]tack.ID `json:"department_ids"`
		ManagerID   *tack.ID   `json:"manager_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := og.UpdateMember(r.Context(), id, mid, org.Profile{Name: in.Name, Title: in.Title, EmployeeNo: in.EmployeeNo,
		WorkEmail: in.WorkEmail, Phone: in.Phone, HireDate: in.HireDate, Departments: in.Departments, ManagerID: in.ManagerID})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) setMemberStatus(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, mid, err := orgAnd(r, "member_id")
	if err != nil {
		return err
	}
	var in struct {
		Status string `json:"status"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := og.SetStatus(r.Context(), id, mid, in.Status)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) setMemberRole(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, mid, err := orgAnd(r, "member_id")
	if err != nil {
		return err
	}
	var in struct {
		Role        string    `json:"role"`
		Departments []tack.ID `json:"department_ids"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := og.SetRole(r.Context(), id, mid, in.Role, in.Departments)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

// importMembers reads a CSV or XLSX file (the raw body, or "file" in a
// multipart form) and imports it. With Accept: application/x-ndjson the
// answer is a stream of lines: {"type":"progress",...} while rows are
// checked and written, then {"type":"result","result":...} or
// {"type":"error","error":...}. The import's slot (one per organisation,
// a few per node) is taken before the file is read, and held until the
// answer is written.
func (s *Server) importMembers(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	// Outsiders and members who may not import learn that before the file
	// is read; so does a second import into the same organisation.
	ctx, release, err := og.ReserveImport(r.Context(), id)
	if err != nil {
		return err
	}
	defer release()
	// What the upload and the reader hold is charged to the import's slot
	// (the node's imports share a memory budget).
	charge := func(n int64) error { return og.ChargeImport(ctx, n) }
	q := r.URL.Query()
	dry := q.Get("dry_run") == "1" || q.Get("dry_run") == "true"
	format := strings.ToLower(q.Get("format"))
	var data []byte
	if ct := r.Header.Get("Content-Type"); strings.HasPrefix(ct, "multipart/form-data") {
		f, hdr, err := formFile(r)
		if err != nil {
			return err
		}
		defer f.Close()
		if data, err = readUpload(f, r.ContentLength, charge); err != nil {
			return err
		}
		if format == "" && strings.HasSuffix(strings.ToLower(hdr), ".xlsx") {
			format = sheet.XLSX
		}
	} else {
		if data, err = readUpload(r.Body, r.ContentLength, charge); err != nil {
			return err
		}
		if format == "" && strings.Contains(ct, "spreadsheetml") {
			format = sheet.XLSX
		}
	}
	if len(data) == 0 {
		return tack.Invalid("file", "send the CSV or XLSX file as the request body")
	}
	rows, err := sheet.OpenWith(data, sheet.Options{Format: format, Encoding: q.Get("encoding"), Charge: charge})
	if err != nil {
		return err
	}
	opt := org.ImportOptions{DryRun: dry, Encoding: rows.Encoding, EncodingUnknown: rows.Undecided}
	if !strings.Contains(r.Header.Get("Accept"), "application/x-ndjson") {
		res, err := og.Import(ctx, id, rows, opt)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, res)
		return nil
	}
	w.Header().Set("Content-Type", "application/x-ndjson; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	last := time.Time{}
	opt.Progress = func(phase string, done, total int) {
		if time.Since(last) < 100*time.Millisecond && done < total {
			return
		}
		last = time.Now()
		_ = enc.Encode(map[string]any{"type": "progress", "phase": phase, "done": done, "total": total})
		_ = rc.Flush()
	}
	res, err := og.Import(ctx, id, rows, opt)
	if err != nil {
		code := tack.ErrorCode(err)
		if code == tack.EInternal {
			s.log.Error("import failed", "org", id, "err", err)
		}
		_ = enc.Encode(map[string]any{"type": "error", "error": errorDetail{Code: code, Message: tack.ErrorMessage(err)}})
		return nil
	}
	_ = enc.Encode(map[string]any{"type": "result", "result": res})
	return nil
}

// readUpload reads an uploaded file, charging what it holds as it grows
// (once, when the request says its size).
func readUpload(r io.Reader, size int64, charge func(int64) error) ([]byte, error) {
	capacity := 64 << 10
	if size > 0 && size <= MaxImport+64<<10 {
		capacity = int(size) + 1 // room to see the end
	}
	if err := charge(int64(capacity)); err != nil {
		return nil, err
	}
	buf := make([]byte, 0, capacity)
	for {
		if len(buf) == cap(buf) {
			if err := charge(int64(cap(buf))); err != nil {
				return nil, err
			}
			buf = append(buf, make([]byte, cap(buf))...)[:len(buf)]
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, bodyError(err)
		}
	}
}

func formFile(r *http.Request) (io.ReadCloser, string, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, "", tack.Invalid("file", "malformed multipart form")
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			return nil, "", tack.Invalid("file", "the form has no \"file\" part")
		}
		if err != nil {
			return nil, "", bodyError(err)
		}
		if p.FormName() == "file" {
			return p, p.FileName(), nil
		}
		p.Close()
	}
}

func bodyError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return tack.Errorf(tack.ETooLarge, "a file has at most %d MiB", MaxImport>>20)
	}
	return tack.Invalid("file", "the upload was cut short")
}

// ---- invitations and join requests ----

type invitationOut struct {
	org.Invitation
	URL string `json:"url"`
}

func (s *Server) createInvitation(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in struct {
		Email       string    `json:"email"`
		Phone       string    `json:"phone"`
		Name        string    `json:"name"`
		Departments []tack.ID `json:"department_ids"`
		MaxUses     int       `json:"max_uses"`
		ExpiresIn   int       `json:"expires_in_hours"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.ExpiresIn < 0 || in.ExpiresIn > org.MaxInviteHours {
		return tack.Invalid("expires_in_hours", "an invitation lasts from 1 hour to a year")
	}
	inv, err := og.Invite(r.Context(), id, org.InvitationInput{Email: in.Email, Phone: in.Phone, Name: in.Name,
		Departments: in.Departments, MaxUses: in.MaxUses, ExpiresIn: time.Duration(in.ExpiresIn) * time.Hour})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, invitationOut{Invitation: inv, URL: "/join/" + inv.Code})
	return nil
}

func (s *Server) invitations(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	list, err := og.Invitations(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]invitationOut, len(list))
	for i, inv := range list {
		out[i] = invitationOut{Invitation: inv, URL: "/join/" + inv.Code}
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": out})
	return nil
}

func (s *Server) revokeInvitation(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	if err := og.RevokeInvitation(r.Context(), id, r.PathValue("code")); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) joinRequests(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	list, err := og.Requests(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": list, "next_cursor": ""})
	return nil
}

func (s *Server) approveRequest(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, mid, err := orgAnd(r, "member_id")
	if err != nil {
		return err
	}
	m, err := og.Approve(r.Context(), id, mid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) declineRequest(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, mid, err := orgAnd(r, "member_id")
	if err != nil {
		return err
	}
	if err := og.Decline(r.Context(), id, mid); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) previewInvitation(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	p, err := og.Preview(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) acceptInvitation(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	o, m, err := og.Accept(r.Context(), r.PathValue("code"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"org": orgOut{Org: o}, "member": m, "status": m.Status})
	return nil
}

func (s *Server) myInvitations(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	list, err := og.MyInvitations(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"invitations": list})
	return nil
}

// ---- groups ----

func (s *Server) createOrgGroup(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in struct {
		DepartmentID tack.ID `json:"department_id"`
		Title        string  `json:"title"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	g, err := og.CreateGroup(r.Context(), id, in.DepartmentID, in.Title)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, g)
	return nil
}

func (s *Server) orgGroups(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	list, err := og.Groups(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"groups": list})
	return nil
}

func (s *Server) unlinkOrgGroup(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, cid, err := orgAnd(r, "conversation_id")
	if err != nil {
		return err
	}
	if err := og.UnlinkGroup(r.Context(), id, cid); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) syncOrgGroups(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	if err := og.SyncGroups(r.Context(), id); err != nil {
		return err
	}
	return noContent(w)
}

// ---- external contacts ----

type contactIn struct {
	Name    *string   `json:"name"`
	Company *string   `json:"company"`
	Title   *string   `json:"title"`
	Phone   *string   `json:"phone"`
	Email   *string   `json:"email"`
	Tags    *[]string `json:"tags"`
	Note    *string   `json:"note"`
	Shared  *bool     `json:"shared"`
}

func (in contactIn) input() org.ContactInput {
	return org.ContactInput{Name: in.Name, Company: in.Company, Title: in.Title, Phone: in.Phone, Email: in.Email,
		Tags: in.Tags, Note: in.Note, Shared: in.Shared}
}

func (s *Server) contacts(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	list, err := og.Contacts(r.Context(), id, q.Get("q"), q.Get("tag"), int(min(limit, 1000)))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"contacts": list})
	return nil
}

func (s *Server) addContact(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, err := orgID(r)
	if err != nil {
		return err
	}
	var in contactIn
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := og.AddContact(r.Context(), id, in.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, c)
	return nil
}

func (s *Server) contact(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, cid, err := orgAnd(r, "contact_id")
	if err != nil {
		return err
	}
	c, err := og.Contact(r.Context(), id, cid)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) updateContact(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, cid, err := orgAnd(r, "contact_id")
	if err != nil {
		return err
	}
	var in contactIn
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := og.UpdateContact(r.Context(), id, cid, in.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) deleteContact(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	id, cid, err := orgAnd(r, "contact_id")
	if err != nil {
		return err
	}
	if err := og.DeleteContact(r.Context(), id, cid); err != nil {
		return err
	}
	return noContent(w)
}

// ---- friends ----

func (s *Server) friends(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	list, err := og.Friends(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"friends": list})
	return nil
}

func (s *Server) requestFriend(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	var in struct {
		UserID tack.ID `json:"user_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	st, err := og.RequestFriend(r.Context(), in.UserID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"state": st})
	return nil
}

func userPath(r *http.Request) tack.ID { return tack.ID(r.PathValue("user_id")) }

func (s *Server) acceptFriend(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	if err := og.AcceptFriend(r.Context(), userPath(r)); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) declineFriend(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	if err := og.DeclineFriend(r.Context(), userPath(r)); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) unfriend(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	if err := og.Unfriend(r.Context(), userPath(r)); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) block(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	if err := og.Block(r.Context(), userPath(r)); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) unblock(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	if err := og.Unblock(r.Context(), userPath(r)); err != nil {
		return err
	}
	return noContent(w)
}

func (s *Server) externalConversations(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	ids, err := og.ExternalConversations(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversation_ids": ids})
	return nil
}

// ---- the caller's privacy settings ----

func (s *Server) myPrivacy(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	p, err := og.MyPrivacy(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

func (s *Server) setMyPrivacy(og *org.Service, w http.ResponseWriter, r *http.Request) error {
	var in struct {
		AddToGroups *string `json:"add_to_groups"`
		ShowOnline  *string `json:"show_online"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	p, err := og.SetMyPrivacy(r.Context(), org.PrivacyInput{AddToGroups: in.AddToGroups, ShowOnline: in.ShowOnline})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}

package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/tackhq/tack"
	"github.com/tackhq/tack/account"
	"github.com/tackhq/tack/approval"
	"github.com/tackhq/tack/chat"
	"github.com/tackhq/tack/org"
)

// table lists every REST route: the mux and the OpenAPI document are both
// made from it.
func (s *Server) table() []route {
	core := []route{
		{method: "POST", path: "/api/v1/accounts", summary: "Register and sign in", req: "Register", resp: "Auth", status: 201, h: s.register},
		{method: "POST", path: "/api/v1/sessions", summary: "Sign in", req: "SignIn", resp: "Auth", status: 200, h: s.signIn},
		{method: "DELETE", path: "/api/v1/sessions/current", summary: "Sign out this device", auth: true, status: 204, h: s.signOut},
		{method: "GET", path: "/api/v1/sessions", summary: "List your signed-in devices", auth: true, resp: "Sessions", status: 200, h: s.sessions},
		{method: "DELETE", path: "/api/v1/sessions/{id}", summary: "Sign out one of your devices", auth: true, status: 204, h: s.revokeSession},
		{method: "GET", path: "/api/v1/me", summary: "The signed-in user, and whether their login is verified", auth: true, resp: "Me", status: 200, h: s.me},
		{method: "GET", path: "/api/v1/users", summary: "Find people you may see (?q=) or profiles by ID (?ids=a,b)", auth: true, resp: "Users", status: 200, h: s.users},
		{method: "GET", path: "/api/v1/users/{user_id}", summary: "A user's public profile", auth: true, resp: "User", status: 200, h: s.user},
		{method: "GET", path: "/api/v1/presence", summary: "Which of ?ids=a,b are online (colleagues and friends who show it; never across a block)", auth: true, resp: "Presence", status: 200, h: s.presence},

		{method: "POST", path: "/api/v1/conversations", summary: "Start a direct chat or a group", auth: true, req: "CreateConversation", resp: "Conversation", status: 201, h: s.createConversation},
		{method: "GET", path: "/api/v1/conversations", summary: "Your conversations, most recent first", auth: true, resp: "Conversations", status: 200, h: s.conversations},
		{method: "GET", path: "/api/v1/conversations/{id}", summary: "One conversation", auth: true, resp: "Conversation", status: 200, h: s.conversation},
		{method: "PATCH", path: "/api/v1/conversations/{id}", summary: "Rename a group or mute all but admins", auth: true, req: "UpdateConversation", resp: "Conversation", status: 200, h: s.updateConversation},
		{method: "PUT", path: "/api/v1/conversations/{id}/settings", summary: "Your own settings of a conversation: mute notifications", auth: true, req: "ConversationSettings", resp: "Conversation", status: 200, h: s.conversationSettings},
		{method: "GET", path: "/api/v1/conversations/{id}/members", summary: "Members of a conversation", auth: true, resp: "Members", status: 200, h: s.members},
		{method: "POST", path: "/api/v1/conversations/{id}/members", summary: "Add people to a group", auth: true, req: "AddMembers", resp: "Members", status: 200, h: s.addMembers},
		{method: "DELETE", path: "/api/v1/conversations/{id}/members/{user_id}", summary: "Remove someone from a group (yourself: leave)", auth: true, status: 204, h: s.removeMember},
		{method: "PUT", path: "/api/v1/conversations/{id}/members/{user_id}/role", summary: "Make a member an admin or a plain member", auth: true, req: "SetRole", status: 204, h: s.setRole},
		{method: "POST", path: "/api/v1/conversations/{id}/leave", summary: "Leave a group", auth: true, status: 204, h: s.leave},
		{method: "POST", path: "/api/v1/conversations/{id}/owner", summary: "Transfer ownership of a group", auth: true, req: "TransferOwner", resp: "Conversation", status: 200, h: s.transferOwner},

		{method: "POST", path: "/api/v1/conversations/{id}/messages", summary: "Send a message (idempotent by client_id)", auth: true, req: "Send", resp: "Message", status: 201, h: s.send},
		{method: "GET", path: "/api/v1/conversations/{id}/messages", summary: "A page of history (after_seq, before_seq, limit)", auth: true, resp: "Messages", status: 200, h: s.history},
		{method: "PATCH", path: "/api/v1/conversations/{id}/messages/{seq}", summary: "Edit your message (within 24 h)", auth: true, req: "Edit", resp: "Message", status: 200, h: s.edit},
		{method: "DELETE", path: "/api/v1/conversations/{id}/messages/{seq}", summary: "Recall a message", auth: true, resp: "Message", status: 200, h: s.recall},
		{method: "POST", path: "/api/v1/conversations/{id}/messages/{seq}/recall", summary: "Recall a message", auth: true, resp: "Message", status: 200, h: s.recall},
		{method: "GET", path: "/api/v1/conversations/{id}/messages/{seq}/receipts", summary: "Who has read a message and who has not", auth: true, resp: "Receipts", status: 200, h: s.receipts},
		{method: "POST", path: "/api/v1/conversations/{id}/read", summary: "Move your read position", auth: true, req: "Read", resp: "ReadPosition", status: 200, h: s.markRead},
		{method: "POST", path: "/api/v1/conversations/{id}/typing", summary: "Say you are typing", auth: true, status: 204, h: s.typing},

		{method: "GET", path: "/api/v1/stream", summary: "WebSocket: live events, resume, and sends (see docs/api.md)", auth: true, status: 101, h: s.stream},
	}
	core = append(core, s.accountRoutes()...)
	for _, more := range [][]route{s.orgRoutes(), s.pushRoutes(), s.bootstrapRoutes(), s.attendanceRoutes(), s.approvalRoutes(), s.leaveRoutes(), s.mediaRoutes(), s.searchRoutes(), s.platformRoutes(), s.secretRoutes(), s.dingRoutes(), s.exportRoutes(), s.circleRoutes(), s.announcementRoutes(), s.reportRoutes()} {
		core = append(core, more...)
	}
	core = s.gateModules(core)
	return core
}

type authBody struct {
	Token       string       `json:"token,omitempty"`
	User        account.User `json:"user"`
	CSRFToken   string       `json:"csrf_token,omitempty"`
	DeviceToken string       `json:"device_token,omitempty"`
}

func device(r *http.Request, token string) account.Device {
	if c, err := r.Cookie(deviceCookie); err == nil && token == "" {
		token = c.Value
	}
	return account.Device{Name: r.UserAgent(), Address: clientAddr(r), Token: token}
}

// issue answers a sign-in: the tokens in the body, or in cookies for the
// web client (then the body carries only the CSRF token, and script never
// sees the session or device token).
func (s *Server) issue(w http.ResponseWriter, r *http.Request, status int, a account.Auth, cookie bool) error {
	if !cookie {
		writeJSON(w, status, authBody{Token: a.Token, User: a.User, DeviceToken: a.DeviceToken})
		return nil
	}
	csrf := csrfFor(a.Token)
	secure := secureRequest(r)
	maxAge := int((30 * 24 * time.Hour).Seconds())
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: a.Token, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: csrf, Path: "/", MaxAge: maxAge, Secure: secure, SameSite: http.SameSiteStrictMode})
	setDeviceCookie(w, r, a.DeviceToken)
	writeJSON(w, status, authBody{User: a.User, CSRFToken: csrf})
	return nil
}

func (s *Server) register(w http.ResponseWriter, r *http.Request) error {
	if err := s.sameOriginJSON(r); err != nil {
		return err
	}
	var in struct {
		Login    string `json:"login"`
		Password string `json:"password"`
		Name     string `json:"name"`
		Cookie   bool   `json:"cookie"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.cfg.Accounts.Register(r.Context(), in.Login, in.Password, in.Name, device(r, ""))
	if err != nil {
		return err
	}
	return s.issue(w, r, http.StatusCreated, a, in.Cookie)
}

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	if err := s.sameOriginJSON(r); err != nil {
		return err
	}
	var in struct {
		Login       string `json:"login"`
		Password    string `json:"password"`
		Code        string `json:"code"`
		Cookie      bool   `json:"cookie"`
		DeviceToken string `json:"device_token"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	a, err := s.cfg.Accounts.SignInWithCode(r.Context(), in.Login, in.Password, in.Code, device(r, in.DeviceToken))
	if err != nil {
		return err
	}
	return s.issue(w, r, http.StatusOK, a, in.Cookie)
}

func clearCookies(w http.ResponseWriter) {
	for _, n := range []string{sessionCookie, csrfCookie} {
		http.SetCookie(w, &http.Cookie{Name: n, Value: "", Path: "/", MaxAge: -1, SameSite: http.SameSiteStrictMode})
	}
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request) error {
	c, _ := tack.CallerFrom(r.Context())
	if err := s.cfg.Accounts.Revoke(r.Context(), c.SessionID); err != nil {
		return err
	}
	clearCookies(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) sessions(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cfg.Accounts.Sessions(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": list})
	return nil
}

func (s *Server) revokeSession(w http.ResponseWriter, r *http.Request) error {
	id := tack.ID(r.PathValue("id"))
	if !id.Valid() {
		return tack.Errorf(tack.ENotFound, "no such session")
	}
	if err := s.cfg.Accounts.Revoke(r.Context(), id); err != nil {
		return err
	}
	if c, _ := tack.CallerFrom(r.Context()); c.SessionID == id {
		clearCookies(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) me(w http.ResponseWriter, r *http.Request) error {
	u, err := s.cfg.Accounts.Me(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, meOut{User: u, Verified: u.Verified()})
	return nil
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	if ids := q.Get("ids"); ids != "" {
		parts := strings.Split(ids, ",")
		if len(parts) > 500 {
			return tack.Errorf(tack.ETooLarge, "ids: at most 500")
		}
		list := make([]tack.ID, 0, len(parts))
		for _, p := range parts {
			if id := tack.ID(strings.TrimSpace(p)); id.Valid() {
				list = append(list, id)
			}
		}
		users, err := s.cfg.Accounts.Users(r.Context(), list)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, map[string]any{"users": s.awayUsers(r, users)})
		return nil
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	if limit < 0 || limit > 100 {
		return tack.Invalid("limit", "limit must be between 1 and 100")
	}
	users, err := s.cfg.Accounts.Search(r.Context(), q.Get("q"), int(limit))
	if err != nil {
		return err
	}
	var people []org.Person
	if s.cfg.Org != nil {
		if people, err = s.cfg.Org.People(r.Context(), q.Get("q"), int(limit)); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": s.awayHits(r, mergePeople(users, people, int(limit)))})
	return nil
}

// userHit is one person found by GET /users?q=: an account (with its login
// only when the query was exactly that login), and for colleagues, friends
// and contacts where the caller knows them from.
type userHit struct {
	ID        tack.ID    `json:"id"`
	Login     string     `json:"login,omitempty"`
	Name      string     `json:"name"`
	CreatedAt *time.Time `json:"created_at,omitempty"`
	Title     string     `json:"title,omitempty"`
	OrgName   string     `json:"org_name,omitempty"`
	Relation  string     `json:"relation,omitempty"` // colleague, friend, contact
	// Away: on approved leave or a trip now (休假中, 出差中).
	Away *approval.Status `json:"away,omitempty"`
}

// mergePeople lists the exact login match first, then the people the
// organisation service found, then the other accounts (chat partners),
// each person once, at most limit (default 50).
func mergePeople(users []account.User, people []org.Person, limit int) []userHit {
	if limit <= 0 {
		limit = 50
	}
	out := []userHit{}
	seen := map[tack.ID]int{}
	addUser := func(u account.User) {
		if i, ok := seen[u.ID]; ok {
			out[i].Login = u.Login
			return
		}
		at := u.CreatedAt
		seen[u.ID] = len(out)
		out = append(out, userHit{ID: u.ID, Login: u.Login, Name: u.Name, CreatedAt: &at})
	}
	for _, u := range users {
		if u.Login != "" {
			addUser(u)
		}
	}
	for _, p := range people {
		if i, ok := seen[p.UserID]; ok {
			out[i].Title, out[i].OrgName, out[i].Relation = p.Title, p.OrgName, p.Relation
			continue
		}
		seen[p.UserID] = len(out)
		out = append(out, userHit{ID: p.UserID, Name: p.Name, Title: p.Title, OrgName: p.OrgName, Relation: p.Relation})
	}
	for _, u := range users {
		addUser(u)
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func (s *Server) user(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	u, err := s.cfg.Accounts.User(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, s.awayUsers(r, []account.User{u})[0])
	return nil
}

func (s *Server) createConversation(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Type    string    `json:"type"`
		Members []tack.ID `json:"members"`
		Title   string    `json:"title"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	c, created, err := s.cfg.Chat.Create(r.Context(), in.Type, in.Members, in.Title)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	writeJSON(w, status, c)
	return nil
}

func (s *Server) conversations(w http.ResponseWriter, r *http.Request) error {
	list, err := s.cfg.Chat.Conversations(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"conversations": list})
	return nil
}

func (s *Server) conversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	c, err := s.cfg.Chat.Conversation(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

func (s *Server) updateConversation(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Title   *string `json:"title"`
		MuteAll *bool   `json:"mute_all"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	c, err := s.cfg.Chat.Update(r.Context(), id, in.Title, in.MuteAll)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

type memberOut struct {
	UserID   tack.ID   `json:"user_id"`
	Name     string    `json:"name"`
	Role     string    `json:"role"`
	ReadSeq  int64     `json:"read_seq"`
	JoinedAt time.Time `json:"joined_at"`
}

func (s *Server) names(r *http.Request, ids []tack.ID) map[tack.ID]string {
	users, err := s.cfg.Accounts.Users(r.Context(), ids)
	out := make(map[tack.ID]string, len(users))
	if err != nil {
		s.log.Warn("names", "err", err)
	}
	for _, u := range users {
		out[u.ID] = u.Name
	}
	return out
}

func (s *Server) writeMembers(w http.ResponseWriter, r *http.Request, id tack.ID) error {
	ms, err := s.cfg.Chat.Members(r.Context(), id)
	if err != nil {
		return err
	}
	ids := make([]tack.ID, len(ms))
	for i, m := range ms {
		ids[i] = m.UserID
	}
	names := s.names(r, ids)
	out := make([]memberOut, len(ms))
	for i, m := range ms {
		out[i] = memberOut{UserID: m.UserID, Name: names[m.UserID], Role: m.Role, ReadSeq: m.ReadSeq, JoinedAt: m.JoinedAt}
	}
	writeJSON(w, http.StatusOK, map[string]any{"members": out})
	return nil
}

func (s *Server) members(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	return s.writeMembers(w, r, id)
}

func (s *Server) addMembers(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		UserIDs []tack.ID `json:"user_ids"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.cfg.Chat.AddMembers(r.Context(), id, in.UserIDs); err != nil {
		return err
	}
	return s.writeMembers(w, r, id)
}

func (s *Server) removeMember(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	uid, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	if err := s.cfg.Chat.RemoveMember(r.Context(), id, uid); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) setRole(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	uid, err := pathID(r, "user_id")
	if err != nil {
		return err
	}
	var in struct {
		Role string `json:"role"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.cfg.Chat.SetRole(r.Context(), id, uid, in.Role); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) leave(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.cfg.Chat.Leave(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) transferOwner(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		UserID tack.ID `json:"user_id"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if err := s.cfg.Chat.TransferOwnership(r.Context(), id, in.UserID); err != nil {
		return err
	}
	c, err := s.cfg.Chat.Conversation(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

// sendIn is a message to send, over REST or the stream.
type sendIn struct {
	ClientID   string    `json:"client_id"`
	Text       string    `json:"text"`
	Mentions   []tack.ID `json:"mentions"`
	MentionAll bool      `json:"mention_all"`
	ReplyTo    int64     `json:"reply_to"`
	// Attachments are file IDs (see POST /api/v1/files).
	Attachments []tack.ID `json:"attachments"`
	BurnAfterS  int       `json:"burn_after_s"`
}

func (in sendIn) draft() chat.Draft {
	return chat.Draft{ClientID: in.ClientID, Text: in.Text, Mentions: in.Mentions, MentionAll: in.MentionAll, ReplyTo: in.ReplyTo, Files: in.Attachments,
		BurnAfterS: in.BurnAfterS}
}

func (s *Server) send(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in sendIn
	if err := decode(r, &in); err != nil {
		return err
	}
	m, dup, err := s.cfg.Chat.Send(r.Context(), id, in.draft())
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if dup {
		status = http.StatusOK
	}
	writeJSON(w, status, m)
	return nil
}

func (s *Server) history(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	after, err := queryInt(r, "after_seq")
	if err != nil {
		return err
	}
	before, err := queryInt(r, "before_seq")
	if err != nil {
		return err
	}
	limit, err := queryInt(r, "limit")
	if err != nil {
		return err
	}
	if limit > 200 {
		return tack.Invalid("limit", "limit must be between 1 and 200")
	}
	if q := r.URL.Query(); !q.Has("after_seq") && !q.Has("before_seq") {
		before = 1 << 62 // no cursor: the newest page
	}
	ms, err := s.cfg.Chat.History(r.Context(), id, after, before, int(limit))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": ms})
	return nil
}

func (s *Server) edit(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	seq, err := pathSeq(r)
	if err != nil {
		return err
	}
	var in struct {
		Text     string    `json:"text"`
		Mentions []tack.ID `json:"mentions"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	m, err := s.cfg.Chat.Edit(r.Context(), id, seq, in.Text, in.Mentions)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) recall(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	seq, err := pathSeq(r)
	if err != nil {
		return err
	}
	m, err := s.cfg.Chat.Recall(r.Context(), id, seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

type person struct {
	ID   tack.ID `json:"id"`
	Name string  `json:"name"`
}

func (s *Server) receipts(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	seq, err := pathSeq(r)
	if err != nil {
		return err
	}
	rc, err := s.cfg.Chat.ReceiptsOf(r.Context(), id, seq)
	if err != nil {
		return err
	}
	read, unread := rc.Read, rc.Unread
	names := s.names(r, append(append([]tack.ID{}, read...), unread...))
	people := func(ids []tack.ID) []person {
		out := make([]person, len(ids))
		for i, id := range ids {
			out[i] = person{ID: id, Name: names[id]}
		}
		return out
	}
	writeJSON(w, http.StatusOK, map[string]any{"read": people(read), "unread": people(unread),
		"read_count": rc.ReadCount, "unread_count": rc.UnreadCount, "counts_only": rc.CountsOnly})
	return nil
}

func (s *Server) markRead(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Seq int64 `json:"seq"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	pos, err := s.cfg.Chat.MarkRead(r.Context(), id, in.Seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"read_seq": pos})
	return nil
}

func (s *Server) typing(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	if err := s.cfg.Chat.Typing(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// presence answers who of ids is online. Presence is shown only to
// colleagues and friends, never across a block, and never of someone who
// hides it (org.Service.OnlineVisible decides); without organisations, to
// people who have a direct chat with each other.
func (s *Server) presence(w http.ResponseWriter, r *http.Request) error {
	parts := strings.Split(r.URL.Query().Get("ids"), ",")
	if len(parts) > 500 {
		return tack.Errorf(tack.ETooLarge, "ids: at most 500")
	}
	ids := make([]tack.ID, 0, len(parts))
	for _, p := range parts {
		if id := tack.ID(strings.TrimSpace(p)); id.Valid() {
			ids = append(ids, id)
		}
	}
	var visible []tack.ID
	if s.cfg.Org != nil {
		v, err := s.cfg.Org.OnlineVisible(r.Context(), tack.UserID(r.Context()), ids)
		if err != nil {
			return err
		}
		visible = v
	} else {
		convs, err := s.cfg.Chat.Conversations(r.Context())
		if err != nil {
			return err
		}
		peers := map[tack.ID]bool{tack.UserID(r.Context()): true}
		for _, c := range convs {
			if c.Kind == chat.Direct {
				peers[c.Peer] = true
			}
		}
		for _, id := range ids {
			if peers[id] {
				visible = append(visible, id)
			}
		}
	}
	online := []tack.ID{}
	for _, id := range visible {
		if s.cfg.Presence != nil && s.cfg.Presence.Online(id) {
			online = append(online, id)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"online": online})
	return nil
}

func (s *Server) conversationSettings(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	var in struct {
		Muted *bool `json:"muted"`
	}
	if err := decode(r, &in); err != nil {
		return err
	}
	if in.Muted == nil {
		return tack.Invalid("muted", "muted is required")
	}
	c, err := s.cfg.Chat.SetMuted(r.Context(), id, *in.Muted)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, c)
	return nil
}

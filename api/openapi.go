package api

import (
	"net/http"
	"regexp"
	"strings"
)

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// schemas are the request and response bodies named in the route table.
var schemas = map[string]any{
	"Error":                obj("error", obj("code", str(), "message", str(), "field", str())),
	"User":                 obj("id", str(), "login", str(), "name", str(), "created_at", timeT()),
	"Users":                obj("users", arr(ref("Person"))),
	"Person":               obj("id", str(), "login", str(), "name", str(), "created_at", timeT(), "title", str(), "org_name", str(), "relation", str()),
	"Auth":                 obj("token", str(), "user", ref("User"), "csrf_token", str()),
	"Register":             obj("login", str(), "password", str(), "name", str(), "cookie", boolean()),
	"SignIn":               obj("login", str(), "password", str(), "cookie", boolean()),
	"Sessions":             obj("sessions", arr(obj("id", str(), "device", str(), "address", str(), "created_at", timeT(), "last_seen_at", timeT(), "current", boolean()))),
	"CreateConversation":   obj("type", enum("direct", "group"), "members", arr(str()), "title", str()),
	"UpdateConversation":   obj("title", str(), "mute_all", boolean()),
	"ConversationSettings": obj("muted", boolean()),
	"Conversation": obj("id", str(), "type", enum("direct", "group"), "title", str(), "owner_id", str(), "mute_all", boolean(),
		"created_at", timeT(), "last_seq", integer(), "last_mod", integer(), "member_count", integer(), "role", str(), "muted", boolean(),
		"read_seq", integer(), "unread", integer(), "last_message", ref("Message"), "peer_id", str(), "external", boolean()),
	"Conversations": obj("conversations", arr(ref("Conversation"))),
	"Members":       obj("members", arr(obj("user_id", str(), "name", str(), "role", str(), "read_seq", integer(), "joined_at", timeT()))),
	"AddMembers":    obj("user_ids", arr(str())),
	"SetRole":       obj("role", enum("admin", "member")),
	"TransferOwner": obj("user_id", str()),
	"Send":          obj("client_id", str(), "text", str(), "mentions", arr(str()), "mention_all", boolean(), "reply_to", integer(), "attachments", arr(str())),
	"Edit":          obj("text", str(), "mentions", arr(str())),
	"Message": obj("conversation_id", str(), "seq", integer(), "mod", integer(), "client_id", str(), "sender_id", str(),
		"kind", enum("text", "system", "image", "file", "voice", "voice_picture"), "text", str(), "mentions", arr(str()), "mention_all", boolean(), "reply_to", integer(),
		"quote", obj("seq", integer(), "sender_id", str(), "text", str(), "recalled", boolean()),
		"system", obj("action", str(), "actor_id", str(), "users", arr(str()), "title", str()),
		"created_at", timeT(), "edited_at", timeT(), "recalled", boolean(), "recalled_by", str(), "unread", integer(),
		"attachments", arr(obj("id", str(), "kind", enum("image", "voice", "file"), "name", str(), "size", integer(), "mime", str(),
			"width", integer(), "height", integer(), "duration_ms", integer(), "waveform", arr(integer())))),
	"Messages":     obj("messages", arr(ref("Message"))),
	"Receipts":     obj("read", arr(obj("id", str(), "name", str())), "unread", arr(obj("id", str(), "name", str())), "read_count", integer(), "unread_count", integer()),
	"Read":         obj("seq", integer()),
	"ReadPosition": obj("read_seq", integer()),
	"Presence":     obj("online", arr(str())),
}

func str() map[string]any          { return map[string]any{"type": "string"} }
func integer() map[string]any      { return map[string]any{"type": "integer", "format": "int64"} }
func boolean() map[string]any      { return map[string]any{"type": "boolean"} }
func timeT() map[string]any        { return map[string]any{"type": "string", "format": "date-time"} }
func arr(items any) map[string]any { return map[string]any{"type": "array", "items": items} }
func ref(name string) map[string]any {
	return map[string]any{"$ref": "#/components/schemas/" + name}
}
func enum(vals ...string) map[string]any { return map[string]any{"type": "string", "enum": vals} }
func obj(kv ...any) map[string]any {
	props := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		props[kv[i].(string)] = kv[i+1]
	}
	return map[string]any{"type": "object", "properties": props}
}

// Document returns the OpenAPI 3.1 document of every REST route.
func (s *Server) Document() map[string]any {
	paths := map[string]any{}
	errResp := map[string]any{"description": "error", "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
	for _, rt := range s.routes {
		p, _ := paths[rt.path].(map[string]any)
		if p == nil {
			p = map[string]any{}
			paths[rt.path] = p
		}
		op := map[string]any{"summary": rt.summary, "operationId": opID(rt)}
		var params []any
		for _, m := range pathParam.FindAllStringSubmatch(rt.path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": str()})
		}
		switch rt.path {
		case "/api/v1/conversations/{id}/messages":
			if rt.method == "GET" {
				for _, q := range []string{"after_seq", "before_seq", "limit"} {
					params = append(params, map[string]any{"name": q, "in": "query", "schema": integer()})
				}
			}
		case "/api/v1/presence":
			params = append(params, map[string]any{"name": "ids", "in": "query", "schema": str()})
		case "/api/v1/stream":
			params = append(params, map[string]any{"name": "hello", "in": "query", "schema": str(),
				"description": "1: the server waits for the client's hello and catches up from its cursors first; absent: live at once"})
		case "/api/v1/users":
			params = append(params, map[string]any{"name": "q", "in": "query", "schema": str()},
				map[string]any{"name": "ids", "in": "query", "schema": str()})
		}
		if params != nil {
			op["parameters"] = params
		}
		if rt.req != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(rt.req)}}}
		}
		ok := map[string]any{"description": http.StatusText(rt.status)}
		if rt.resp != "" {
			ok["content"] = map[string]any{"application/json": map[string]any{"schema": ref(rt.resp)}}
		}
		op["responses"] = map[string]any{itoa(rt.status): ok, "default": errResp}
		if rt.auth {
			op["security"] = []any{map[string]any{"bearer": []any{}}}
		}
		p[strings.ToLower(rt.method)] = op
	}
	paths["/healthz"] = map[string]any{"get": map[string]any{"summary": "Health check", "operationId": "healthz",
		"responses": map[string]any{"200": map[string]any{"description": `{"status": "ok"|"degraded", "disk": {free_bytes, min_free_bytes, low, full}}`},
			"503": map[string]any{"description": "unavailable"}}}}
	paths["/metrics"] = map[string]any{"get": map[string]any{"summary": "Prometheus metrics", "operationId": "metrics",
		"responses": map[string]any{"200": map[string]any{"description": "OK"}}}}
	paths["/api/v1/openapi.json"] = map[string]any{"get": map[string]any{"summary": "This document", "operationId": "openapi",
		"responses": map[string]any{"200": map[string]any{"description": "OK"}}}}
	return map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "Tack API", "version": "1", "description": "Team chat and mobile office. The WebSocket protocol of /api/v1/stream is described in docs/api.md."},
		"paths":   paths,
		"components": map[string]any{
			"schemas":         schemas,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}},
		},
	}
}

func opID(rt route) string {
	p := strings.TrimPrefix(rt.path, "/api/v1/")
	p = pathParam.ReplaceAllString(p, "by_$1")
	p = strings.NewReplacer("/", "_", "{", "", "}", "").Replace(p)
	return strings.ToLower(rt.method) + "_" + p
}

func itoa(n int) string {
	if n == 0 {
		return "200"
	}
	b := []byte{}
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Document())
}

// Routes lists the REST routes as [method, path] pairs.
func (s *Server) Routes() [][2]string {
	out := make([][2]string, len(s.routes))
	for i, rt := range s.routes {
		out[i] = [2]string{rt.method, rt.path}
	}
	return out
}

package api

import (
	"net/http"
	"sync"

	"github.com/tackhq/tack/chat"
)

// secretSchemas adds secret chats to the OpenAPI document, once.
var secretSchemas sync.Once

// secretRoutes are the secret chat routes (see chat/secret.go): a secret
// conversation is made with POST /api/v1/conversations {type: "secret"}.
func (s *Server) secretRoutes() []route {
	secretSchemas.Do(func() {
		kinds := enum(chat.Direct, chat.Group, chat.Secret)
		set := func(name, field string, v any) {
			if sc, ok := schemas[name].(map[string]any); ok {
				if props, ok := sc["properties"].(map[string]any); ok {
					props[field] = v
				}
			}
		}
		set("CreateConversation", "type", kinds)
		set("Conversation", "type", kinds)
		set("Send", "burn_after_s", integer())
		for field, v := range map[string]any{"burn_after_s": integer(), "burns_at": timeT(), "revealed_at": timeT(),
			"burned": boolean(), "hidden": boolean()} {
			set("Message", field, v)
		}
	})
	return []route{
		{method: "POST", path: "/api/v1/conversations/{id}/messages/{seq}/reveal", summary: "Reveal a secret message (the recipient): its text and burns_at", auth: true, resp: "Message", status: 200, h: s.reveal},
		{method: "POST", path: "/api/v1/conversations/{id}/screenshot", summary: "Tell the other side of a secret chat that you took a screenshot: a system notice (action screenshot), at most one per 10 s", auth: true, resp: "Message", status: 201, h: s.screenshot},
	}
}

func (s *Server) reveal(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	seq, err := pathSeq(r)
	if err != nil {
		return err
	}
	m, err := s.cfg.Chat.Reveal(r.Context(), id, seq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, m)
	return nil
}

func (s *Server) screenshot(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id")
	if err != nil {
		return err
	}
	m, err := s.cfg.Chat.ReportScreenshot(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, m)
	return nil
}

-- +goose Up
-- Search reads each of the member's conversations on its own, newest key
-- first (postgres/search.go, searchQuery): the work is bounded by what the
-- member may see, not by the whole history.
CREATE INDEX search_messages_conversation ON search_messages (conversation_id, id) INCLUDE (seq, grams);

-- +goose Down
DROP INDEX search_messages_conversation;

-- +goose Up
-- A member's own notification mute of a conversation (免打扰).
ALTER TABLE members ADD COLUMN muted BOOLEAN NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE members DROP COLUMN muted;

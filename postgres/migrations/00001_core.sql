-- The schema of sqlite/migrations/00001_core.sql in PostgreSQL types:
-- timestamptz (microseconds) for times, boolean for flags, jsonb for
-- mentions and system events, bytea for token hashes.

-- +goose Up
CREATE TABLE users (
    id            text PRIMARY KEY,
    login         text NOT NULL UNIQUE,
    name          text NOT NULL,
    name_lower    text NOT NULL,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL
);
CREATE INDEX users_name_lower ON users (name_lower text_pattern_ops);

CREATE TABLE sessions (
    id           text PRIMARY KEY,
    user_id      text NOT NULL REFERENCES users (id),
    token_hash   bytea NOT NULL UNIQUE,
    device       text NOT NULL,
    address      text NOT NULL,
    created_at   timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE conversations (
    id           text PRIMARY KEY,
    kind         text NOT NULL,
    title        text NOT NULL DEFAULT '',
    owner_id     text NOT NULL DEFAULT '',
    mute_all     boolean NOT NULL DEFAULT false,
    direct_key   text UNIQUE, -- 'a:b' with a < b, direct chats only
    member_count integer NOT NULL DEFAULT 0,
    last_seq     bigint NOT NULL DEFAULT 0,
    last_mod     bigint NOT NULL DEFAULT 0,
    last_at      timestamptz NOT NULL,
    created_at   timestamptz NOT NULL
);

CREATE TABLE members (
    conversation_id text NOT NULL REFERENCES conversations (id),
    user_id         text NOT NULL REFERENCES users (id),
    role            text NOT NULL,
    read_seq        bigint NOT NULL DEFAULT 0,
    joined_seq      bigint NOT NULL DEFAULT 0,
    joined_at       timestamptz NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX members_user ON members (user_id, conversation_id);
CREATE INDEX members_read ON members (conversation_id, read_seq);

CREATE TABLE messages (
    conversation_id text NOT NULL REFERENCES conversations (id),
    seq             bigint NOT NULL,
    mod             bigint NOT NULL,
    client_id       text, -- NULL for system events
    sender_id       text NOT NULL,
    kind            text NOT NULL,
    text            text NOT NULL DEFAULT '',
    mentions        jsonb, -- array of user IDs
    mention_all     boolean NOT NULL DEFAULT false,
    reply_to        bigint NOT NULL DEFAULT 0,
    system          jsonb,
    created_at      timestamptz NOT NULL,
    edited_at       timestamptz,
    recalled_by     text,
    PRIMARY KEY (conversation_id, seq)
);
CREATE UNIQUE INDEX messages_client ON messages (sender_id, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX messages_mod ON messages (conversation_id, mod);

-- +goose Down
DROP TABLE messages;
DROP TABLE members;
DROP TABLE conversations;
DROP TABLE sessions;
DROP TABLE users;

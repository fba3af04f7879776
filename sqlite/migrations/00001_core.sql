-- +goose Up
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    login         TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    name_lower    TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL -- Unix microseconds, UTC
);
CREATE INDEX users_name_lower ON users (name_lower);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    token_hash   BLOB NOT NULL UNIQUE,
    device       TEXT NOT NULL,
    address      TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE conversations (
    id           TEXT PRIMARY KEY,
    kind         TEXT NOT NULL,
    title        TEXT NOT NULL DEFAULT '',
    owner_id     TEXT NOT NULL DEFAULT '',
    mute_all     INTEGER NOT NULL DEFAULT 0,
    direct_key   TEXT UNIQUE, -- "a:b" with a < b, direct chats only
    member_count INTEGER NOT NULL DEFAULT 0,
    last_seq     INTEGER NOT NULL DEFAULT 0,
    last_mod     INTEGER NOT NULL DEFAULT 0,
    last_at      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL
);

CREATE TABLE members (
    conversation_id TEXT NOT NULL REFERENCES conversations (id),
    user_id         TEXT NOT NULL REFERENCES users (id),
    role            TEXT NOT NULL,
    read_seq        INTEGER NOT NULL DEFAULT 0,
    joined_seq      INTEGER NOT NULL DEFAULT 0,
    joined_at       INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX members_user ON members (user_id, conversation_id);
CREATE INDEX members_read ON members (conversation_id, read_seq);

CREATE TABLE messages (
    conversation_id TEXT NOT NULL,
    seq             INTEGER NOT NULL,
    mod             INTEGER NOT NULL,
    client_id       TEXT, -- NULL for system events
    sender_id       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    text            TEXT NOT NULL DEFAULT '',
    mentions        TEXT, -- JSON array of user IDs
    mention_all     INTEGER NOT NULL DEFAULT 0,
    reply_to        INTEGER NOT NULL DEFAULT 0,
    system          TEXT, -- JSON
    created_at      INTEGER NOT NULL,
    edited_at       INTEGER,
    recalled_by     TEXT,
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

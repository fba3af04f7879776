-- +goose Up
-- Issue 19: circles (package circle). Moments with their audience (JSON),
-- their files (JSON attachments; each file is pinned by a media_refs row
-- whose conversation_id is the moment's ID and seq 0, so that media keeps
-- it while the moment lives and collects it once the moment is deleted),
-- likes, comments, and each person's circle settings.
CREATE TABLE moments (
    id         TEXT PRIMARY KEY, -- grows with time: the timeline's order and cursor
    author_id  TEXT NOT NULL REFERENCES users (id),
    org_id     TEXT NOT NULL DEFAULT '', -- a colleague circle's organisation
    text       TEXT NOT NULL,
    audience   TEXT NOT NULL, -- JSON circle.Audience
    files      TEXT NOT NULL, -- JSON []chat.Attachment
    created_at INTEGER NOT NULL,
    edited_at  INTEGER
) WITHOUT ROWID;
CREATE INDEX moments_author ON moments (author_id, org_id, id);
CREATE INDEX moments_org ON moments (org_id, id) WHERE org_id <> '';

CREATE TABLE moment_likes (
    moment_id  TEXT NOT NULL REFERENCES moments (id),
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (moment_id, user_id)
) WITHOUT ROWID;

CREATE TABLE moment_comments (
    id         TEXT PRIMARY KEY,
    moment_id  TEXT NOT NULL REFERENCES moments (id),
    author_id  TEXT NOT NULL REFERENCES users (id),
    reply_to   TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX moment_comments_moment ON moment_comments (moment_id, id);

CREATE TABLE circle_settings (
    user_id      TEXT PRIMARY KEY REFERENCES users (id),
    visible_days INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL
);

-- Announcements (公告): files pinned through media_refs as moments' are
-- (conversation_id = the announcement's ID, seq 0). Recipients are fixed
-- when it is published; read_at and notified are per recipient.
CREATE TABLE announcements (
    id             TEXT PRIMARY KEY,
    org_id         TEXT NOT NULL,
    author_id      TEXT NOT NULL REFERENCES users (id),
    title          TEXT NOT NULL,
    body           TEXT NOT NULL,
    department_ids TEXT NOT NULL, -- JSON
    files          TEXT NOT NULL, -- JSON []chat.Attachment
    pinned         INTEGER NOT NULL DEFAULT 0,
    must_read      INTEGER NOT NULL DEFAULT 0,
    publish_at     INTEGER NOT NULL,
    published      INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL
);
CREATE INDEX announcements_org ON announcements (org_id, pinned, publish_at);

CREATE TABLE announcement_recipients (
    announcement_id TEXT NOT NULL REFERENCES announcements (id),
    user_id         TEXT NOT NULL,
    read_at         INTEGER,
    notified        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (announcement_id, user_id)
) WITHOUT ROWID;
CREATE INDEX announcement_recipients_user ON announcement_recipients (user_id, announcement_id);

-- Work reports (日志): custom templates, reports with their recipients
-- (read_at) and comments, and each member's own reminder.
CREATE TABLE report_templates (
    id      TEXT PRIMARY KEY,
    org_id  TEXT NOT NULL,
    name    TEXT NOT NULL,
    kind    TEXT NOT NULL,
    fields  TEXT NOT NULL -- JSON []circle.Field
);
CREATE INDEX report_templates_org ON report_templates (org_id);

CREATE TABLE reports (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    author_id   TEXT NOT NULL REFERENCES users (id),
    template_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    period      TEXT NOT NULL, -- YYYY-MM-DD
    answers     TEXT NOT NULL, -- JSON []circle.Answer
    created_at  INTEGER NOT NULL
);
CREATE INDEX reports_author ON reports (org_id, author_id, id);
CREATE INDEX reports_period ON reports (org_id, kind, period);

CREATE TABLE report_recipients (
    report_id TEXT NOT NULL REFERENCES reports (id),
    user_id   TEXT NOT NULL,
    read_at   INTEGER,
    PRIMARY KEY (report_id, user_id)
);
CREATE INDEX report_recipients_user ON report_recipients (user_id, report_id);

CREATE TABLE report_comments (
    id         TEXT PRIMARY KEY,
    report_id  TEXT NOT NULL REFERENCES reports (id),
    author_id  TEXT NOT NULL REFERENCES users (id),
    text       TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX report_comments_report ON report_comments (report_id, id);

CREATE TABLE report_reminders (
    org_id    TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    kind      TEXT NOT NULL,
    at        TEXT NOT NULL, -- HH:MM
    days      TEXT NOT NULL, -- JSON [1..7]
    time_zone TEXT NOT NULL,
    on_       INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
);

-- +goose Down
DROP TABLE report_reminders;
DROP TABLE report_comments;
DROP TABLE report_recipients;
DROP TABLE reports;
DROP TABLE report_templates;
DROP TABLE announcement_recipients;
DROP TABLE announcements;
DROP TABLE circle_settings;
DROP TABLE moment_comments;
DROP TABLE moment_likes;
DROP TABLE moments;

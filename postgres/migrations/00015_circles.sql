-- +goose Up
-- Issue 19: circles (package circle). Moments with their audience (JSON),
-- their files (JSON attachments; each file is pinned by a media_refs row
-- whose conversation_id is the moment's ID and seq 0, so that media keeps
-- it while the moment lives and collects it once the moment is deleted),
-- likes, comments, and each person's circle settings.
CREATE TABLE moments (
    id         text PRIMARY KEY, -- grows with time: the timeline's order and cursor
    author_id  text NOT NULL REFERENCES users (id),
    org_id     text NOT NULL DEFAULT '', -- a colleague circle's organisation
    text       text NOT NULL,
    audience   jsonb NOT NULL, -- JSON circle.Audience
    files      jsonb NOT NULL, -- JSON []chat.Attachment
    created_at timestamptz NOT NULL,
    edited_at  timestamptz
);
CREATE INDEX moments_author ON moments (author_id, org_id, id);
CREATE INDEX moments_org ON moments (org_id, id) WHERE org_id <> '';

CREATE TABLE moment_likes (
    moment_id  text NOT NULL REFERENCES moments (id),
    user_id    text NOT NULL REFERENCES users (id),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (moment_id, user_id)
);

CREATE TABLE moment_comments (
    id         text PRIMARY KEY,
    moment_id  text NOT NULL REFERENCES moments (id),
    author_id  text NOT NULL REFERENCES users (id),
    reply_to   text NOT NULL DEFAULT '',
    text       text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX moment_comments_moment ON moment_comments (moment_id, id);

CREATE TABLE circle_settings (
    user_id      text PRIMARY KEY REFERENCES users (id),
    visible_days integer NOT NULL DEFAULT 0,
    updated_at   timestamptz NOT NULL
);

-- Announcements (公告): files pinned through media_refs as moments' are
-- (conversation_id = the announcement's ID, seq 0). Recipients are fixed
-- when it is published; read_at and notified are per recipient.
CREATE TABLE announcements (
    id             text PRIMARY KEY,
    org_id         text NOT NULL,
    author_id      text NOT NULL REFERENCES users (id),
    title          text NOT NULL,
    body           text NOT NULL,
    department_ids jsonb NOT NULL, -- JSON
    files          jsonb NOT NULL, -- JSON []chat.Attachment
    pinned         boolean NOT NULL DEFAULT false,
    must_read      boolean NOT NULL DEFAULT false,
    publish_at     timestamptz NOT NULL,
    published      boolean NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL
);
CREATE INDEX announcements_org ON announcements (org_id, pinned, publish_at);

CREATE TABLE announcement_recipients (
    announcement_id text NOT NULL REFERENCES announcements (id),
    user_id         text NOT NULL,
    read_at         timestamptz,
    notified        boolean NOT NULL DEFAULT false,
    PRIMARY KEY (announcement_id, user_id)
);
CREATE INDEX announcement_recipients_user ON announcement_recipients (user_id, announcement_id);

-- Work reports (日志): custom templates, reports with their recipients
-- (read_at) and comments, and each member's own reminder.
CREATE TABLE report_templates (
    id      text PRIMARY KEY,
    org_id  text NOT NULL,
    name    text NOT NULL,
    kind    text NOT NULL,
    fields  jsonb NOT NULL -- JSON []circle.Field
);
CREATE INDEX report_templates_org ON report_templates (org_id);

CREATE TABLE reports (
    id          text PRIMARY KEY,
    org_id      text NOT NULL,
    author_id   text NOT NULL REFERENCES users (id),
    template_id text NOT NULL,
    kind        text NOT NULL,
    period      text NOT NULL, -- YYYY-MM-DD
    answers     jsonb NOT NULL, -- JSON []circle.Answer
    created_at  timestamptz NOT NULL
);
CREATE INDEX reports_author ON reports (org_id, author_id, id);
CREATE INDEX reports_period ON reports (org_id, kind, period);

CREATE TABLE report_recipients (
    report_id text NOT NULL REFERENCES reports (id),
    user_id   text NOT NULL,
    read_at   timestamptz,
    PRIMARY KEY (report_id, user_id)
);
CREATE INDEX report_recipients_user ON report_recipients (user_id, report_id);

CREATE TABLE report_comments (
    id         text PRIMARY KEY,
    report_id  text NOT NULL REFERENCES reports (id),
    author_id  text NOT NULL REFERENCES users (id),
    text       text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX report_comments_report ON report_comments (report_id, id);

CREATE TABLE report_reminders (
    org_id    text NOT NULL,
    user_id   text NOT NULL,
    kind      text NOT NULL,
    at        text NOT NULL, -- HH:MM
    days      jsonb NOT NULL, -- JSON [1..7]
    time_zone text NOT NULL,
    on_       boolean NOT NULL,
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

-- +goose Up
-- Organisations and the directory (package org).
CREATE TABLE orgs (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    logo       TEXT NOT NULL DEFAULT '',
    time_zone  TEXT NOT NULL,
    owner_id   TEXT NOT NULL,
    privacy    TEXT NOT NULL DEFAULT '{}', -- JSON org.Privacy
    created_at INTEGER NOT NULL
);

CREATE TABLE org_departments (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    parent_id  TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL,
    path       TEXT NOT NULL, -- "/top/.../self/" of IDs
    heads      TEXT NOT NULL DEFAULT '[]', -- JSON member IDs
    created_at INTEGER NOT NULL
);
CREATE INDEX org_departments_org ON org_departments (org_id, path);
CREATE INDEX org_departments_parent ON org_departments (parent_id) WHERE parent_id != '';

CREATE TABLE org_members (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    user_id     TEXT REFERENCES users (id), -- NULL while invited
    name        TEXT NOT NULL,
    sort_key    TEXT NOT NULL,
    title       TEXT NOT NULL DEFAULT '',
    employee_no TEXT NOT NULL DEFAULT '',
    work_email  TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    hire_date   TEXT NOT NULL DEFAULT '',
    manager_id  TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL,
    role        TEXT NOT NULL,
    scope       TEXT NOT NULL DEFAULT '[]', -- JSON department IDs (sub-admins)
    created_at  INTEGER NOT NULL,
    joined_at   INTEGER,
    updated_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX org_members_user ON org_members (org_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX org_members_of_user ON org_members (user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX org_members_employee_no ON org_members (org_id, employee_no) WHERE employee_no != '';
CREATE UNIQUE INDEX org_members_work_email ON org_members (org_id, work_email) WHERE work_email != '';
CREATE INDEX org_members_sort ON org_members (org_id, sort_key, id);

CREATE TABLE org_member_departments (
    member_id TEXT NOT NULL,
    dept_id   TEXT NOT NULL,
    pos       INTEGER NOT NULL, -- the member's first department is its main one
    PRIMARY KEY (member_id, dept_id)
) WITHOUT ROWID;
CREATE INDEX org_member_departments_dept ON org_member_departments (dept_id, member_id);

-- Directory search keys, matched by prefix (see org/search.go).
CREATE TABLE org_member_keys (
    org_id    TEXT NOT NULL,
    key       TEXT NOT NULL,
    field     INTEGER NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (org_id, key, field, member_id)
) WITHOUT ROWID;
CREATE INDEX org_member_keys_member ON org_member_keys (member_id);

CREATE TABLE org_department_keys (
    org_id  TEXT NOT NULL,
    key     TEXT NOT NULL,
    dept_id TEXT NOT NULL,
    PRIMARY KEY (org_id, key, dept_id)
) WITHOUT ROWID;
CREATE INDEX org_department_keys_dept ON org_department_keys (dept_id);

CREATE TABLE org_invitations (
    code        TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    created_by  TEXT NOT NULL,
    departments TEXT NOT NULL DEFAULT '[]',
    member_id   TEXT NOT NULL DEFAULT '',
    target      TEXT NOT NULL DEFAULT '',
    max_uses    INTEGER NOT NULL,
    uses        INTEGER NOT NULL DEFAULT 0,
    expires_at  INTEGER NOT NULL,
    revoked     INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);
CREATE INDEX org_invitations_org ON org_invitations (org_id, created_at);
CREATE INDEX org_invitations_target ON org_invitations (target) WHERE target != '';

CREATE TABLE org_groups (
    conversation_id TEXT PRIMARY KEY REFERENCES conversations (id),
    org_id          TEXT NOT NULL REFERENCES orgs (id),
    dept_id         TEXT NOT NULL DEFAULT '',
    created_by      TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX org_groups_dept ON org_groups (org_id, dept_id);

CREATE TABLE org_audit (
    id       TEXT PRIMARY KEY,
    org_id   TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL DEFAULT '',
    before   TEXT, -- JSON
    after    TEXT, -- JSON
    at       INTEGER NOT NULL
);
CREATE INDEX org_audit_org ON org_audit (org_id, id);

CREATE TABLE user_relations (
    user_id  TEXT NOT NULL,
    other_id TEXT NOT NULL,
    state    TEXT NOT NULL, -- requested, friend, blocked
    at       INTEGER NOT NULL,
    PRIMARY KEY (user_id, other_id)
) WITHOUT ROWID;
CREATE INDEX user_relations_other ON user_relations (other_id, user_id);

CREATE TABLE org_contacts (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL REFERENCES orgs (id),
    owner_id   TEXT NOT NULL,
    name       TEXT NOT NULL,
    name_lower TEXT NOT NULL,
    company    TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL DEFAULT '',
    phone      TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    tags       TEXT NOT NULL DEFAULT '[]',
    note       TEXT NOT NULL DEFAULT '',
    shared     INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX org_contacts_org ON org_contacts (org_id, name_lower);

-- +goose Down
DROP TABLE org_contacts;
DROP TABLE user_relations;
DROP TABLE org_audit;
DROP TABLE org_groups;
DROP TABLE org_invitations;
DROP TABLE org_department_keys;
DROP TABLE org_member_keys;
DROP TABLE org_member_departments;
DROP TABLE org_members;
DROP TABLE org_departments;
DROP TABLE orgs;

-- Organisations and the directory: the schema of
-- sqlite/migrations/00002_org.sql in PostgreSQL types. Search keys, paths
-- and sort keys use the "C" collation: prefix ranges and the directory
-- order compare bytes, as in SQLite.

-- +goose Up
CREATE TABLE orgs (
    id         text PRIMARY KEY,
    name       text NOT NULL,
    logo       text NOT NULL DEFAULT '',
    time_zone  text NOT NULL,
    owner_id   text NOT NULL,
    privacy    jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL
);

CREATE TABLE org_departments (
    id         text PRIMARY KEY,
    org_id     text NOT NULL REFERENCES orgs (id),
    parent_id  text NOT NULL DEFAULT '',
    name       text NOT NULL,
    path       text COLLATE "C" NOT NULL,
    heads      jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL
);
CREATE INDEX org_departments_org ON org_departments (org_id, path);
CREATE INDEX org_departments_parent ON org_departments (parent_id) WHERE parent_id != '';

CREATE TABLE org_members (
    id          text PRIMARY KEY,
    org_id      text NOT NULL REFERENCES orgs (id),
    user_id     text REFERENCES users (id),
    name        text NOT NULL,
    sort_key    text COLLATE "C" NOT NULL,
    title       text NOT NULL DEFAULT '',
    employee_no text NOT NULL DEFAULT '',
    work_email  text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    hire_date   text NOT NULL DEFAULT '',
    manager_id  text NOT NULL DEFAULT '',
    status      text NOT NULL,
    role        text NOT NULL,
    scope       jsonb NOT NULL DEFAULT '[]',
    created_at  timestamptz NOT NULL,
    joined_at   timestamptz,
    updated_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX org_members_user ON org_members (org_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX org_members_of_user ON org_members (user_id) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX org_members_employee_no ON org_members (org_id, employee_no) WHERE employee_no != '';
CREATE UNIQUE INDEX org_members_work_email ON org_members (org_id, work_email) WHERE work_email != '';
CREATE INDEX org_members_sort ON org_members (org_id, sort_key, id);

CREATE TABLE org_member_departments (
    member_id text NOT NULL,
    dept_id   text NOT NULL,
    pos       integer NOT NULL,
    PRIMARY KEY (member_id, dept_id)
);
CREATE INDEX org_member_departments_dept ON org_member_departments (dept_id, member_id);

CREATE TABLE org_member_keys (
    org_id    text NOT NULL,
    key       text COLLATE "C" NOT NULL,
    field     smallint NOT NULL,
    member_id text NOT NULL,
    PRIMARY KEY (org_id, key, field, member_id)
);
CREATE INDEX org_member_keys_member ON org_member_keys (member_id);

CREATE TABLE org_department_keys (
    org_id  text NOT NULL,
    key     text COLLATE "C" NOT NULL,
    dept_id text NOT NULL,
    PRIMARY KEY (org_id, key, dept_id)
);
CREATE INDEX org_department_keys_dept ON org_department_keys (dept_id);

CREATE TABLE org_invitations (
    code        text PRIMARY KEY,
    org_id      text NOT NULL REFERENCES orgs (id),
    created_by  text NOT NULL,
    departments jsonb NOT NULL DEFAULT '[]',
    member_id   text NOT NULL DEFAULT '',
    target      text NOT NULL DEFAULT '',
    max_uses    integer NOT NULL,
    uses        integer NOT NULL DEFAULT 0,
    expires_at  timestamptz NOT NULL,
    revoked     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL
);
CREATE INDEX org_invitations_org ON org_invitations (org_id, created_at);
CREATE INDEX org_invitations_target ON org_invitations (target) WHERE target != '';

CREATE TABLE org_groups (
    conversation_id text PRIMARY KEY REFERENCES conversations (id),
    org_id          text NOT NULL REFERENCES orgs (id),
    dept_id         text NOT NULL DEFAULT '',
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX org_groups_dept ON org_groups (org_id, dept_id);

CREATE TABLE org_audit (
    id       text COLLATE "C" PRIMARY KEY,
    org_id   text NOT NULL,
    actor_id text NOT NULL,
    action   text NOT NULL,
    target   text NOT NULL DEFAULT '',
    before   jsonb,
    after    jsonb,
    at       timestamptz NOT NULL
);
CREATE INDEX org_audit_org ON org_audit (org_id, id);

CREATE TABLE user_relations (
    user_id  text NOT NULL,
    other_id text NOT NULL,
    state    text NOT NULL,
    at       timestamptz NOT NULL,
    PRIMARY KEY (user_id, other_id)
);
CREATE INDEX user_relations_other ON user_relations (other_id, user_id);

CREATE TABLE org_contacts (
    id         text PRIMARY KEY,
    org_id     text NOT NULL REFERENCES orgs (id),
    owner_id   text NOT NULL,
    name       text NOT NULL,
    name_lower text NOT NULL,
    company    text NOT NULL DEFAULT '',
    title      text NOT NULL DEFAULT '',
    phone      text NOT NULL DEFAULT '',
    email      text NOT NULL DEFAULT '',
    tags       jsonb NOT NULL DEFAULT '[]',
    note       text NOT NULL DEFAULT '',
    shared     boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
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

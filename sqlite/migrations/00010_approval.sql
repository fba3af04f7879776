-- +goose Up
-- Approvals (package approval) and leave (package leave): template
-- versions, instances (JSON bodies with a few columns to query by), tasks,
-- the timeline of actions, people's boxes (pending, done, cc, mine), who is
-- away on approved leave or a trip, the outbox of work after a commit
-- (attendance covers, corrections, notices), the audit log; leave types,
-- balances and the ledger. Times are microseconds since 1970 (UTC).
CREATE TABLE approval_templates (
    org_id     TEXT NOT NULL,
    key        TEXT NOT NULL,
    version    INTEGER NOT NULL,
    id         TEXT NOT NULL,
    body       TEXT NOT NULL, -- JSON approval.Template
    current    INTEGER NOT NULL, -- 1 for the current version
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, key, version)
);
CREATE UNIQUE INDEX approval_templates_current ON approval_templates (org_id, key) WHERE current = 1;

CREATE TABLE approval_instances (
    id            TEXT PRIMARY KEY,
    org_id        TEXT NOT NULL,
    originator_id TEXT NOT NULL,
    kind          TEXT NOT NULL,
    status        TEXT NOT NULL,
    leave_type    TEXT NOT NULL,
    amount        INTEGER NOT NULL, -- leave asked for, hundredths
    body          TEXT NOT NULL, -- JSON approval.Instance
    rev           INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX approval_instances_running ON approval_instances (org_id, originator_id, leave_type) WHERE status = 'running';

CREATE TABLE approval_tasks (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    approver_id TEXT NOT NULL,
    status      TEXT NOT NULL,
    body        TEXT NOT NULL, -- JSON approval.Task
    created_at  INTEGER NOT NULL
);
CREATE INDEX approval_tasks_instance ON approval_tasks (instance_id, created_at, id);

CREATE TABLE approval_actions (
    id          TEXT PRIMARY KEY,
    instance_id TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    key         TEXT, -- NULL: no idempotency key
    body        TEXT NOT NULL, -- JSON approval.Action
    at          INTEGER NOT NULL
);
CREATE INDEX approval_actions_instance ON approval_actions (instance_id, at, id);
CREATE UNIQUE INDEX approval_actions_key ON approval_actions (instance_id, actor_id, key) WHERE key IS NOT NULL;

CREATE TABLE approval_boxes (
    user_id     TEXT NOT NULL,
    org_id      TEXT NOT NULL,
    box         TEXT NOT NULL, -- pending, done, cc, mine
    instance_id TEXT NOT NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (user_id, box, instance_id)
);
CREATE INDEX approval_boxes_list ON approval_boxes (user_id, org_id, box, at DESC, instance_id DESC);

CREATE TABLE approval_away (
    instance_id TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    leave_type  TEXT NOT NULL,
    start_at    INTEGER NOT NULL,
    end_at      INTEGER NOT NULL,
    auto_reply  INTEGER NOT NULL,
    handover    TEXT NOT NULL
);
CREATE INDEX approval_away_user ON approval_away (user_id, end_at);

CREATE TABLE approval_jobs (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    due_at      INTEGER NOT NULL,
    attempts    INTEGER NOT NULL,
    lease_until INTEGER,
    lease_owner TEXT
);
CREATE INDEX approval_jobs_due ON approval_jobs (due_at);

CREATE TABLE approval_audit (
    id       TEXT PRIMARY KEY,
    org_id   TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    detail   TEXT NOT NULL, -- JSON
    at       INTEGER NOT NULL
);
CREATE INDEX approval_audit_org ON approval_audit (org_id, id);

CREATE TABLE leave_types (
    org_id  TEXT NOT NULL,
    key     TEXT NOT NULL,
    body    TEXT NOT NULL, -- JSON leave.Type
    version INTEGER NOT NULL,
    PRIMARY KEY (org_id, key)
);

CREATE TABLE leave_balances (
    org_id        TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    leave_type    TEXT NOT NULL,
    balance       INTEGER NOT NULL, -- hundredths of a day or hour
    carried       INTEGER NOT NULL,
    carry_expires TEXT NOT NULL,
    through       TEXT NOT NULL, -- YYYY-MM
    rev           INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id, leave_type)
);

CREATE TABLE leave_ledger (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    leave_type  TEXT NOT NULL,
    kind        TEXT NOT NULL,
    delta       INTEGER NOT NULL,
    balance     INTEGER NOT NULL,
    key         TEXT NOT NULL,
    approval_id TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    at          INTEGER NOT NULL
);
CREATE UNIQUE INDEX leave_ledger_key ON leave_ledger (org_id, user_id, leave_type, key);
CREATE INDEX leave_ledger_user ON leave_ledger (org_id, user_id, id);

CREATE TABLE leave_audit (
    id       TEXT PRIMARY KEY,
    org_id   TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    detail   TEXT NOT NULL,
    at       INTEGER NOT NULL
);
CREATE INDEX leave_audit_org ON leave_audit (org_id, id);

-- +goose Down
DROP TABLE leave_audit;
DROP TABLE leave_ledger;
DROP TABLE leave_balances;
DROP TABLE leave_types;
DROP TABLE approval_audit;
DROP TABLE approval_jobs;
DROP TABLE approval_away;
DROP TABLE approval_boxes;
DROP TABLE approval_actions;
DROP TABLE approval_tasks;
DROP TABLE approval_instances;
DROP TABLE approval_templates;

-- Approvals and leave: the schema of sqlite/migrations/00010_approval.sql
-- in PostgreSQL types.

-- +goose Up
-- Approvals (package approval) and leave (package leave): template
-- versions, instances (JSON bodies with a few columns to query by), tasks,
-- the timeline of actions, people's boxes (pending, done, cc, mine), who is
-- away on approved leave or a trip, the outbox of work after a commit
-- (attendance covers, corrections, notices), the audit log; leave types,
-- balances and the ledger. Times are timestamptz; dates and months are text with the "C" collation.
CREATE TABLE approval_templates (
    org_id     text NOT NULL,
    key        text NOT NULL,
    version    integer NOT NULL,
    id         text NOT NULL,
    body       text NOT NULL, -- JSON approval.Template
    current    boolean NOT NULL, -- true for the current version
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (org_id, key, version)
);
CREATE UNIQUE INDEX approval_templates_current ON approval_templates (org_id, key) WHERE current;

CREATE TABLE approval_instances (
    id            text PRIMARY KEY,
    org_id        text NOT NULL,
    originator_id text NOT NULL,
    kind          text NOT NULL,
    status        text NOT NULL,
    leave_type    text NOT NULL,
    amount        bigint NOT NULL, -- leave asked for, hundredths
    body          text NOT NULL, -- JSON approval.Instance
    rev           bigint NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);
CREATE INDEX approval_instances_running ON approval_instances (org_id, originator_id, leave_type) WHERE status = 'running';

CREATE TABLE approval_tasks (
    id          text PRIMARY KEY,
    instance_id text NOT NULL,
    org_id      text NOT NULL,
    approver_id text NOT NULL,
    status      text NOT NULL,
    body        text NOT NULL, -- JSON approval.Task
    created_at  timestamptz NOT NULL
);
CREATE INDEX approval_tasks_instance ON approval_tasks (instance_id, created_at, id);

CREATE TABLE approval_actions (
    id          text PRIMARY KEY,
    instance_id text NOT NULL,
    org_id      text NOT NULL,
    actor_id    text NOT NULL,
    kind        text NOT NULL,
    key         text, -- NULL: no idempotency key
    body        text NOT NULL, -- JSON approval.Action
    at          timestamptz NOT NULL
);
CREATE INDEX approval_actions_instance ON approval_actions (instance_id, at, id);
CREATE UNIQUE INDEX approval_actions_key ON approval_actions (instance_id, actor_id, key) WHERE key IS NOT NULL;

CREATE TABLE approval_boxes (
    user_id     text NOT NULL,
    org_id      text NOT NULL,
    box         text NOT NULL, -- pending, done, cc, mine
    instance_id text COLLATE "C" NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (user_id, box, instance_id)
);
CREATE INDEX approval_boxes_list ON approval_boxes (user_id, org_id, box, at DESC, instance_id DESC);

CREATE TABLE approval_away (
    instance_id text PRIMARY KEY,
    org_id      text NOT NULL,
    user_id     text NOT NULL,
    kind        text NOT NULL,
    leave_type  text NOT NULL,
    start_at    timestamptz NOT NULL,
    end_at      timestamptz NOT NULL,
    auto_reply  boolean NOT NULL,
    handover    text NOT NULL
);
CREATE INDEX approval_away_user ON approval_away (user_id, end_at);

CREATE TABLE approval_jobs (
    id          text PRIMARY KEY,
    org_id      text NOT NULL,
    instance_id text NOT NULL,
    kind        text NOT NULL,
    body        text NOT NULL,
    due_at      timestamptz NOT NULL,
    attempts    integer NOT NULL,
    lease_until timestamptz,
    lease_owner text
);
CREATE INDEX approval_jobs_due ON approval_jobs (due_at);

CREATE TABLE approval_audit (
    id       text PRIMARY KEY,
    org_id   text NOT NULL,
    actor_id text NOT NULL,
    action   text NOT NULL,
    target   text NOT NULL,
    detail   text NOT NULL, -- JSON
    at       timestamptz NOT NULL
);
CREATE INDEX approval_audit_org ON approval_audit (org_id, id);

CREATE TABLE leave_types (
    org_id  text NOT NULL,
    key     text NOT NULL,
    body    text NOT NULL, -- JSON leave.Type
    version integer NOT NULL,
    PRIMARY KEY (org_id, key)
);

CREATE TABLE leave_balances (
    org_id        text NOT NULL,
    user_id       text NOT NULL,
    leave_type    text NOT NULL,
    balance       bigint NOT NULL, -- hundredths of a day or hour
    carried       bigint NOT NULL,
    carry_expires text COLLATE "C" NOT NULL,
    through       text COLLATE "C" NOT NULL, -- YYYY-MM
    rev           bigint NOT NULL,
    updated_at    timestamptz NOT NULL,
    PRIMARY KEY (org_id, user_id, leave_type)
);

CREATE TABLE leave_ledger (
    id          text COLLATE "C" PRIMARY KEY,
    org_id      text NOT NULL,
    user_id     text NOT NULL,
    leave_type  text NOT NULL,
    kind        text NOT NULL,
    delta       bigint NOT NULL,
    balance     bigint NOT NULL,
    key         text NOT NULL,
    approval_id text NOT NULL,
    actor_id    text NOT NULL,
    reason      text NOT NULL,
    at          timestamptz NOT NULL
);
CREATE UNIQUE INDEX leave_ledger_key ON leave_ledger (org_id, user_id, leave_type, key);
CREATE INDEX leave_ledger_user ON leave_ledger (org_id, user_id, id);

CREATE TABLE leave_audit (
    id       text PRIMARY KEY,
    org_id   text NOT NULL,
    actor_id text NOT NULL,
    action   text NOT NULL,
    target   text NOT NULL,
    detail   text NOT NULL,
    at       timestamptz NOT NULL
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

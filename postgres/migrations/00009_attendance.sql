-- Attendance: the schema of sqlite/migrations/00009_attendance.sql in
-- PostgreSQL types. Dates are 'YYYY-MM-DD' text with the "C" collation, so
-- they compare as in SQLite.

-- +goose Up
CREATE TABLE att_groups (
    id              text PRIMARY KEY,
    org_id          text NOT NULL,
    name            text NOT NULL,
    rules           text NOT NULL,
    version         integer NOT NULL,
    planned_through text COLLATE "C" NOT NULL,
    created_at      timestamptz NOT NULL
);
CREATE INDEX att_groups_org ON att_groups (org_id, created_at);

CREATE TABLE att_group_targets (
    org_id    text NOT NULL,
    target_id text NOT NULL,
    group_id  text NOT NULL REFERENCES att_groups (id) ON DELETE CASCADE,
    kind      text NOT NULL,
    PRIMARY KEY (org_id, target_id)
);
CREATE INDEX att_group_targets_group ON att_group_targets (group_id);

CREATE TABLE att_shifts (
    id         text PRIMARY KEY,
    org_id     text NOT NULL,
    name       text NOT NULL,
    rules      text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX att_shifts_name ON att_shifts (org_id, name);

CREATE TABLE att_holidays (
    org_id text NOT NULL,
    day    text COLLATE "C" NOT NULL,
    kind   text NOT NULL,
    name   text NOT NULL,
    PRIMARY KEY (org_id, day)
);

CREATE TABLE att_schedules (
    org_id    text NOT NULL,
    user_id   text NOT NULL,
    work_date text COLLATE "C" NOT NULL,
    group_id  text NOT NULL,
    shift_id  text NOT NULL,
    PRIMARY KEY (org_id, user_id, work_date)
);
CREATE INDEX att_schedules_date ON att_schedules (org_id, work_date);
CREATE INDEX att_schedules_shift ON att_schedules (org_id, shift_id, work_date);

CREATE TABLE att_days (
    org_id      text NOT NULL,
    user_id     text NOT NULL,
    work_date   text COLLATE "C" NOT NULL,
    member_id   text NOT NULL,
    group_id    text NOT NULL,
    state       text NOT NULL,
    body        text NOT NULL,
    due_at      timestamptz NOT NULL,
    lease_until timestamptz,
    lease_owner text,
    rev         bigint NOT NULL,
    closes      integer NOT NULL,
    closed_at   timestamptz,
    updated_at  timestamptz NOT NULL,
    PRIMARY KEY (org_id, user_id, work_date)
);
CREATE INDEX att_days_due ON att_days (due_at) WHERE state = 'open';
CREATE INDEX att_days_date ON att_days (org_id, work_date);

CREATE TABLE att_punches (
    id              text PRIMARY KEY,
    org_id          text NOT NULL,
    user_id         text NOT NULL,
    work_date       text COLLATE "C" NOT NULL,
    at              timestamptz NOT NULL,
    check_type      text NOT NULL,
    pair            integer NOT NULL,
    source_type     text NOT NULL,
    location_result text NOT NULL,
    via             text NOT NULL,
    place           text NOT NULL,
    distance_m      integer,
    client_reported boolean NOT NULL,
    note            text NOT NULL,
    lat             double precision,
    lng             double precision,
    accuracy_m      double precision,
    erase_at        timestamptz,
    approve_id      text NOT NULL,
    actor_id        text NOT NULL
);
CREATE INDEX att_punches_user ON att_punches (org_id, user_id, work_date);
CREATE INDEX att_punches_erase ON att_punches (erase_at) WHERE erase_at IS NOT NULL;

CREATE TABLE att_covers (
    id          text PRIMARY KEY,
    org_id      text NOT NULL,
    user_id     text NOT NULL,
    kind        text NOT NULL,
    leave_type  text NOT NULL,
    start_at    timestamptz NOT NULL,
    end_at      timestamptz NOT NULL,
    approval_id text NOT NULL,
    source_type text NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE UNIQUE INDEX att_covers_approval ON att_covers (org_id, approval_id);
CREATE INDEX att_covers_user ON att_covers (org_id, user_id, start_at);
CREATE INDEX att_covers_time ON att_covers (org_id, start_at);

CREATE TABLE att_views (
    id         text COLLATE "C" PRIMARY KEY,
    org_id     text NOT NULL,
    viewer_id  text NOT NULL,
    subject_id text NOT NULL,
    what       text NOT NULL,
    range_from text NOT NULL,
    range_to   text NOT NULL,
    at         timestamptz NOT NULL
);
CREATE INDEX att_views_subject ON att_views (org_id, subject_id, id);

CREATE TABLE att_quiet (
    user_id text PRIMARY KEY,
    prefs   text NOT NULL
);

CREATE TABLE att_audit (
    id       text COLLATE "C" PRIMARY KEY,
    org_id   text NOT NULL,
    actor_id text NOT NULL,
    action   text NOT NULL,
    target   text NOT NULL,
    detail   text NOT NULL,
    at       timestamptz NOT NULL
);
CREATE INDEX att_audit_org ON att_audit (org_id, id);

-- +goose Down
DROP TABLE att_audit;
DROP TABLE att_quiet;
DROP TABLE att_views;
DROP TABLE att_covers;
DROP TABLE att_punches;
DROP TABLE att_days;
DROP TABLE att_schedules;
DROP TABLE att_holidays;
DROP TABLE att_shifts;
DROP TABLE att_group_targets;
DROP TABLE att_groups;

-- +goose Up
-- Attendance (package attendance): groups, shifts, the holiday calendar,
-- schedules, days (one row per member and work date, also the day-close
-- job: open rows with due_at are claimed with a lease), punches, covers
-- (approved leave, trips, outings), views of someone's attendance, quiet
-- hours and the audit log. Dates are 'YYYY-MM-DD' text; times are
-- microseconds since 1970 (UTC).
CREATE TABLE att_groups (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    name            TEXT NOT NULL,
    rules           TEXT NOT NULL, -- JSON attendance.Group
    version         INTEGER NOT NULL,
    planned_through TEXT NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX att_groups_org ON att_groups (org_id, created_at);

-- A member or department belongs to at most one group.
CREATE TABLE att_group_targets (
    org_id    TEXT NOT NULL,
    target_id TEXT NOT NULL,
    group_id  TEXT NOT NULL REFERENCES att_groups (id) ON DELETE CASCADE,
    kind      TEXT NOT NULL,
    PRIMARY KEY (org_id, target_id)
);
CREATE INDEX att_group_targets_group ON att_group_targets (group_id);

CREATE TABLE att_shifts (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    name       TEXT NOT NULL,
    rules      TEXT NOT NULL, -- JSON attendance.Shift
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX att_shifts_name ON att_shifts (org_id, name);

CREATE TABLE att_holidays (
    org_id TEXT NOT NULL,
    day    TEXT NOT NULL,
    kind   TEXT NOT NULL,
    name   TEXT NOT NULL,
    PRIMARY KEY (org_id, day)
);

CREATE TABLE att_schedules (
    org_id    TEXT NOT NULL,
    user_id   TEXT NOT NULL,
    work_date TEXT NOT NULL,
    group_id  TEXT NOT NULL,
    shift_id  TEXT NOT NULL, -- '' is rest
    PRIMARY KEY (org_id, user_id, work_date)
);
CREATE INDEX att_schedules_date ON att_schedules (org_id, work_date);
CREATE INDEX att_schedules_shift ON att_schedules (org_id, shift_id, work_date);

CREATE TABLE att_days (
    org_id      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    work_date   TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    group_id    TEXT NOT NULL,
    state       TEXT NOT NULL, -- open, closed
    body        TEXT NOT NULL, -- JSON: plan, checks, summary, covers
    due_at      INTEGER NOT NULL,
    lease_until INTEGER,
    lease_owner TEXT,
    rev         INTEGER NOT NULL,
    closes      INTEGER NOT NULL,
    closed_at   INTEGER,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id, work_date)
);
CREATE INDEX att_days_due ON att_days (due_at) WHERE state = 'open';
CREATE INDEX att_days_date ON att_days (org_id, work_date);

CREATE TABLE att_punches (
    id              TEXT PRIMARY KEY,
    org_id          TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    work_date       TEXT NOT NULL,
    at              INTEGER NOT NULL,
    check_type      TEXT NOT NULL,
    pair            INTEGER NOT NULL,
    source_type     TEXT NOT NULL,
    location_result TEXT NOT NULL,
    via             TEXT NOT NULL,
    place           TEXT NOT NULL,
    distance_m      INTEGER,
    client_reported INTEGER NOT NULL,
    note            TEXT NOT NULL,
    lat             REAL,
    lng             REAL,
    accuracy_m      REAL,
    erase_at        INTEGER, -- field punches: when lat/lng go
    approve_id      TEXT NOT NULL,
    actor_id        TEXT NOT NULL
);
CREATE INDEX att_punches_user ON att_punches (org_id, user_id, work_date);
CREATE INDEX att_punches_erase ON att_punches (erase_at) WHERE erase_at IS NOT NULL;

CREATE TABLE att_covers (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    leave_type  TEXT NOT NULL,
    start_at    INTEGER NOT NULL,
    end_at      INTEGER NOT NULL,
    approval_id TEXT NOT NULL,
    source_type TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX att_covers_approval ON att_covers (org_id, approval_id);
CREATE INDEX att_covers_user ON att_covers (org_id, user_id, start_at);
CREATE INDEX att_covers_time ON att_covers (org_id, start_at);

CREATE TABLE att_views (
    id         TEXT PRIMARY KEY,
    org_id     TEXT NOT NULL,
    viewer_id  TEXT NOT NULL,
    subject_id TEXT NOT NULL,
    what       TEXT NOT NULL,
    range_from TEXT NOT NULL,
    range_to   TEXT NOT NULL,
    at         INTEGER NOT NULL
);
CREATE INDEX att_views_subject ON att_views (org_id, subject_id, id);

CREATE TABLE att_quiet (
    user_id    TEXT PRIMARY KEY,
    prefs      TEXT NOT NULL -- JSON attendance.QuietPrefs
);

CREATE TABLE att_audit (
    id       TEXT PRIMARY KEY,
    org_id   TEXT NOT NULL,
    actor_id TEXT NOT NULL,
    action   TEXT NOT NULL,
    target   TEXT NOT NULL,
    detail   TEXT NOT NULL, -- JSON
    at       INTEGER NOT NULL
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

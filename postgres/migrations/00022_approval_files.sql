-- +goose Up
-- The files an approval request's attachment fields reference: those who
-- may read the request may read them, and the media collector keeps them
-- (the reference holds the file row, so a file cannot be collected while
-- a request carries it).
CREATE TABLE approval_files (
    instance_id text NOT NULL REFERENCES approval_instances (id),
    file_id     text NOT NULL REFERENCES media_files (id),
    org_id      text NOT NULL,
    PRIMARY KEY (instance_id, file_id)
);
CREATE INDEX approval_files_file ON approval_files (file_id);

-- +goose Down
DROP TABLE approval_files;

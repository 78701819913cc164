-- Audit entries and user-log lines written while serving a request carry its id, as the
-- request log's records do, so an error a person quotes leads to what that request changed
-- or was refused.
alter table audit_log add column request_id text;
alter table user_log add column request_id text;

-- The log viewer pages the request and user logs newest first by (time, id): one index each
-- replaces the time-only one, so a page is an index walk from its cursor at any depth. The
-- audit log pages by its primary key; looking up one resource's history uses its id.
drop index request_log_at;
create index request_log_at_id on request_log (at, id);
drop index user_log_at;
create index user_log_at_id on user_log (at, id);
create index audit_log_resource on audit_log (resource_id);

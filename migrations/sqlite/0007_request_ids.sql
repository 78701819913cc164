-- Each request-log record carries the id of its request, so a person quoting an error, a
-- server log line and the record can be tied together.
alter table request_log add column request_id text;

-- Request-log retention: the log stays append-only, except that rows older than a day may be
-- deleted (by the retention job, whose shortest setting is one day). Recent history can still
-- not be erased through SQL.
drop trigger request_log_no_delete;
create trigger request_log_no_delete before delete on request_log
when old.at > (cast(strftime('%s', 'now') as integer) - 86400) * 1000000
begin select raise(abort, 'the request log is append-only'); end;

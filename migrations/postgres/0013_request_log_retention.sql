-- Request-log retention: the log stays append-only, except that rows older than a day may be
-- deleted (by the retention job, whose shortest setting is one day). Recent history can still
-- not be erased through SQL.
create or replace function request_log_append_only() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' and old.at < (extract(epoch from now()) * 1000000)::bigint - 86400000000 then
        return old;
    end if;
    raise exception 'the request log is append-only';
end;
$$;

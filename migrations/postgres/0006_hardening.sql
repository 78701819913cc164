-- Sign-in throttle rows name the account and source they count, so Admins can see and clear
-- a lock; the user log becomes append-only like the audit and request logs.

alter table sign_in_throttle add column email text;
alter table sign_in_throttle add column ip text;
create index sign_in_throttle_email on sign_in_throttle (email);

create function user_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'the user log is append-only';
end;
$$;

create trigger user_log_no_change before update or delete on user_log
    for each row execute function user_log_append_only();

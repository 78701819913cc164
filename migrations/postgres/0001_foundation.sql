-- Foundation: the instance, people, sessions, sign-in throttling and the two logs.
-- Times are microseconds since the Unix epoch, UTC. Ids are UUID text.
-- Kept in step with ../sqlite by the schema comparison test.

create table instance (
    id bigint primary key check (id = 1),
    name text not null,
    key_check bytea not null,
    setup_code_hash text,
    setup_code_attempts bigint not null default 0,
    setup_done bigint not null default 0,
    created_at bigint not null,
    updated_at bigint not null
);

create table users (
    id text not null primary key,
    email text not null unique,
    name text not null,
    password_hash text,
    is_admin bigint not null default 0,
    state text not null check (state in ('pending', 'active', 'disabled')),
    email_notifications bigint not null default 1,
    created_at bigint not null,
    updated_at bigint not null
);

create table sessions (
    token_hash text not null primary key,
    user_id text not null references users (id),
    created_at bigint not null,
    last_seen_at bigint not null,
    expires_at bigint not null,
    ip text,
    user_agent text
);
create index sessions_user_id on sessions (user_id);

create table sign_in_throttle (
    key text not null primary key,
    failures bigint not null,
    window_start bigint not null,
    locked_until bigint
);

create table audit_log (
    seq bigint primary key,
    id text not null unique,
    at bigint not null,
    actor_type text not null,
    actor_id text,
    actor_name text not null,
    action text not null check (action <> ''),
    resource_type text not null,
    resource_id text,
    resource_name text,
    changes text not null,
    source_ip text,
    prev_hash text not null,
    hash text not null
);
create index audit_log_at on audit_log (at);

create function audit_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'the audit log is append-only';
end;
$$;
create trigger audit_log_no_change before update or delete on audit_log
for each row execute function audit_log_append_only();

create table user_log (
    id text not null primary key,
    at bigint not null,
    user_id text,
    email text,
    event text not null,
    ip text,
    user_agent text,
    detail text
);
create index user_log_at on user_log (at);

-- Access keys (machine credentials for one vault, stored only as a SHA-256 hash), the REST
-- request log (append-only, written in batches), and a flag for accounts that no person
-- signs in to (the demo-data author).

create table access_keys (
    id text not null primary key,
    vault_id text not null references vaults (id),
    name text not null,
    token_hash text not null unique,
    hint text not null,
    expires_at bigint,
    revoked_at bigint,
    revoked_by text references users (id),
    last_used_at bigint,
    created_by text not null references users (id),
    created_at bigint not null
);
create index access_keys_vault on access_keys (vault_id);

create table request_log (
    id text not null primary key,
    at bigint not null,
    method text not null,
    path text not null,
    resource_type text not null,
    status bigint not null,
    duration_us bigint not null,
    ip text,
    access_key_id text,
    public_resource text
);
create index request_log_at on request_log (at);

alter table users add column system_account bigint not null default 0;

create function request_log_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'the request log is append-only';
end;
$$;
create trigger request_log_no_change before update or delete on request_log
    for each row execute function request_log_append_only();

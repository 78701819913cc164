-- Access keys (machine credentials for one vault, stored only as a SHA-256 hash), the REST
-- request log (append-only, written in batches), and a flag for accounts that no person
-- signs in to (the demo-data author).

create table access_keys (
    id text not null primary key,
    vault_id text not null references vaults (id),
    name text not null,
    token_hash text not null unique,
    hint text not null,
    expires_at integer,
    revoked_at integer,
    revoked_by text references users (id),
    last_used_at integer,
    created_by text not null references users (id),
    created_at integer not null
);
create index access_keys_vault on access_keys (vault_id);

create table request_log (
    id text not null primary key,
    at integer not null,
    method text not null,
    path text not null,
    resource_type text not null,
    status integer not null,
    duration_us integer not null,
    ip text,
    access_key_id text,
    public_resource text
);
create index request_log_at on request_log (at);

alter table users add column system_account integer not null default 0;

create trigger request_log_no_update before update on request_log
begin select raise(abort, 'the request log is append-only'); end;
create trigger request_log_no_delete before delete on request_log
begin select raise(abort, 'the request log is append-only'); end;

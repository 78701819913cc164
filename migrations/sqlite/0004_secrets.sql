-- Secrets and their immutable versions. A version row is never updated or deleted: triggers
-- refuse both, and no code path issues either statement.

create table secrets (
    id text not null primary key,
    vault_id text not null references vaults (id),
    name text not null,
    content_type text not null default 'text/plain',
    description text not null default '',
    tags text not null default '[]',
    activation_at integer,
    expiration_at integer,
    enabled integer not null default 1,
    current_version integer not null,
    created_by text not null references users (id),
    updated_by text not null references users (id),
    created_at integer not null,
    updated_at integer not null,
    unique (vault_id, name)
);

create table secret_versions (
    secret_id text not null references secrets (id),
    version integer not null,
    ciphertext blob not null,
    note text not null default '',
    created_by text not null references users (id),
    created_at integer not null,
    primary key (secret_id, version)
);

create trigger secret_versions_no_update before update on secret_versions
begin select raise(abort, 'secret versions are immutable'); end;
create trigger secret_versions_no_delete before delete on secret_versions
begin select raise(abort, 'secret versions are immutable'); end;

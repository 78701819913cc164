-- Secrets and their immutable versions. A version row is never updated or deleted: a trigger
-- refuses both, and no code path issues either statement.

create table secrets (
    id text not null primary key,
    vault_id text not null references vaults (id),
    name text not null,
    content_type text not null default 'text/plain',
    description text not null default '',
    tags text not null default '[]',
    activation_at bigint,
    expiration_at bigint,
    enabled bigint not null default 1,
    current_version bigint not null,
    created_by text not null references users (id),
    updated_by text not null references users (id),
    created_at bigint not null,
    updated_at bigint not null,
    unique (vault_id, name)
);

create table secret_versions (
    secret_id text not null references secrets (id),
    version bigint not null,
    ciphertext bytea not null,
    note text not null default '',
    created_by text not null references users (id),
    created_at bigint not null,
    primary key (secret_id, version)
);

create function secret_versions_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'secret versions are immutable';
end;
$$;
create trigger secret_versions_no_change before update or delete on secret_versions
for each row execute function secret_versions_immutable();

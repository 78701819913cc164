-- Keys: asymmetric key pairs, generated here or uploaded. The key itself (algorithm, format,
-- origin, public half, sealed private half) never changes once written: a trigger refuses
-- it. Tags, dates, the enabled flag and public visibility are metadata (audited). A public
-- token is stored only as its SHA-256, like an access key.

create table keys (
    id text not null primary key,
    vault_id text not null references vaults (id),
    name text not null,
    algorithm text not null,
    output_format text not null,
    origin text not null,
    public_der bytea not null,
    private_sealed bytea not null,
    tags text not null default '[]',
    activation_at bigint,
    expiration_at bigint,
    enabled bigint not null default 1,
    public_token_hash text unique,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_by text not null references users (id),
    updated_at bigint not null,
    unique (vault_id, name)
);

create function keys_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'keys are immutable';
end;
$$;
create trigger keys_material_immutable before update of id, vault_id, name, algorithm, output_format, origin,
    public_der, private_sealed, created_by, created_at on keys
for each row execute function keys_immutable();
create trigger keys_no_delete before delete on keys
for each row execute function keys_immutable();

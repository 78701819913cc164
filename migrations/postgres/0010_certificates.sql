-- Certificates: an X.509 chain (public, kept as PEM, leaf first) and, when one came with it,
-- the leaf's private key sealed like a secret value. What is read from the certificate
-- (names, serial, fingerprint, validity) is stored beside it for lists and filters. Like a
-- key, a certificate never changes once written: only tags, the enabled flag and public
-- visibility do (a trigger refuses the rest).

create table certificates (
    id text not null primary key,
    vault_id text not null references vaults (id),
    name text not null,
    common_name text not null,
    subject text not null,
    issuer text not null,
    serial text not null,
    fingerprint_sha256 text not null,
    not_before bigint not null,
    not_after bigint not null,
    key_algorithm text,
    chain_length bigint not null,
    origin text not null,
    chain_pem text not null,
    private_sealed bytea,
    tags text not null default '[]',
    enabled bigint not null default 1,
    public_token_hash text unique,
    created_by text not null references users (id),
    created_at bigint not null,
    updated_by text not null references users (id),
    updated_at bigint not null,
    unique (vault_id, name)
);

create function certificates_immutable() returns trigger language plpgsql as $$
begin
    raise exception 'certificates are immutable';
end;
$$;
create trigger certificates_immutable before update of id, vault_id, name, common_name, subject, issuer, serial,
    fingerprint_sha256, not_before, not_after, key_algorithm, chain_length, origin, chain_pem, private_sealed,
    created_by, created_at on certificates
for each row execute function certificates_immutable();
create trigger certificates_no_delete before delete on certificates
for each row execute function certificates_immutable();

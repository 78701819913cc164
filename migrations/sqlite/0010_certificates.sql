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
    not_before integer not null,
    not_after integer not null,
    key_algorithm text,
    chain_length integer not null,
    origin text not null,
    chain_pem text not null,
    private_sealed blob,
    tags text not null default '[]',
    enabled integer not null default 1,
    public_token_hash text unique,
    created_by text not null references users (id),
    created_at integer not null,
    updated_by text not null references users (id),
    updated_at integer not null,
    unique (vault_id, name)
);

create trigger certificates_immutable before update of id, vault_id, name, common_name, subject, issuer, serial,
    fingerprint_sha256, not_before, not_after, key_algorithm, chain_length, origin, chain_pem, private_sealed,
    created_by, created_at on certificates
begin select raise(abort, 'certificates are immutable'); end;
create trigger certificates_no_delete before delete on certificates
begin select raise(abort, 'certificates are never deleted'); end;

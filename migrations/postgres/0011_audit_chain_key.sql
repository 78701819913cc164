-- The audit chain becomes keyed: each entry's hash is an HMAC under a chain key that is
-- stored only wrapped by the master key, so rewriting the database alone cannot produce a
-- consistent chain. Entries from `audit_keyed_from` on are MACs; the ones before it (written
-- before this migration) keep their plain SHA-256 links. The boundary is bound into the
-- wrapped key's associated data, so moving it breaks the unwrap.
alter table instance add column audit_key_wrapped bytea;
alter table instance add column audit_keyed_from bigint;

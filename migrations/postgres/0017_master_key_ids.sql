-- Which master key wrapped each vault key and the audit chain key, by the key's public id
-- (never the key): master-key rotation moves them to the current key and reports what is
-- left under each old one; a node that lacks a key says which. Null: wrapped before ids
-- were recorded (any configured key that opens it is the one, and start-up records it).
alter table vaults add column master_key_id text;
alter table instance add column audit_master_key_id text;

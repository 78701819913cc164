-- Invitation and password-reset links. A link is a bearer token shown once to the Admin who
-- made it; only its SHA-256 is stored. Single use (used_at), replaceable (voided_at when a
-- fresh link is issued or the user is disabled), and time-limited (expires_at).
-- Times are microseconds since the Unix epoch, UTC. Ids are UUID text.

create table invitations (
    id text not null primary key,
    token_hash text not null unique,
    user_id text not null references users (id),
    kind text not null check (kind in ('invitation', 'password_reset')),
    created_by text references users (id),
    created_at integer not null,
    expires_at integer not null,
    used_at integer,
    voided_at integer
);
create index invitations_user_id on invitations (user_id);

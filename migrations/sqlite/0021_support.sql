-- Support (SPEC §7): bug reports and feature requests. A ticket's description is its first
-- message; `status` is open (waiting for an Admin), answered (waiting for its author) or
-- closed. `updated_at` moves with every message and status change, so lists show the
-- liveliest first.
create table support_tickets (
    id text not null primary key,
    author_id text not null references users (id),
    kind text not null check (kind in ('bug', 'feature')),
    title text not null,
    status text not null check (status in ('open', 'answered', 'closed')),
    created_at integer not null,
    updated_at integer not null
);
create index support_tickets_author on support_tickets (author_id, updated_at);
create index support_tickets_status on support_tickets (status, updated_at);

create table support_messages (
    id text not null primary key,
    ticket_id text not null references support_tickets (id),
    author_id text not null references users (id),
    body text not null,
    created_at integer not null
);
create index support_messages_ticket on support_messages (ticket_id, created_at);

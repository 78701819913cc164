-- In-app notifications (SPEC §7) and the expiry watch's memory. A notification is one message
-- for one person (an expiry digest, a failed scheduled backup): what it says is written once,
-- `items` is the list of resources it names (JSON), `link` the page it leads to, and only
-- `read_at` ever changes. `expiry_notices` holds each threshold that fired
-- for a resource's expiration date; its key is the claim, so on shared PostgreSQL one node
-- sends each threshold once, and a new expiration date arms the thresholds again.
create table notifications (
    id text not null primary key,
    user_id text not null references users (id),
    kind text not null,
    title text not null,
    items text not null default '[]',
    link text,
    created_at bigint not null,
    read_at bigint
);
create index notifications_user_created on notifications (user_id, created_at);

create table expiry_notices (
    resource_type text not null,
    resource_id text not null,
    expiration_at bigint not null,
    threshold_days bigint not null,
    notified_at bigint not null,
    primary key (resource_type, resource_id, expiration_at, threshold_days)
);

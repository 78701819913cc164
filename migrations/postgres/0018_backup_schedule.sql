-- Scheduled backups (SPEC §6): one row, the schedule an Admin set and what its last run did.
-- `next_at` is the claim: a node runs a due backup only if it moves `next_at` on from the
-- value it read, so on shared PostgreSQL one node runs each slot, whatever the number.
create table backup_schedule (
    id bigint not null primary key check (id = 1),
    enabled bigint not null,
    frequency text not null,
    time_of_day bigint not null,
    weekday bigint not null,
    directory text not null,
    keep_last bigint,
    max_age_days bigint,
    recipient text not null,
    next_at bigint,
    updated_by text,
    updated_at bigint not null,
    last_started_at bigint,
    last_finished_at bigint,
    last_ok bigint,
    last_file text,
    last_message text
);

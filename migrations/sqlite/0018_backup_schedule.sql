-- Scheduled backups (SPEC §6): one row, the schedule an Admin set and what its last run did.
-- `next_at` is the claim: a node runs a due backup only if it moves `next_at` on from the
-- value it read, so on shared PostgreSQL one node runs each slot, whatever the number.
create table backup_schedule (
    id integer not null primary key check (id = 1),
    enabled integer not null,
    frequency text not null,
    time_of_day integer not null,
    weekday integer not null,
    directory text not null,
    keep_last integer,
    max_age_days integer,
    recipient text not null,
    next_at integer,
    updated_by text,
    updated_at integer not null,
    last_started_at integer,
    last_finished_at integer,
    last_ok integer,
    last_file text,
    last_message text
);

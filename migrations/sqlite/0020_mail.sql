-- E-mail (SPEC §7). `instance_settings` is the one row of what an Admin sets for the whole
-- instance; for now the SMTP server. Its password is sealed by the master key
-- (`smtp_password_sealed`, with the id of the key in `smtp_master_key_id`), so the database
-- alone does not reveal it. `mail_outbox` holds each message until it is delivered: the body
-- (which may carry an invitation or reset link) is sealed the same way; `claimed_until` lets
-- one node at a time try a message, `next_attempt_at` spaces the retries, and `failed_at`
-- marks one given up on, which Admins see. The five numbers are what an Admin set under
-- Settings → Instance (NULL: the server's configured default).
create table instance_settings (
    id integer not null primary key check (id = 1),
    smtp_host text not null default '',
    smtp_port integer not null default 587,
    smtp_security text not null default 'starttls',
    smtp_username text not null default '',
    smtp_password_sealed blob,
    smtp_master_key_id text,
    smtp_from text not null default '',
    session_idle_minutes integer,
    session_absolute_hours integer,
    account_failure_limit integer,
    ip_failure_limit integer,
    log_retention_days integer,
    updated_by text,
    updated_at integer not null
);

create table mail_outbox (
    id text not null primary key,
    kind text not null,
    to_address text not null,
    subject text not null,
    body_sealed blob not null,
    master_key_id text not null,
    created_at integer not null,
    attempts integer not null default 0,
    next_attempt_at integer not null,
    claimed_until integer,
    sent_at integer,
    failed_at integer,
    last_error text
);
create index mail_outbox_due on mail_outbox (sent_at, failed_at, next_attempt_at);

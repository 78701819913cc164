-- Organization: projects, memberships, vaults and restricted-vault member lists.
-- Names are unique case-insensitively through `name_key` (the lower-cased name).
-- Nothing here is ever deleted except a membership row (removing a member).

create table projects (
    id text not null primary key,
    name text not null,
    name_key text not null unique,
    description text not null default '',
    archived integer not null default 0,
    created_by text not null references users (id),
    created_at integer not null,
    updated_at integer not null
);

create table memberships (
    project_id text not null references projects (id),
    user_id text not null references users (id),
    role text not null check (role in ('project_manager', 'contributor', 'read_only')),
    created_at integer not null,
    updated_at integer not null,
    primary key (project_id, user_id)
);
create index memberships_user_id on memberships (user_id);

create table vaults (
    id text not null primary key,
    project_id text not null references projects (id),
    name text not null,
    name_key text not null,
    description text not null default '',
    restricted integer not null default 0,
    contributors_manage_keys integer not null default 0,
    wrapped_key blob not null,
    created_by text not null references users (id),
    created_at integer not null,
    updated_at integer not null,
    unique (project_id, name_key)
);

create table vault_members (
    vault_id text not null references vaults (id),
    user_id text not null references users (id),
    created_at integer not null,
    primary key (vault_id, user_id)
);
create index vault_members_user_id on vault_members (user_id);

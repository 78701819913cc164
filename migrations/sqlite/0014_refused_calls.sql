-- Credential-less calls past their address's rate are answered 429 and counted here, one row
-- per minute, address and door, instead of one log row each (see server::flood). Several
-- nodes add to the same row. Pruned with the request log.
create table refused_calls (
    minute integer not null,
    address text not null,
    door text not null,
    refused integer not null,
    primary key (minute, address, door)
);

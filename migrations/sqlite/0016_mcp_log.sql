-- The MCP log (SPEC §4, §5): one row per MCP event — a handshake, a tool call, a session's
-- end, a rejected request — with what was asked (tool, vault, resource), the outcome as the
-- REST API's status and how long it took; never an argument's value or a result. Append-only
-- like the request log, and pruned by the same retention job (rows older than a day only).
create table mcp_log (
    id text not null primary key,
    at integer not null,
    event text not null,
    session_id text,
    tool text,
    vault_id text,
    resource_type text not null,
    resource text,
    status integer not null,
    message text,
    duration_us integer not null,
    ip text,
    access_key_id text,
    public_resource text,
    request_id text
);
create index mcp_log_at_id on mcp_log (at, id);

create trigger mcp_log_no_update before update on mcp_log
begin select raise(abort, 'the MCP log is append-only'); end;
create trigger mcp_log_no_delete before delete on mcp_log
when old.at > (cast(strftime('%s', 'now') as integer) - 86400) * 1000000
begin select raise(abort, 'the MCP log is append-only'); end;

//! The four logs as Admins read them: one row type per log, the filters they share and the
//! keyset cursor that pages them newest first. Shared by the log viewer (browser) and the
//! services and CSV export (server).

use super::time::Micros;
use serde::{Deserialize, Serialize};

/// Rows per page in the viewer.
pub const PAGE_SIZE: usize = 50;
/// Longest text a filter field takes (anything longer is refused, not truncated).
pub const FILTER_MAX: usize = 200;

/// Which log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogKind {
    Audit,
    Requests,
    Users,
    Mcp,
}

impl LogKind {
    pub const ALL: [LogKind; 4] = [LogKind::Audit, LogKind::Requests, LogKind::Users, LogKind::Mcp];

    /// The name in URLs, file names and audit entries.
    pub fn as_str(self) -> &'static str {
        match self {
            LogKind::Audit => "audit",
            LogKind::Requests => "requests",
            LogKind::Users => "users",
            LogKind::Mcp => "mcp",
        }
    }

    pub fn parse(s: &str) -> Option<LogKind> {
        LogKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The tab's title.
    pub fn label(self) -> &'static str {
        match self {
            LogKind::Audit => "Audit",
            LogKind::Requests => "Requests",
            LogKind::Users => "Users",
            LogKind::Mcp => "MCP",
        }
    }

    /// What the "action" filter matches in this log.
    pub fn action_label(self) -> &'static str {
        match self {
            LogKind::Audit => "Action",
            LogKind::Requests => "Status",
            LogKind::Users => "Event",
            LogKind::Mcp => "Event or status",
        }
    }
}

/// What to show. Every field is optional; empty text means "any". Text matches are
/// case-insensitive; `action` is a prefix (`secret.` finds every secret action), `actor`,
/// `resource` and `text` match anywhere in the name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogFilter {
    /// From this time on (inclusive), microseconds UTC.
    pub from: Option<Micros>,
    /// Before this time (exclusive).
    pub to: Option<Micros>,
    /// Actor name or e-mail; for the request log, the access key's id.
    pub actor: String,
    /// Audit action, request status (`404`, or `4` for every 4xx) or user-log event.
    pub action: String,
    pub resource_type: String,
    /// A resource's id (exact) or name (anywhere in it).
    pub resource: String,
    pub ip: String,
    /// Free text on names: actor, resource, path or e-mail.
    pub text: String,
}

impl LogFilter {
    /// The filter's fields as `(name, value)` pairs, for URLs and the export's audit entry.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if let Some(t) = self.from {
            out.push(("from", t.to_string()));
        }
        if let Some(t) = self.to {
            out.push(("to", t.to_string()));
        }
        for (name, value) in [
            ("actor", &self.actor),
            ("action", &self.action),
            ("resource_type", &self.resource_type),
            ("resource", &self.resource),
            ("ip", &self.ip),
            ("text", &self.text),
        ] {
            if !value.trim().is_empty() {
                out.push((name, value.trim().to_owned()));
            }
        }
        out
    }

    /// True when nothing narrows the log.
    pub fn is_empty(&self) -> bool {
        self.pairs().is_empty()
    }
}

/// One changed field of an audit entry (values only where they may be shown).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct FieldChange {
    pub field: String,
    #[serde(default)]
    pub old: Option<String>,
    #[serde(default)]
    pub new: Option<String>,
}

/// JSON (the stored entry, the CSV export) leaves out an absent side; compact formats write
/// every field.
impl Serialize for FieldChange {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = super::OptionalFields::start(s, "FieldChange", 3)?;
        st.field("field", &self.field)?;
        st.optional("old", &self.old)?;
        st.optional("new", &self.new)?;
        st.end()
    }
}

/// An audit-log entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRow {
    pub seq: i64,
    pub id: String,
    pub at: Micros,
    /// `user`, `access_key`, `anonymous` or `system`.
    pub actor_type: String,
    pub actor_id: Option<String>,
    pub actor_name: String,
    pub action: String,
    pub resource_type: String,
    pub resource_id: Option<String>,
    pub resource_name: Option<String>,
    pub changes: Vec<FieldChange>,
    pub source_ip: Option<String>,
    pub request_id: Option<String>,
}

/// Calls from one address through one door (`api`, `sign_in`) in one minute that were past
/// the address's rate: answered 429 and only counted here, not logged one by one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusedRow {
    /// The minute's start.
    pub minute: Micros,
    pub address: String,
    pub door: String,
    pub refused: i64,
}

/// How far back the viewer shows refused-call counts.
pub const REFUSED_SHOWN: Micros = 24 * 3_600_000_000;

/// A REST call as the request log holds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRow {
    pub id: String,
    pub at: Micros,
    pub method: String,
    /// The route's template (`/api/v1/vaults/{vault_id}`), never a value.
    pub path: String,
    pub resource_type: String,
    pub status: i64,
    pub duration_us: i64,
    pub ip: Option<String>,
    pub access_key_id: Option<String>,
    /// The resource whose public token was used.
    pub public_resource: Option<String>,
    pub request_id: Option<String>,
}

/// An MCP event as the MCP log holds it: what was asked and how it ended, never an
/// argument's value or a result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpRow {
    pub id: String,
    pub at: Micros,
    /// `handshake`, `tool_call`, `session_end` or `rejected`.
    pub event: String,
    pub session_id: Option<String>,
    pub tool: Option<String>,
    pub vault_id: Option<String>,
    pub resource_type: String,
    /// The secret's name or the key's or certificate's id that was asked for.
    pub resource: Option<String>,
    /// The REST API's status for the same outcome (200, 401, 404, 410…).
    pub status: i64,
    /// Why it failed, in Secryn's own words (never input echoed back).
    pub message: Option<String>,
    pub duration_us: i64,
    pub ip: Option<String>,
    pub access_key_id: Option<String>,
    /// The resource whose public token was used.
    pub public_resource: Option<String>,
    pub request_id: Option<String>,
}

/// A user-log line: sign-ins, sign-outs, session ends, denied actions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLogRow {
    pub id: String,
    pub at: Micros,
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub event: String,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub detail: Option<String>,
    pub request_id: Option<String>,
}

/// One page of a log, newest first, and where the next (older) page starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPage<T> {
    pub rows: Vec<T>,
    /// Opaque; `None` on the last page.
    pub next: Option<String>,
}

/// The verifier's answer, as the Admin page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainReport {
    /// Entries that held.
    pub checked: u64,
    /// `None` when intact; else what is wrong with the first broken entry.
    pub broken: Option<String>,
}

impl ChainReport {
    /// "intact, N entries" or the first broken link.
    pub fn summary(&self) -> String {
        match &self.broken {
            None => format!("intact, {} entries", self.checked),
            Some(why) => format!("broken after {} intact entries: {why}", self.checked),
        }
    }
}

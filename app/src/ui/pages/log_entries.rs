//! The rows of Admin → Logs, whichever log they come from: one row type over the four logs,
//! one table and one detail sheet for all of them (a single generic view keeps the browser
//! bundle small), and times shown in the viewer's own zone.

use crate::domain::logs::{AuditRow, FieldChange, LogKind, McpRow, RequestRow, UserLogRow};
use crate::domain::time::{Micros, rfc3339};
use crate::ui::components::dialog::Sheet;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// A row of any log, so the table and the detail sheet are written once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogRow {
    Audit(AuditRow),
    Request(RequestRow),
    User(UserLogRow),
    Mcp(McpRow),
}

/// The table's columns after "Time", per log.
pub fn columns(kind: LogKind) -> &'static [&'static str] {
    match kind {
        LogKind::Audit => &["Actor", "Action", "Resource", "IP"],
        LogKind::Requests => &["Method", "Path", "Status", "Duration (ms)", "IP", "Access key / public resource"],
        LogKind::Users => &["E-mail", "Event", "IP", "Detail"],
        LogKind::Mcp => &["Event", "Tool", "Resource", "Status", "IP", "Access key / public resource"],
    }
}

/// "—" for a value that is not there, so an empty cell reads as "none", not as "not loaded".
fn or_dash(v: &Option<String>) -> String {
    v.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "—".to_owned())
}

/// Which credential a machine call carried: the access key's id, or the resource whose public
/// token it was.
fn credential(key: &Option<String>, public: &Option<String>) -> String {
    match (key, public) {
        (Some(k), _) if !k.is_empty() => k.clone(),
        (_, Some(p)) if !p.is_empty() => format!("public: {p}"),
        _ => "—".to_owned(),
    }
}

/// Microseconds as milliseconds with one decimal (`12.3`), without float formatting.
fn millis(us: i64) -> String {
    let us = us.max(0);
    format!("{}.{}", us / 1000, (us % 1000) / 100)
}

impl LogRow {
    /// When it happened.
    pub fn at(&self) -> Micros {
        match self {
            LogRow::Audit(r) => r.at,
            LogRow::Request(r) => r.at,
            LogRow::User(r) => r.at,
            LogRow::Mcp(r) => r.at,
        }
    }

    /// The cells after the time, in the order of [`columns`].
    pub fn cells(&self) -> Vec<String> {
        match self {
            LogRow::Audit(r) => {
                let resource = match r.resource_name.as_deref().filter(|n| !n.is_empty()) {
                    Some(name) => format!("{} · {name}", r.resource_type),
                    None => r.resource_type.clone(),
                };
                vec![r.actor_name.clone(), r.action.clone(), resource, or_dash(&r.source_ip)]
            }
            LogRow::Request(r) => {
                let who = credential(&r.access_key_id, &r.public_resource);
                vec![r.method.clone(), r.path.clone(), r.status.to_string(), millis(r.duration_us), or_dash(&r.ip), who]
            }
            LogRow::User(r) => vec![or_dash(&r.email), r.event.clone(), or_dash(&r.ip), or_dash(&r.detail)],
            LogRow::Mcp(r) => {
                let resource = match r.resource.as_deref().filter(|n| !n.is_empty()) {
                    Some(name) => format!("{} · {name}", r.resource_type),
                    None if r.resource_type == "none" => "—".to_owned(),
                    None => r.resource_type.clone(),
                };
                vec![
                    r.event.clone(),
                    or_dash(&r.tool),
                    resource,
                    r.status.to_string(),
                    or_dash(&r.ip),
                    credential(&r.access_key_id, &r.public_resource),
                ]
            }
        }
    }

    /// A few words naming the entry, for its Details button as read aloud.
    fn summary(&self) -> String {
        let c = self.cells();
        let pick = |i: usize| c.get(i).cloned().unwrap_or_default();
        match self {
            LogRow::Audit(_) => format!("{} {}", pick(1), pick(2)),
            LogRow::Request(_) => format!("{} {} {}", pick(0), pick(1), pick(2)),
            LogRow::User(_) => format!("{} {}", pick(1), pick(0)),
            LogRow::Mcp(_) => format!("{} {} {}", pick(0), pick(1), pick(3)),
        }
    }

    /// Every field, labelled, for the detail sheet (the time is shown apart).
    fn details(&self) -> Vec<(&'static str, String)> {
        match self {
            LogRow::Audit(r) => vec![
                ("Sequence", r.seq.to_string()),
                ("Entry id", r.id.clone()),
                ("Actor", r.actor_name.clone()),
                ("Actor type", r.actor_type.clone()),
                ("Actor id", or_dash(&r.actor_id)),
                ("Action", r.action.clone()),
                ("Resource type", r.resource_type.clone()),
                ("Resource id", or_dash(&r.resource_id)),
                ("Resource name", or_dash(&r.resource_name)),
                ("Source IP", or_dash(&r.source_ip)),
                ("Request id", or_dash(&r.request_id)),
            ],
            LogRow::Request(r) => vec![
                ("Record id", r.id.clone()),
                ("Method", r.method.clone()),
                ("Path", r.path.clone()),
                ("Resource type", r.resource_type.clone()),
                ("Status", r.status.to_string()),
                ("Duration (ms)", millis(r.duration_us)),
                ("IP", or_dash(&r.ip)),
                ("Access key id", or_dash(&r.access_key_id)),
                ("Public resource", or_dash(&r.public_resource)),
                ("Request id", or_dash(&r.request_id)),
            ],
            LogRow::User(r) => vec![
                ("Line id", r.id.clone()),
                ("E-mail", or_dash(&r.email)),
                ("User id", or_dash(&r.user_id)),
                ("Event", r.event.clone()),
                ("IP", or_dash(&r.ip)),
                ("Browser", or_dash(&r.user_agent)),
                ("Detail", or_dash(&r.detail)),
                ("Request id", or_dash(&r.request_id)),
            ],
            LogRow::Mcp(r) => vec![
                ("Record id", r.id.clone()),
                ("Event", r.event.clone()),
                ("Session id", or_dash(&r.session_id)),
                ("Tool", or_dash(&r.tool)),
                ("Vault id", or_dash(&r.vault_id)),
                ("Resource type", r.resource_type.clone()),
                ("Resource", or_dash(&r.resource)),
                ("Status", r.status.to_string()),
                ("Message", or_dash(&r.message)),
                ("Duration (ms)", millis(r.duration_us)),
                ("IP", or_dash(&r.ip)),
                ("Access key id", or_dash(&r.access_key_id)),
                ("Public resource", or_dash(&r.public_resource)),
                ("Request id", or_dash(&r.request_id)),
            ],
        }
    }

    fn changes(&self) -> &[FieldChange] {
        match self {
            LogRow::Audit(r) => &r.changes,
            _ => &[],
        }
    }
}

/// A time as the server renders it: UTC to the second (`2027-02-11 22:26:03 UTC`).
fn utc_text(t: Micros) -> String {
    chrono::DateTime::<chrono::Utc>::from_timestamp_micros(t)
        .map(|d| d.format("%Y-%m-%d %H:%M:%S UTC").to_string())
        .unwrap_or_default()
}

/// Minutes the viewer's zone is ahead of UTC at `t` (`60` in Paris in winter); `None` on the
/// server, which does not know the viewer's zone.
pub fn zone_offset(t: Micros) -> Option<i64> {
    #[cfg(feature = "hydrate")]
    {
        let date = web_sys::js_sys::Date::new(&wasm_bindgen::JsValue::from_f64((t / 1000) as f64));
        let west = date.get_timezone_offset();
        if west.is_finite() {
            return Some(-(west as i64));
        }
    }
    let _ = t;
    None
}

/// `UTC+01:00` for an offset in minutes.
pub fn zone_name(minutes: i64) -> String {
    let sign = if minutes < 0 { '-' } else { '+' };
    let m = minutes.abs();
    format!("UTC{sign}{:02}:{:02}", m / 60, m % 60)
}

/// A time in the viewer's zone (`2027-02-11 23:26:03`) once `local` is on, else in UTC.
fn time_text(t: Micros, local: bool) -> String {
    if local
        && let Some(offset) = zone_offset(t)
        && let Some(d) = chrono::DateTime::<chrono::Utc>::from_timestamp_micros(t)
        && let Some(shifted) = chrono::TimeDelta::try_minutes(offset).and_then(|o| d.checked_add_signed(o))
    {
        return shifted.format("%Y-%m-%d %H:%M:%S").to_string();
    }
    utc_text(t)
}

/// A `<time>` whose `datetime` is the UTC instant. The server writes UTC text; once the page
/// is interactive (`local` turns on) the text becomes the viewer's local time. The first
/// browser render matches the server's, so hydration sees the same text.
#[component]
pub fn LogTime(t: Micros, local: Signal<bool>) -> impl IntoView {
    view! { <time datetime=rfc3339(t) title=utc_text(t)>{move || time_text(t, local.get())}</time> }
}

/// The table of one page of a log, newest first, each row with a button that opens the
/// entry's every field in a sheet.
#[component]
pub fn LogTable(kind: LogKind, rows: Vec<LogRow>, local: Signal<bool>) -> impl IntoView {
    let open = RwSignal::new(false);
    let selected = RwSignal::new(None::<LogRow>);
    let cols = columns(kind);
    let head = cols.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view();
    let body = rows
        .into_iter()
        .map(|row| {
            let at = row.at();
            let label = format!("Details: {} at {}", row.summary(), utc_text(at));
            let cells = row
                .cells()
                .into_iter()
                .zip(cols.iter())
                .map(|(text, col)| {
                    // Short words (events, tools, statuses) stay whole; ids, addresses and paths
                    // may break anywhere so the table fits.
                    let class = if text.chars().count() > 18 { "wrap-anywhere" } else { "nowrap" };
                    view! { <td data-label=*col class=class>{text}</td> }
                })
                .collect_view();
            view! {
                <tr>
                    <td data-label="Time" class="nowrap"><LogTime t=at local /></td>
                    {cells}
                    <td class="actions">
                        <button class="button" type="button" aria-label=label aria-haspopup="dialog" on:click=move |_| {
                            selected.set(Some(row.clone()));
                            open.set(true);
                        }>
                            "Details"
                        </button>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let title = match kind {
        LogKind::Audit => "Audit entry",
        LogKind::Requests => "Request",
        LogKind::Users => "User-log entry",
        LogKind::Mcp => "MCP event",
    };
    view! {
        <div class="table-wrap">
            <table class="data stack-on-mobile log-table" data-log=kind.as_str()>
                <thead>
                    <tr>
                        <th scope="col">"Time"</th>
                        {head}
                        <th scope="col"><span class="sr-only">"Details"</span></th>
                    </tr>
                </thead>
                <tbody>{body}</tbody>
            </table>
        </div>
        <Sheet open title=title.to_owned() id="log-entry">
            {move || selected.get().map(|row| view! { <EntryDetail row local /> })}
        </Sheet>
    }
}

/// Everything an entry holds; for audit entries the changed fields as field / old / new.
#[component]
fn EntryDetail(row: LogRow, local: Signal<bool>) -> impl IntoView {
    let at = row.at();
    let facts = row.details().into_iter().map(|(term, value)| view! { <dt>{term}</dt><dd>{value}</dd> }).collect_view();
    let changes = row.changes().to_vec();
    let changes = (!changes.is_empty()).then(|| {
        let lines = changes
            .into_iter()
            .map(|c| {
                // Neither side: the field changed but its values are never logged (a secret's value).
                let (old, new) = if c.old.is_none() && c.new.is_none() {
                    ("—".to_owned(), "changed (not shown)".to_owned())
                } else {
                    (or_dash(&c.old), or_dash(&c.new))
                };
                view! {
                    <tr>
                        <td data-label="Field" class="wrap-anywhere">{c.field}</td>
                        <td data-label="Old" class="wrap-anywhere">{old}</td>
                        <td data-label="New" class="wrap-anywhere">{new}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <h3 class="log-changes-title">"Changed fields"</h3>
            <div class="table-wrap">
                <table class="data stack-on-mobile log-changes">
                    <thead><tr><th scope="col">"Field"</th><th scope="col">"Old"</th><th scope="col">"New"</th></tr></thead>
                    <tbody>{lines}</tbody>
                </table>
            </div>
        }
    });
    view! {
        <dl class="facts log-facts">
            <dt>"Time"</dt>
            <dd><LogTime t=at local /> <span class="muted small">" (" {utc_text(at)} ")"</span></dd>
            {facts}
        </dl>
        {changes}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milliseconds_and_zones_read_as_people_write_them() {
        assert_eq!(millis(12_345), "12.3");
        assert_eq!(millis(-5), "0.0");
        assert_eq!(zone_name(60), "UTC+01:00");
        assert_eq!(zone_name(-330), "UTC-05:30");
        assert_eq!(utc_text(1_802_384_763_000_000), "2027-02-11 22:26:03 UTC");
        // On the server there is no viewer's zone: UTC stays.
        assert_eq!(time_text(1_802_384_763_000_000, true), "2027-02-11 22:26:03 UTC");
    }
}

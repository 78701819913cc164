//! Admin → Logs: the audit log, the request log, the user log and the MCP log, one tab each. What is shown
//! lives in the URL (filters and the page's cursor), so a filtered view can be linked and the
//! page works without JavaScript: the filters are a plain GET form, "Older →" and "Newest" are
//! links, and "Export CSV" is a link carrying the same filter.
//!
//! Times in the filter: the viewer types local time into `datetime-local` fields, and the form
//! also sends `tz`, the browser's offset from UTC in minutes (east positive, `60` in Paris in
//! winter). The page turns `from`/`to` into UTC microseconds as `local - tz`. Without
//! JavaScript `tz` is empty and the times are read as UTC (the page says so). The offset is the
//! browser's offset now, for both ends: a range that crosses a daylight-saving change is off
//! by that hour at the far end. `tz` stays in the URL, so a linked view means the same
//! instants for whoever opens it.

use crate::api::logs::{
    VerifyAuditChain, audit_log_page, mcp_log_page, refused_counts, request_log_page, user_log_page,
};
use crate::domain::AppError;
use crate::domain::logs::{FILTER_MAX, LogFilter, LogKind, LogPage, RefusedRow};
use crate::domain::time::Micros;
use crate::ui::components::action::FormAction;
use crate::ui::components::form::{Field, FormError};
use crate::ui::components::tabs::TabBar;
use crate::ui::layout::{Breadcrumbs, use_user};
use crate::ui::pages::log_entries::{LogRow, LogTable, LogTime, zone_name, zone_offset};
use crate::ui::pages::not_found::NotFound;
use crate::wire;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::{use_location, use_query_map};
use leptos_router::params::ParamsMap;

/// The text filter fields, in the URL and in [`LogFilter`].
const TEXT_FIELDS: [&str; 6] = ["actor", "action", "resource_type", "resource", "ip", "text"];

/// A log tab's path.
fn tab_path(kind: LogKind) -> String {
    format!("/admin/logs/{}", kind.as_str())
}

/// What the URL asks for, as typed (times in the viewer's zone, see the module's comment).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Query {
    from: String,
    to: String,
    tz: String,
    /// `TEXT_FIELDS`, in that order.
    text: [String; 6],
    cursor: Option<String>,
}

impl Query {
    fn read(p: &ParamsMap) -> Self {
        let get = |k: &str| p.get(k).unwrap_or_default();
        Query {
            from: get("from"),
            to: get("to"),
            tz: get("tz"),
            text: TEXT_FIELDS.map(get),
            cursor: p.get("cursor").filter(|c| !c.is_empty()),
        }
    }

    fn value(&self, name: &str) -> String {
        TEXT_FIELDS.iter().position(|f| *f == name).and_then(|i| self.text.get(i)).cloned().unwrap_or_default()
    }

    /// This tab's link with the same filter (empty fields left out) and `cursor` when given.
    fn href(&self, kind: LogKind, cursor: Option<&str>) -> String {
        let times = [("from", self.from.as_str()), ("to", self.to.as_str()), ("tz", self.tz.as_str())];
        let texts = TEXT_FIELDS.iter().zip(&self.text).map(|(n, v)| (*n, v.as_str()));
        let pairs = times.into_iter().chain(texts).chain(cursor.map(|c| ("cursor", c)));
        format!("{}{}", tab_path(kind), query_string(pairs))
    }

    /// The filter the server takes; a time that cannot be read is refused beside its field.
    fn filter(&self) -> Result<LogFilter, AppError> {
        let tz = match self.tz.trim() {
            "" => 0,
            t => t.parse::<i64>().ok().filter(|m| m.abs() <= 18 * 60).ok_or_else(|| {
                AppError::validation("from", "The time zone in this link is not valid; clear the filters.")
            })?,
        };
        let [actor, action, resource_type, resource, ip, text] = self.text.clone();
        Ok(LogFilter {
            from: instant("from", &self.from, tz)?,
            to: instant("to", &self.to, tz)?,
            actor,
            action,
            resource_type,
            resource,
            ip,
            text,
        })
    }
}

/// A `datetime-local` value in a zone `tz` minutes east of UTC, as microseconds UTC.
fn instant(field: &str, raw: &str, tz: i64) -> Result<Option<Micros>, AppError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Ok(None);
    }
    let bad = || AppError::validation(field, "Enter a date and time, like 2027-02-11T09:30.");
    let local = chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .map_err(|_| bad())?;
    let utc = chrono::TimeDelta::try_minutes(tz).and_then(|d| local.checked_sub_signed(d)).ok_or_else(bad)?;
    Ok(Some(utc.and_utc().timestamp_micros()))
}

/// One page of `kind` for the URL's query, as generic rows.
async fn load(kind: LogKind, q: Query) -> Result<LogPage<LogRow>, AppError> {
    let f = q.filter()?;
    let c = q.cursor;
    Ok(match kind {
        LogKind::Audit => rows(audit_log_page(f, c).await?, LogRow::Audit),
        LogKind::Requests => rows(request_log_page(f, c).await?, LogRow::Request),
        LogKind::Users => rows(user_log_page(f, c).await?, LogRow::User),
        LogKind::Mcp => rows(mcp_log_page(f, c).await?, LogRow::Mcp),
    })
}

/// `?a=1&b=2` from the pairs whose value is not empty; `""` when none is left. The encoding is
/// written here, not the router's, so the server and the browser make the very same link.
fn query_string<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (name, value) in pairs.filter(|(_, v)| !v.is_empty()) {
        out.push(if out.is_empty() { '?' } else { '&' });
        out.push_str(name);
        out.push('=');
        for b in value.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                out.push(char::from(b));
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

fn rows<T>(page: LogPage<T>, wrap: fn(T) -> LogRow) -> LogPage<LogRow> {
    LogPage { rows: page.rows.into_iter().map(wrap).collect(), next: page.next }
}

/// Now, in the browser (where the viewer's zone is asked for); 0 on the server, which never
/// asks.
fn now() -> Micros {
    #[cfg(feature = "hydrate")]
    {
        (web_sys::js_sys::Date::now() as i64).saturating_mul(1000)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        0
    }
}

/// `/admin/logs`: the Audit tab, keeping any filter in the URL.
#[component]
pub fn LogsHome() -> impl IntoView {
    let search = use_location().search.get_untracked();
    let query = if search.is_empty() { String::new() } else { format!("?{search}") };
    view! { <Redirect path=format!("{}{query}", tab_path(LogKind::Audit)) /> }
}

/// One log's tab (Admins only; anyone else gets the 404 page, and the server refuses them
/// the data too).
#[component]
pub fn LogsPage(kind: LogKind) -> impl IntoView {
    if !use_user().is_some_and(|u| u.is_admin) {
        return view! { <NotFound /> }.into_any();
    }
    let query = use_query_map();
    let wanted = Memo::new(move |_| query.with(Query::read));
    // Made outside any Suspense so server and browser line up (see `VaultPage`).
    let page = wire::resource(move || wanted.get(), move |q| load(kind, q));
    // After hydration: times in the viewer's zone, and the form sends their offset.
    let local = RwSignal::new(false);
    let tz = RwSignal::new(wanted.with_untracked(|q| q.tz.clone()));
    Effect::new(move |_| {
        if let Some(m) = zone_offset(now()) {
            tz.set(m.to_string());
            local.set(true);
        }
    });
    let zone = move || match local.get().then(|| zone_offset(now())).flatten() {
        Some(m) => format!("Times are in your time zone ({}).", zone_name(m)),
        None => "Times are in UTC.".to_owned(),
    };
    let tabs = LogKind::ALL.into_iter().map(|k| (suffix(k), k.label())).collect();
    let title = match kind {
        LogKind::Audit => "Audit log",
        LogKind::Requests => "Request log",
        LogKind::Users => "User log",
        LogKind::Mcp => "MCP log",
    };
    view! {
        <Title text=title />
        <div class="page logs-page">
            <Breadcrumbs trail=vec![("Logs".to_owned(), "/admin/logs".to_owned())] current=title.to_owned() />
            <div class="page-head"><h1>"Logs"</h1></div>
            <p class="muted">{intro(kind)}</p>
            <TabBar label="Logs" base="/admin/logs".to_owned() tabs />
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let q = wanted.get_untracked();
                    let result = page.await;
                    view! { <LogBody kind q result tz local=local.into() zone=Signal::derive(zone) /> }
                })}
            </Transition>
            {(kind == LogKind::Requests).then(|| view! { <RefusedCounts local=local.into() /> })}
        </div>
    }
    .into_any()
}

/// The request tab's last day of calls refused past their address's rate: answered 429 and
/// counted per minute instead of logged one by one (see the server's `flood`).
#[component]
fn RefusedCounts(local: Signal<bool>) -> impl IntoView {
    let counts = wire::resource(|| (), |_| refused_counts());
    let rows = move |rows: Vec<RefusedRow>| {
        rows.into_iter()
            .map(|r| {
                let door = if r.door == "sign_in" { "Sign-in" } else { "API" };
                view! {
                    <tr>
                        <td data-label="Minute" class="nowrap"><LogTime t=r.minute local /></td>
                        <td data-label="Address" class="wrap-anywhere">{r.address}</td>
                        <td data-label="Door">{door}</td>
                        <td data-label="Refused">{r.refused}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <section class="refused-counts" aria-labelledby="refused-title">
            <h2 id="refused-title">"Refused and only counted"</h2>
            <p class="muted">
                "Calls without a credential past their address's rate are answered 429 and counted here, one line per address and minute, instead of one log entry each. Last 24 hours."
            </p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match counts.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" data-empty="refused">"No address went past its rate in the last 24 hours."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="data stack-on-mobile" data-log="refused">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Minute"</th>
                                            <th scope="col">"Address"</th>
                                            <th scope="col">"Door"</th>
                                            <th scope="col">"Refused"</th>
                                        </tr>
                                    </thead>
                                    <tbody>{rows(list)}</tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(e) => view! { <p class="form-error">{e.message}</p> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn suffix(kind: LogKind) -> &'static str {
    match kind {
        LogKind::Audit => "/audit",
        LogKind::Requests => "/requests",
        LogKind::Users => "/users",
        LogKind::Mcp => "/mcp",
    }
}

fn intro(kind: LogKind) -> &'static str {
    match kind {
        LogKind::Audit => "Every change and sensitive read, chained so that tampering shows. Newest first.",
        LogKind::Requests => "Every call to the REST API: route, status, time taken and who called. Newest first.",
        LogKind::Users => "Sign-ins and failures, sign-outs, ended sessions and denied actions. Newest first.",
        LogKind::Mcp => {
            "Every MCP event: handshakes, tool calls and their outcome, ended sessions and refused requests. \
                         Never a value. Newest first."
        }
    }
}

/// Per log: label and hint of each text filter shown (`None`: the log has no such field).
fn text_fields(kind: LogKind) -> [(&'static str, Option<(&'static str, &'static str)>); 6] {
    let action = (
        kind.action_label(),
        match kind {
            LogKind::Audit => "The start of it, like secret.",
            LogKind::Requests => "404, or 4 for every 4xx",
            LogKind::Users => "The start of it, like sign_in",
            LogKind::Mcp => "tool_call, rejected, or a status like 401",
        },
    );
    match kind {
        LogKind::Audit => [
            ("actor", Some(("Actor", "Name, e-mail or id"))),
            ("action", Some(action)),
            ("resource_type", Some(("Resource type", "Exactly, like secret"))),
            ("resource", Some(("Resource", "Its id, or part of its name"))),
            ("ip", Some(("IP", "The start of the address"))),
            ("text", Some(("Text", "In actor or resource names"))),
        ],
        LogKind::Requests => [
            ("actor", Some(("Access key", "The start of its id"))),
            ("action", Some(action)),
            ("resource_type", Some(("Resource type", "Exactly, like secret"))),
            ("resource", Some(("Resource", "Public resource id, or part of the path"))),
            ("ip", Some(("IP", "The start of the address"))),
            ("text", Some(("Text", "In the path or method"))),
        ],
        LogKind::Users => [
            ("actor", Some(("User", "E-mail or user id"))),
            ("action", Some(action)),
            ("resource_type", None),
            ("resource", None),
            ("ip", Some(("IP", "The start of the address"))),
            ("text", Some(("Text", "In e-mail, detail or browser"))),
        ],
        LogKind::Mcp => [
            ("actor", Some(("Access key", "The start of its id"))),
            ("action", Some(action)),
            ("resource_type", Some(("Resource type", "Exactly, like secret"))),
            ("resource", Some(("Resource", "Vault id, or part of a secret's name"))),
            ("ip", Some(("IP", "The start of the address"))),
            ("text", Some(("Text", "In tool, resource, session or message"))),
        ],
    }
}

/// The filters, the actions and the page of rows (or why there are none).
#[component]
fn LogBody(
    kind: LogKind,
    q: Query,
    result: Result<LogPage<LogRow>, AppError>,
    tz: RwSignal<String>,
    local: Signal<bool>,
    zone: Signal<String>,
) -> impl IntoView {
    let fields = text_fields(kind);
    // A refusal naming a field shown here goes beside it; any other is a banner.
    let error = result.as_ref().err().cloned();
    let beside = error
        .as_ref()
        .and_then(|e| e.field.as_deref())
        .is_some_and(|f| f == "from" || f == "to" || fields.iter().any(|(name, shown)| *name == f && shown.is_some()));
    let field_errors = Signal::stored(error.clone().filter(|_| beside));
    let banner = Signal::stored(error.filter(|_| !beside).map(|mut e| {
        e.field = None;
        e
    }));
    let inputs = fields
        .into_iter()
        .filter_map(|(name, shown)| shown.map(|(label, hint)| (name, label, hint)))
        .map(|(name, label, hint)| {
            view! { <Field label name errors=field_errors maxlength=FILTER_MAX hint value=q.value(name) /> }
        })
        .collect_view();
    // Export only what the server accepted: a refused filter would refuse the file too.
    let filter = q.filter().ok().filter(|_| result.is_ok());
    let filtered = filter.as_ref().is_some_and(|f| !f.is_empty());
    let export = filter.map(|f| {
        let pairs = f.pairs();
        let query = query_string(pairs.iter().map(|(n, v)| (*n, v.as_str())));
        format!("/admin/logs/{}/export.csv{query}", kind.as_str())
    });
    let (path, clear) = (tab_path(kind), tab_path(kind));
    let page = result.ok();
    let newest = q.cursor.is_some().then(|| q.href(kind, None));
    let older = page.as_ref().and_then(|p| p.next.as_deref()).map(|c| q.href(kind, Some(c)));
    let table = page.map(|p| {
        if p.rows.is_empty() {
            let (title, hint) = if filtered || q.cursor.is_some() {
                ("Nothing matches these filters", "Widen the time range or clear a filter.")
            } else {
                ("Nothing logged yet", "Entries appear here as people and machines use Secryn.")
            };
            view! {
                <div class="empty-state" data-empty="log">
                    <p class="empty-title">{title}</p>
                    <p class="muted">{hint}</p>
                </div>
            }
            .into_any()
        } else {
            view! { <LogTable kind rows=p.rows local /> }.into_any()
        }
    });
    view! {
        <form method="get" action=path class="panel log-filters" role="search" aria-label="Filter the log" novalidate>
            <div class="log-filter-grid">
                <Field label="From" name="from" kind="datetime-local" errors=field_errors value=q.from.clone() />
                <Field label="To" name="to" kind="datetime-local" errors=field_errors value=q.to.clone() />
                {inputs}
            </div>
            <input type="hidden" name="tz" value=move || tz.get() />
            <p class="hint">{move || zone.get()}</p>
            <div class="button-row">
                <button class="button primary" type="submit">"Apply"</button>
                <a class="button" href=clear>"Clear"</a>
            </div>
        </form>
        <FormError errors=banner />
        <div class="log-actions button-row">
            {export.map(|href| view! { <a class="button" href=href download>"Export CSV"</a> })}
            {(kind == LogKind::Audit).then(|| view! { <VerifyChain /> })}
        </div>
        {table}
        <nav class="pager" aria-label="Pages of the log">
            {newest.map(|href| view! { <a class="button" href=href>"Newest"</a> })}
            {older.map(|href| view! { <a class="button" href=href>"Older →"</a> })}
        </nav>
    }
}

/// "Verify chain": walks the whole audit chain on the server and says whether it held.
#[component]
fn VerifyChain() -> impl IntoView {
    let verify = FormAction::<VerifyAuditChain>::new();
    let outcome = move || {
        verify.value().get().map(|r| match r {
            Ok(report) if report.broken.is_none() => {
                view! { <p class="notice ok">{format!("Audit chain {}.", report.summary())}</p> }.into_any()
            }
            Ok(report) => view! { <p class="form-error">{format!("Audit chain {}.", report.summary())}</p> }.into_any(),
            Err(e) => view! { <p class="form-error">{e.message}</p> }.into_any(),
        })
    };
    view! {
        <button class="button" type="button" disabled=move || verify.pending().get() on:click=move |_| {
            verify.call(VerifyAuditChain {});
        }>
            "Verify chain"
        </button>
        <div id="chain-status" class="chain-status" role="status" aria-live="polite">{outcome}</div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&'static str, &str)]) -> Query {
        Query::read(&pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
    }

    #[test]
    fn local_times_become_utc_with_the_browsers_offset() {
        let q = query(&[("from", "2027-02-11T23:26"), ("tz", "60"), ("resource", " API_KEY ")]);
        let f = q.filter().unwrap();
        assert_eq!(f.from, Some(1_802_384_760_000_000));
        assert_eq!(f.to, None);
        assert_eq!(f.resource, " API_KEY ");
        // Without JavaScript there is no offset: the time is UTC.
        assert_eq!(query(&[("to", "2027-02-11T22:26")]).filter().unwrap().to, Some(1_802_384_760_000_000));
    }

    #[test]
    fn unreadable_input_is_refused_beside_its_field_never_a_panic() {
        assert_eq!(query(&[("to", "yesterday")]).filter().unwrap_err().field.as_deref(), Some("to"));
        assert_eq!(
            query(&[("from", "2027-02-11T22:26"), ("tz", "99999999999")]).filter().unwrap_err().field.as_deref(),
            Some("from")
        );
        assert!(query(&[("from", "+262143-12-31T23:59"), ("tz", "-600")]).filter().is_err());
    }

    #[test]
    fn links_keep_the_filter_and_move_the_cursor() {
        let q = query(&[("actor", "a b&c"), ("from", "2027-02-11T22:26"), ("cursor", "77")]);
        assert_eq!(q.href(LogKind::Audit, None), "/admin/logs/audit?from=2027-02-11T22%3A26&actor=a%20b%26c");
        assert_eq!(
            q.href(LogKind::Users, Some("12:x")),
            "/admin/logs/users?from=2027-02-11T22%3A26&actor=a%20b%26c&cursor=12%3Ax"
        );
    }
}

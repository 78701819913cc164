//! The log viewer's service on both engines: keyset pages that neither skip nor repeat,
//! filters (wildcards in the text are literal), Admins only, and CSV exports that parse back
//! (with an independent CSV reader) into exactly the filtered rows, formula cells disarmed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::ErrorCode;
use app::domain::logs::{AuditRow, LogFilter, LogKind, PAGE_SIZE};
use app::domain::time::rfc3339;
use app::server::audit::{self, Actor, Change, Entry};
use app::server::request_log::{Logged, McpRecord, Record};
use app::server::services::logs;
use app::server::{AppState, Caller, clock};
use std::collections::BTreeSet;

/// Awkward names: separators, quotes, line breaks, wildcards and a formula.
const NAMES: [&str; 6] = ["plain", "with,comma", "say \"hi\"", "two\nlines", "100%_off", "=HYPERLINK(\"x\")"];

async fn world(state: &AppState) -> (Caller, Caller) {
    let admin = testkit::person(state, "admin@example.com", true).await;
    let other = testkit::person(state, "member@example.com", false).await;
    (admin, other)
}

/// 130 audit entries about resources named after `NAMES` (the last 10 name "100%_off").
async fn entries(state: &AppState, admin: &Caller) {
    let actor = Actor::User { id: admin.user().id, name: "Admin".into() };
    for i in 0..130 {
        let name = if i >= 120 { NAMES[4] } else { NAMES[i % NAMES.len()] };
        let e = Entry::about(
            &actor,
            "secret.update",
            "secret",
            (format!("id-{i}"), name),
            vec![Change::values("tags", Some("a"), Some("b"))],
            Some("198.51.100.7".into()),
        );
        let mut tx = state.db.begin().await.unwrap();
        audit::append(&mut tx, &state.audit_key, e).await.unwrap();
        tx.commit().await.unwrap();
    }
}

/// Every page of the audit log for `f`, following `next`.
async fn all_pages(admin: &Caller, f: &LogFilter) -> Vec<AuditRow> {
    let mut rows = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = logs::audit_page(admin, f, cursor.as_deref()).await.unwrap();
        assert!(page.rows.len() <= PAGE_SIZE);
        rows.extend(page.rows);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return rows,
        }
    }
}

async fn export_text(admin: &Caller, kind: LogKind, f: LogFilter) -> String {
    let mut export = logs::export(admin, kind, f).await.unwrap();
    let mut text = String::new();
    while let Some(chunk) = export.next_chunk().await.unwrap() {
        text.push_str(&chunk);
    }
    text
}

fn parse(text: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

#[tokio::test]
async fn audit_pages_are_newest_first_and_never_skip_or_repeat() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let (admin, _) = world(&state).await;
        entries(&state, &admin).await;
        let rows = all_pages(&admin, &LogFilter::default()).await;
        assert_eq!(rows.len(), 130, "{:?}", t.engine);
        let seqs: Vec<i64> = rows.iter().map(|r| r.seq).collect();
        assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first, no repeats");
        assert_eq!(rows[0].changes[0].field, "tags", "changed fields come back as fields");

        // A page written to while someone pages does not shift what they see.
        let first = logs::audit_page(&admin, &LogFilter::default(), None).await.unwrap();
        entries(&state, &admin).await;
        let second = logs::audit_page(&admin, &LogFilter::default(), first.next.as_deref()).await.unwrap();
        assert_eq!(second.rows[0].seq, first.rows.last().unwrap().seq - 1, "{:?}", t.engine);
    }
}

#[tokio::test]
async fn filters_match_names_literally_and_combine() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let (admin, _) = world(&state).await;
        entries(&state, &admin).await;
        let by = |resource: &str| LogFilter { resource: resource.into(), ..LogFilter::default() };

        // `%` and `_` are literal: "100%_off" matches itself, not "100xyoff".
        let off = all_pages(&admin, &by("100%_OFF")).await;
        assert_eq!(off.len(), 30, "{:?}: 20 of the first 120 and the last 10", t.engine);
        assert!(off.iter().all(|r| r.resource_name.as_deref() == Some(NAMES[4])));
        assert!(all_pages(&admin, &by("%")).await.iter().all(|r| r.resource_name.as_deref() == Some(NAMES[4])));
        assert_eq!(all_pages(&admin, &by("id-7")).await.len(), 1, "an id matches exactly");
        assert_eq!(all_pages(&admin, &by("two\nlines")).await.len(), 20);

        let f = LogFilter { text: "COMMA".into(), action: "secret.".into(), ..LogFilter::default() };
        assert_eq!(all_pages(&admin, &f).await.len(), 20, "free text is case-insensitive; action is a prefix");
        let f = LogFilter { action: "key.".into(), ..LogFilter::default() };
        assert!(all_pages(&admin, &f).await.is_empty());
        let f = LogFilter { ip: "198.51.".into(), actor: "admin".into(), ..LogFilter::default() };
        assert_eq!(all_pages(&admin, &f).await.len(), 130);

        let newest = all_pages(&admin, &LogFilter::default()).await[0].at;
        let f = LogFilter { from: Some(newest), ..LogFilter::default() };
        assert!(!all_pages(&admin, &f).await.is_empty());
        let f = LogFilter { to: Some(newest - 60_000_000), ..LogFilter::default() };
        assert!(all_pages(&admin, &f).await.is_empty(), "nothing is older than a minute");
    }
}

#[tokio::test]
async fn bad_filters_and_cursors_are_refused_and_only_admins_read_logs() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let (admin, other) = world(&state).await;
        let long = LogFilter { text: "x".repeat(201), ..LogFilter::default() };
        let e = logs::audit_page(&admin, &long, None).await.unwrap_err();
        assert_eq!((e.code, e.field.as_deref()), (ErrorCode::ValidationFailed, Some("text")));
        let backwards = LogFilter { from: Some(10), to: Some(5), ..LogFilter::default() };
        assert_eq!(logs::audit_page(&admin, &backwards, None).await.unwrap_err().field.as_deref(), Some("to"));
        for cursor in ["x", "", "abc:def"] {
            let e = logs::request_page(&admin, &LogFilter::default(), Some(cursor)).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::ValidationFailed, "{cursor:?}");
        }
        assert_eq!(
            logs::audit_page(&admin, &LogFilter::default(), Some("abc")).await.unwrap_err().code,
            ErrorCode::ValidationFailed
        );

        let f = LogFilter::default();
        assert_eq!(logs::audit_page(&other, &f, None).await.unwrap_err().code, ErrorCode::Forbidden);
        assert_eq!(logs::request_page(&other, &f, None).await.unwrap_err().code, ErrorCode::Forbidden);
        assert_eq!(logs::user_page(&other, &f, None).await.unwrap_err().code, ErrorCode::Forbidden);
        assert_eq!(logs::verify_chain(&other).await.unwrap_err().code, ErrorCode::Forbidden);
        assert!(logs::export(&other, LogKind::Audit, f).await.is_err());
        let exports: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'log.export'")
            .fetch_one(t.db.reader())
            .await
            .unwrap();
        assert_eq!(exports, 0, "a refused export is not recorded as one");
    }
}

#[tokio::test]
async fn csv_export_parses_back_into_exactly_the_filtered_rows() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let (admin, _) = world(&state).await;
        entries(&state, &admin).await;
        let f = LogFilter { text: "h".into(), ..LogFilter::default() };
        let expected = all_pages(&admin, &f).await;
        assert_eq!(expected.len(), 60, "{:?}", t.engine);
        let text = export_text(&admin, LogKind::Audit, f.clone()).await;
        let (header, rows) = parse(&text);
        assert_eq!(header[..3], ["seq", "id", "time"]);
        assert_eq!(rows.len(), expected.len(), "{:?}", t.engine);
        for (row, want) in rows.iter().zip(&expected) {
            assert_eq!(row[0], want.seq.to_string());
            assert_eq!(row[2], rfc3339(want.at), "UTC RFC 3339");
            let name = want.resource_name.clone().unwrap();
            let shown = if name.starts_with('=') { format!("'{name}") } else { name };
            assert_eq!(row[9], shown, "names survive commas, quotes and line breaks; formulas are disarmed");
        }
        assert!(rows.iter().any(|r| r[9] == "'=HYPERLINK(\"x\")"));

        // The export is recorded, with its filter.
        let changes: String =
            sqlx::query_scalar("select changes from audit_log where action = 'log.export' order by seq desc")
                .fetch_one(t.db.reader())
                .await
                .unwrap();
        assert!(changes.contains("\"field\":\"text\""), "{changes}");

        // An export of a long log comes in several batches and still holds every row once.
        let all = export_text(&admin, LogKind::Audit, LogFilter::default()).await;
        let (_, rows) = parse(&all);
        let seqs: BTreeSet<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(seqs.len(), rows.len());
        assert!(rows.len() >= 130);
    }
}

#[tokio::test]
async fn request_and_user_logs_page_by_time_and_export() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let (admin, _) = world(&state).await;
        let at = clock::now();
        for i in 0..75i64 {
            let record = Record {
                // Pairs share a time, so the id breaks the tie between pages.
                at: at - (i / 2),
                method: "GET".into(),
                path: "/api/v1/vaults/{vault_id}",
                resource_type: "vault",
                status: if i % 3 == 0 { 404 } else { 200 },
                duration_us: 1_000 + i,
                ip: Some("203.0.113.5".into()),
                access_key_id: None,
                public_resource: None,
                request_id: Some(format!("req-{i}")),
            };
            assert!(state.request_log.record(Logged::Request(record)).await);
        }
        let mut seen = BTreeSet::new();
        let mut cursor: Option<String> = None;
        loop {
            let page = logs::request_page(&admin, &LogFilter::default(), cursor.as_deref()).await.unwrap();
            for r in &page.rows {
                assert!(seen.insert(r.id.clone()), "{:?}: a row came twice", t.engine);
            }
            match page.next {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        assert_eq!(seen.len(), 75, "{:?}", t.engine);
        let f = LogFilter { action: "4xx".into(), ..LogFilter::default() };
        assert_eq!(logs::request_page(&admin, &f, None).await.unwrap().rows.len(), 25);
        let f = LogFilter { action: "404".into(), ..LogFilter::default() };
        let (_, rows) = parse(&export_text(&admin, LogKind::Requests, f).await);
        assert_eq!(rows.len(), 25);
        assert!(rows.iter().all(|r| r[5] == "404"));

        let visitor = testkit::visitor(&state, &Default::default());
        let _ = app::server::services::auth::sign_in(&visitor, "nobody@example.com", "wrong".into()).await;
        let users = logs::user_page(&admin, &LogFilter::default(), None).await.unwrap();
        assert!(users.rows.iter().any(|r| r.email.as_deref() == Some("nobody@example.com")), "{:?}", t.engine);
        let (header, rows) = parse(&export_text(&admin, LogKind::Users, LogFilter::default()).await);
        assert_eq!(header[4], "event");
        assert_eq!(rows.len(), users.rows.len());
    }
}

/// An MCP event `days` old.
fn old_mcp(days: i64) -> McpRecord {
    McpRecord {
        at: clock::now() - clock::minutes(days * 24 * 60),
        event: "tool_call",
        session_id: Some("s-1".into()),
        tool: Some("get_secret".into()),
        vault_id: None,
        resource_type: "secret",
        resource: Some("db".into()),
        status: 200,
        message: None,
        duration_us: 1,
        ip: None,
        access_key_id: None,
        public_resource: None,
        request_id: None,
    }
}

fn old_record(days: i64) -> Record {
    Record {
        at: clock::now() - clock::minutes(days * 24 * 60),
        method: "GET".into(),
        path: "/api/v1/vaults/{vault_id}",
        resource_type: "vault",
        status: 200,
        duration_us: 1,
        ip: None,
        access_key_id: None,
        public_resource: None,
        request_id: None,
    }
}

#[tokio::test]
async fn the_request_and_mcp_logs_are_pruned_past_their_retention_once_whatever_the_number_of_nodes() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        for days in [400, 120, 91, 89, 2, 0] {
            assert!(state.request_log.record(Logged::Request(old_record(days))).await);
            assert!(state.request_log.record(Logged::Mcp(old_mcp(days))).await);
        }
        // Recent history cannot be erased through SQL, even by someone who tries.
        for table in ["request_log", "mcp_log"] {
            let fresh = sqlx::query(&format!("delete from {table} where at > $1"))
                .bind(clock::now() - clock::minutes(60))
                .execute(t.db.reader())
                .await;
            assert!(fresh.is_err(), "{table} {:?}", t.engine);
        }

        // Two nodes run the job at once on the same database: the rows go once.
        let other =
            app::server::state::Shared { db: app::server::db::Db::connect(&t.url).await.unwrap(), ..(*state).clone() };
        let other = AppState::new(other);
        let now = clock::now();
        let (a, b) = tokio::join!(logs::prune_request_log(&state, now), logs::prune_request_log(&other, now));
        assert_eq!(a.unwrap() + b.unwrap(), 6, "{:?}: 400, 120 and 91 days old, in each log", t.engine);
        for table in ["request_log", "mcp_log"] {
            let left: i64 =
                sqlx::query_scalar(&format!("select count(*) from {table}")).fetch_one(t.db.reader()).await.unwrap();
            assert_eq!(left, 3, "{table}");
        }
        assert_eq!(logs::prune_request_log(&state, now).await.unwrap(), 0, "nothing more is due");
        let pruned: Vec<String> = sqlx::query_scalar("select changes from audit_log where action = 'log.prune'")
            .fetch_all(t.db.reader())
            .await
            .unwrap();
        assert_eq!(pruned.len(), 1, "one run did the work: {pruned:?}");
        assert!(pruned[0].contains(r#"{"field":"deleted","new":"6"}"#), "{pruned:?}");
    }
}

#[tokio::test]
async fn one_chain_walk_at_a_time_and_a_dropped_walk_frees_its_turn() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let (admin, _) = world(&state).await;
        let held = state.audit_key.claim_walk().expect("no walk runs yet");
        assert_eq!(logs::verify_chain(&admin).await.unwrap_err().code, ErrorCode::Conflict);
        drop(held);
        // A walk whose asker hung up (its future dropped mid-way) gives its turn back.
        let walk = logs::verify_chain(&admin);
        let _ = tokio::time::timeout(std::time::Duration::from_nanos(1), walk).await;
        assert!(logs::verify_chain(&admin).await.unwrap().broken.is_none());
        let report = logs::verify_chain(&admin).await.unwrap();
        assert!(report.broken.is_none() && report.checked >= 1, "the first walk's own entry: {report:?}");
    }
}

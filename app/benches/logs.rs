//! `cargo bench -p app --features ssr --bench logs`: the log viewer with 1,000,000 audit
//! entries, on SQLite (and on PostgreSQL when `SECRYN_TEST_POSTGRES_URL` is set). Prints
//! `logs <engine>, <figure>: <value>` lines: the first page and a filtered page (median of
//! 20, through the service as the viewer calls it) and the CSV export's rows per second.
//! The rows are made in bulk by SQL (the viewer's speed does not depend on their links).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::logs::{LogFilter, LogKind};
use app::server::db::Engine;
use app::server::services::logs;
use std::time::{Duration, Instant};

const ROWS: i64 = 1_000_000;

/// One million entries: 1,000 resources, a handful of actions, ten actors, one per second.
fn fill_sql(engine: Engine) -> String {
    let cols = "seq, id, at, actor_type, actor_id, actor_name, action, resource_type, resource_id, resource_name, \
                changes, source_ip, prev_hash, hash";
    let row = |i: &str, cat: &str| {
        format!(
            "{i}, 'e' {cat} {i}, 1700000000000000 + {i} * 1000000, 'user', 'u' {cat} ({i} % 10), \
             'person ' {cat} ({i} % 10), case {i} % 4 when 0 then 'secret.reveal' when 1 then 'secret.update' \
             when 2 then 'key.download' else 'vault.update' end, 'secret', 'r' {cat} ({i} % 1000), \
             'SECRET_NAME_' {cat} ({i} % 1000), '[{{\"field\":\"tags\",\"old\":\"a\",\"new\":\"b\"}}]', \
             '198.51.100.' {cat} ({i} % 200), 'x', 'x'"
        )
    };
    match engine {
        Engine::Sqlite => format!(
            "with recursive n(i) as (select 1 union all select i + 1 from n where i < {ROWS}) \
             insert into audit_log ({cols}) select {} from n",
            row("i", "||")
        ),
        Engine::Postgres => format!(
            "insert into audit_log ({cols}) select {} from generate_series(1::bigint, {ROWS}) as i",
            row("i", "||")
        ),
    }
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

async fn run(t: testkit::TestDb) {
    let name = t.engine.name();
    let state = testkit::state(&t.db).await;
    let admin = testkit::person(&state, "bench@example.com", true).await;
    let started = Instant::now();
    sqlx::query(&fill_sql(t.engine)).execute(t.db.reader()).await.unwrap();
    if t.engine == Engine::Postgres {
        sqlx::query("analyze audit_log").execute(t.db.reader()).await.unwrap();
    }
    println!("logs {name}, 1,000,000 audit rows made in: {:.1} s", started.elapsed().as_secs_f64());

    let page = async |f: &LogFilter| {
        let mut times = Vec::new();
        for _ in 0..20 {
            let at = Instant::now();
            let rows = logs::audit_page(&admin, f, None).await.unwrap().rows;
            times.push(at.elapsed());
            assert!(!rows.is_empty());
        }
        median(times)
    };
    let first = page(&LogFilter::default()).await;
    println!("logs {name}, audit first page (median of 20, goal < 150 ms): {:.1} ms", first.as_secs_f64() * 1e3);
    let by_name = LogFilter { resource: "secret_name_42".into(), ..LogFilter::default() };
    let filtered = page(&by_name).await;
    println!(
        "logs {name}, audit page filtered by resource name (median of 20): {:.1} ms",
        filtered.as_secs_f64() * 1e3
    );
    let by_action = LogFilter { action: "key.".into(), actor: "person 2".into(), ..LogFilter::default() };
    let filtered = page(&by_action).await;
    println!(
        "logs {name}, audit page filtered by action and actor (median of 20): {:.1} ms",
        filtered.as_secs_f64() * 1e3
    );

    let at = Instant::now();
    let mut export = logs::export(&admin, LogKind::Audit, LogFilter::default()).await.unwrap();
    let (mut lines, mut bytes) = (0usize, 0usize);
    while let Some(chunk) = export.next_chunk().await.unwrap() {
        lines += chunk.matches("\r\n").count();
        bytes += chunk.len();
    }
    let secs = at.elapsed().as_secs_f64();
    assert!(lines as i64 > ROWS, "every row and the header");
    println!(
        "logs {name}, CSV export of every audit row: {:.0} rows/s ({} MB in {secs:.1} s)",
        (lines - 1) as f64 / secs,
        bytes / 1_000_000
    );
}

#[tokio::main]
async fn main() {
    run(testkit::sqlite().await).await;
    if std::env::var("SECRYN_TEST_POSTGRES_URL").is_ok_and(|v| !v.is_empty()) {
        run(testkit::postgres().await).await;
    }
}

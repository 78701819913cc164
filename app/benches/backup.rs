//! `cargo bench -p app --features ssr --bench backup`: a backup and a restore of an instance
//! with 100,000 secret versions (1,000 secrets of 100 versions), on SQLite (and on PostgreSQL
//! when `SECRYN_TEST_POSTGRES_URL` is set), each restored onto a fresh instance of the same
//! engine with another master key. Prints `backup <engine>, <figure>: <value>` lines: total
//! seconds and MB/s of the file each way. The first version of each secret is made through
//! the service; the other 99 copy its sealed value in bulk (a backup never opens values).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::server::backup_file::BackupKey;
use app::server::db::Engine;
use app::server::services::backup::{self, By};
use app::server::services::{projects, secrets, vaults};
use std::time::Instant;

const SECRETS: usize = 1_000;
const VERSIONS: i64 = 100;

fn more_versions(engine: Engine) -> String {
    let numbers = match engine {
        Engine::Sqlite => {
            format!("with recursive n(v) as (select 2 union all select v + 1 from n where v < {VERSIONS})")
        }
        Engine::Postgres => format!("with n(v) as (select generate_series(2, {VERSIONS}))"),
    };
    format!(
        "{numbers} insert into secret_versions (secret_id, version, ciphertext, note, created_by, created_at) \
         select s.secret_id, n.v, s.ciphertext, s.note, s.created_by, s.created_at + n.v from secret_versions s, n"
    )
}

async fn run(t: testkit::TestDb, fresh: testkit::TestDb) {
    let name = t.engine.name();
    let state = testkit::state(&t.db).await;
    let admin = testkit::person(&state, "bench@example.com", true).await;
    let project = projects::create(&admin, "Bench", "").await.unwrap();
    let vault = vaults::create(&admin, project, "prod", "").await.unwrap();
    for i in 0..SECRETS {
        let input = testkit::new_secret(
            format!("SECRET_{i:04}"),
            format!("postgres://app:{i:08}@db.internal:5432/app?sslmode=verify-full"),
        );
        secrets::create(&admin, vault, input).await.unwrap();
    }
    sqlx::query(&more_versions(t.engine)).execute(t.db.reader()).await.unwrap();
    let versions: i64 =
        sqlx::query_scalar("select count(*) from secret_versions").fetch_one(t.db.reader()).await.unwrap();
    assert_eq!(versions, SECRETS as i64 * VERSIONS);

    let key = BackupKey::random();
    let mut file = Vec::new();
    let started = Instant::now();
    backup::create(&state, &By::server(), &key, &mut file).await.unwrap();
    let made = started.elapsed().as_secs_f64();
    let mb = file.len() as f64 / 1e6;
    println!("backup {name}, 100,000 secret versions, file size: {mb:.1} MB");
    println!("backup {name}, create (total): {made:.2} s, {:.1} MB/s", mb / made);

    let target = testkit::state(&fresh.db).await;
    let started = Instant::now();
    let summary = backup::restore(&target, &By::server(), &key, &mut file.as_slice()).await.unwrap();
    let restored = started.elapsed().as_secs_f64();
    assert_eq!(summary.of("secret_versions"), versions as u64);
    println!("backup {name}, restore (total): {restored:.2} s, {:.1} MB/s", mb / restored);
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        run(testkit::sqlite().await, testkit::sqlite().await).await;
        if std::env::var("SECRYN_TEST_POSTGRES_URL").is_ok() {
            run(testkit::postgres().await, testkit::postgres().await).await;
        }
    });
}

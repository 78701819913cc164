//! `cargo bench -p app --features ssr --bench versions`: 1,000 new versions of one secret,
//! one after another, through the service layer (validation, sealing, version row, audit
//! entry, commit) on SQLite; prints `versions_per_second=N`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::secret::SecretValue;
use app::server::RequestMeta;
use app::server::services::secrets;
use app::server::services::{projects, vaults};
use std::time::Instant;

const VERSIONS: usize = 1000;

#[tokio::main]
async fn main() {
    let t = testkit::sqlite().await;
    let state = testkit::state(&t.db).await;
    let admin = testkit::person(&state, "bench@example.com", true).await;
    let _m = RequestMeta::default();
    let project = projects::create(&admin, "Bench", "").await.unwrap();
    let vault = vaults::create(&admin, project, "bench", "").await.unwrap();
    let value = |i: usize| SecretValue::parse("value", format!("value number {i}")).unwrap();
    let input = testkit::new_secret("ROTATED", "value number 0");
    let secret = secrets::create(&admin, vault, input).await.unwrap();
    let started = Instant::now();
    for i in 1..=VERSIONS {
        secrets::new_version(&admin, secret, value(i), "", None).await.unwrap();
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("versions_per_second={:.0} ({VERSIONS} versions in {:.2} s)", VERSIONS as f64 / seconds, seconds);
}

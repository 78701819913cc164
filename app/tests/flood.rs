//! Rows a stranger can make are bounded (see `server::flood`), on SQLite and PostgreSQL:
//! credential-less API calls and failed sign-ins past their address's rate are answered 429
//! and counted in one summary row per address and minute instead of a row each; a caller
//! with a valid access key behind the same address is not affected; a public token's reads
//! are audited once per resource, address and minute.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::ErrorCode;
use app::server::flood::{Door, Flood};
use app::server::repo::refused;
use app::server::services::keys::{self, NewKeyInput};
use app::server::services::machine::{Call, Presented};
use app::server::services::{access_keys, auth, machine_keys, projects, vaults};
use app::server::{AppState, Caller, RequestMeta, Shared};
use std::sync::Arc;

const RATE: i64 = 3;
const IP: &str = "198.51.100.23";

/// A state whose addresses get `RATE` credential-less calls a minute.
async fn state(t: &testkit::TestDb) -> AppState {
    let state = testkit::state(&t.db).await;
    AppState::new(Shared { flood: Arc::new(Flood::new(RATE)), ..(*state).clone() })
}

fn meta() -> RequestMeta {
    RequestMeta { ip: Some(IP.into()), user_agent: Some("tests".into()) }
}

fn presenting(state: &AppState, header: Option<&str>) -> app::server::services::machine::Machine {
    Caller::new(state.clone(), Presented::header(header.map(str::as_bytes)), meta())
}

async fn count(state: &AppState, sql: &str) -> i64 {
    sqlx::query_scalar(sql).bind(IP).fetch_one(state.db.reader()).await.unwrap()
}

#[tokio::test]
async fn refused_api_calls_past_the_rate_get_429_and_one_summary_row() {
    for t in testkit::engines().await {
        let state = state(&t).await;
        let admin = testkit::person(&state, "admin@example.com", true).await;
        let p = projects::create(&admin, "Payments", "").await.unwrap();
        let vault = vaults::create(&admin, p, "production", "").await.unwrap();
        let key = access_keys::create(&admin, vault, "ci", None).await.unwrap();

        let mut statuses = Vec::new();
        for _ in 0..10 {
            let m = presenting(&state, Some("Bearer not-a-key"));
            let r = testkit::read_vault(&m, vault, true, "").await;
            statuses.push(r.unwrap_err().code);
        }
        let refused_first = [ErrorCode::Unauthorized; RATE as usize];
        assert_eq!(statuses[..RATE as usize], refused_first, "{:?}", t.engine);
        assert!(statuses[RATE as usize..].iter().all(|c| *c == ErrorCode::RateLimited), "{statuses:?}");

        // A valid key from the same address still reads, and is recorded as usual.
        let holder = presenting(&state, Some(&format!("Bearer {}", key.key.expose())));
        testkit::read_vault(&holder, vault, true, "").await.unwrap();

        assert_eq!(count(&state, "select count(*) from request_log where ip = $1").await, RATE + 1);
        state.flood.flush(&state.db).await.unwrap();
        let rows = refused::since(&state.db, 0, 10).await.unwrap();
        assert_eq!(rows.len(), 1, "{rows:?}");
        assert_eq!((rows[0].address.as_str(), rows[0].door.as_str(), rows[0].refused), (IP, "api", 10 - RATE));

        // A second node's counts for the same minute add to the same row.
        let other = Flood::new(RATE);
        for _ in 0..=RATE {
            other.admit(Door::Api, Some(IP), rows[0].minute + 1);
        }
        other.flush(&state.db).await.unwrap();
        let rows = refused::since(&state.db, 0, 10).await.unwrap();
        assert_eq!((rows.len(), rows[0].refused), (1, 10 - RATE + 1));
    }
}

#[tokio::test]
async fn failed_sign_ins_past_the_rate_get_429_and_no_user_log_row() {
    for t in testkit::engines().await {
        let state = state(&t).await;
        let visitor = testkit::visitor(&state, &meta());
        let mut codes = Vec::new();
        for i in 0..6 {
            let e = auth::sign_in(&visitor, &format!("nobody{i}@example.com"), "wrong password".into()).await;
            codes.push(e.unwrap_err().code);
        }
        assert_eq!(codes[..RATE as usize], [ErrorCode::Unauthorized; RATE as usize], "{:?}", t.engine);
        assert!(codes[RATE as usize..].iter().all(|c| *c == ErrorCode::RateLimited), "{codes:?}");
        assert_eq!(count(&state, "select count(*) from user_log where ip = $1").await, RATE);
        state.flood.flush(&state.db).await.unwrap();
        let rows = refused::since(&state.db, 0, 10).await.unwrap();
        assert_eq!((rows.len(), rows[0].door.as_str(), rows[0].refused), (1, "sign_in", 6 - RATE));
    }
}

#[tokio::test]
async fn a_public_token_read_again_within_the_minute_adds_a_request_row_but_no_audit_entry() {
    for t in testkit::engines().await {
        let state = state(&t).await;
        let admin = testkit::person(&state, "admin@example.com", true).await;
        let p = projects::create(&admin, "Payments", "").await.unwrap();
        let vault = vaults::create(&admin, p, "production", "").await.unwrap();
        let input = NewKeyInput {
            name: "deploy".into(),
            algorithm: "ed25519".into(),
            output_format: "both".into(),
            tags: String::new(),
            activation_at: None,
            expiration_at: None,
        };
        let key = keys::generate(&admin, vault, input).await.unwrap();
        let token = keys::set_public(&admin, key, true).await.unwrap().unwrap();
        for _ in 0..5 {
            let call = Call::new("GET", "/api/v1/keys/{key_id}", "key");
            machine_keys::public_key(&presenting(&state, None), call, &key.to_string(), Some(token.expose()))
                .await
                .unwrap();
        }
        let reads = "select count(*) from audit_log where action = 'key.public_read' and source_ip = $1";
        assert_eq!(count(&state, reads).await, 1, "{:?}", t.engine);
        let logged = "select count(*) from request_log where public_resource is not null and ip = $1";
        assert_eq!(count(&state, logged).await, 5, "public reads carry a credential: never 429");
    }
}

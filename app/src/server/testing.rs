//! Fresh databases for tests, on both engines. PostgreSQL is required: a data-layer test
//! that silently ran on SQLite only would hide half the product. `make test` provides
//! `SECRYN_TEST_POSTGRES_URL`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test fixtures: a failure is a failed test.

use super::db::{Db, Engine};

/// One throwaway database.
pub struct TestDb {
    pub db: Db,
    pub url: String,
    pub engine: Engine,
}

/// The PostgreSQL server URL tests create their databases on.
pub fn postgres_url() -> String {
    std::env::var("SECRYN_TEST_POSTGRES_URL").unwrap_or_else(|_| {
        panic!(
            "SECRYN_TEST_POSTGRES_URL is not set: data-layer tests run on SQLite and PostgreSQL \
             (`make test` starts PostgreSQL and sets it)"
        )
    })
}

fn replace_db_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let cut = base.rfind('/').expect("a database URL has a path");
    format!("{}/{name}{query}", &base[..cut])
}

/// A fresh, migrated SQLite database in the system's temp directory.
pub async fn sqlite() -> TestDb {
    let path = std::env::temp_dir().join(format!("secryn-test-{}.db", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(&url).await.expect("open test SQLite");
    db.migrate().await.expect("migrate test SQLite");
    TestDb { db, url, engine: Engine::Sqlite }
}

/// A fresh, migrated PostgreSQL database (created on the server named by the environment).
pub async fn postgres() -> TestDb {
    let admin_url = postgres_url();
    let name = format!("secryn_t_{}", uuid::Uuid::new_v4().simple());
    let admin = Db::connect(&admin_url).await.expect("connect to the test PostgreSQL server");
    sqlx::query(&format!("create database {name}")).execute(admin.reader()).await.expect("create test database");
    admin.close().await;
    let url = replace_db_name(&admin_url, &name);
    let db = Db::connect(&url).await.expect("open test PostgreSQL database");
    db.migrate().await.expect("migrate test PostgreSQL");
    TestDb { db, url, engine: Engine::Postgres }
}

/// One fresh database on each engine, SQLite first.
pub async fn engines() -> Vec<TestDb> {
    vec![sqlite().await, postgres().await]
}

/// A server state around `db` with a fresh master key, as a started server would have it.
pub async fn state(db: &Db) -> super::AppState {
    let master = super::crypto::MasterKey::generate();
    super::services::setup::ensure_instance(db, &master).await.expect("initialise instance");
    super::AppState {
        db: db.clone(),
        master: std::sync::Arc::new(master),
        hasher: std::sync::Arc::new(super::password::PasswordHasher::new(2, 64)),
        settings: std::sync::Arc::new(super::Settings::default()),
        leptos_options: std::sync::Arc::new(leptos::config::LeptosOptions::builder().output_name("secryn").build()),
        data_keys: Default::default(),
    }
}

/// A signed-in person made directly in the database (active, no password), for service tests
/// that need a caller but no sign-in.
pub async fn person(state: &super::AppState, email: &str, is_admin: bool) -> super::SessionCtx {
    use super::repo::users::{self, NewUser, UserState};
    let mut tx = state.db.begin().await.expect("begin");
    let new = NewUser { email, name: email, password_hash: None, is_admin, state: UserState::Active };
    let id = users::insert(&mut tx, new).await.expect("insert a test user");
    tx.commit().await.expect("commit");
    let user = users::find(state.db.reader(), id).await.expect("read").expect("the user just made");
    super::SessionCtx { user, token_hash: String::new() }
}

//! Fresh databases for tests, on both engines. PostgreSQL is required: a data-layer test
//! that silently ran on SQLite only would hide half the product. `make test` provides
//! `SECRYN_TEST_POSTGRES_URL`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // Test fixtures: a failure is a failed test.

use app::domain::AppError;
use app::domain::ids::VaultId;
use app::domain::secret::SecretValue;
use app::server::db::{Db, Engine};
use app::server::services::certificates::NewCertInput;
use app::server::services::machine::{self, Call, Machine, Presented, SecretJson, VaultAnswer, VaultJson, VaultRead};
use app::server::services::secrets::NewSecretInput;
use app::server::{AppState, Caller, RequestMeta, SessionCtx};
use std::sync::Arc;

pub mod smtp;

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
pub async fn state(db: &Db) -> AppState {
    let master = app::server::crypto::MasterKey::generate();
    let master = app::server::crypto::MasterKeys::single(master);
    let audit_key = app::server::services::setup::ensure_instance(db, &master).await.expect("initialise instance");
    AppState::new(app::server::state::Shared {
        db: db.clone(),
        master: Arc::new(master),
        audit_key: Arc::new(audit_key),
        hasher: Arc::new(app::server::password::PasswordHasher::new(2, 64)),
        keygen: Arc::new(app::server::services::keys::generation_pool(2)),
        settings: Arc::new(app::server::Settings::default()),
        knobs: Arc::new(app::server::state::LiveKnobs::new(app::server::Settings::default().knobs())),
        leptos_options: Arc::new(leptos::config::LeptosOptions::builder().output_name("secryn").build()),
        data_keys: Default::default(),
        request_log: app::server::request_log::RequestLog::start(db.clone()),
        flood: Arc::new(app::server::flood::Flood::new(app::server::flood::DEFAULT_PER_MINUTE)),
    })
}

/// A caller for `session` on `state`, with no request facts.
pub fn caller(state: &AppState, session: SessionCtx) -> Caller {
    Caller::new(state.clone(), session, RequestMeta::default())
}

/// The same person calling with other request facts (another address, say).
pub fn caller_at(state: &AppState, person: &Caller, meta: &RequestMeta) -> Caller {
    Caller::new(state.clone(), person.who.clone(), meta.clone())
}

/// A caller before sign-in, from the request facts `meta`.
pub fn visitor(state: &AppState, meta: &RequestMeta) -> Caller<app::server::Anonymous> {
    Caller::new(state.clone(), app::server::Anonymous, meta.clone())
}

/// A signed-in caller made directly in the database (active, no password), for service tests
/// that need a caller but no sign-in.
pub async fn person(state: &AppState, email: &str, is_admin: bool) -> Caller {
    use app::server::repo::users::{self, NewUser, UserState};
    let mut tx = state.db.begin().await.expect("begin");
    let new = NewUser { email, name: email, password_hash: None, is_admin, state: UserState::Active };
    let id = users::insert(&mut tx, new).await.expect("insert a test user");
    tx.commit().await.expect("commit");
    let user = users::find(state.db.reader(), id).await.expect("read").expect("the user just made");
    caller(state, SessionCtx { user, token_hash: String::new() })
}

/// A secret with only a name and a value, the rest left empty, for tests that need one to
/// exist (struct update syntax sets the rest: `NewSecretInput { tags, ..new_secret(n, v) }`).
pub fn new_secret(name: impl Into<String>, value: impl Into<String>) -> NewSecretInput {
    NewSecretInput {
        name: name.into(),
        value: SecretValue::parse("value", value.into()).expect("a test value within bounds"),
        content_type: String::new(),
        description: String::new(),
        tags: String::new(),
        activation_at: None,
        expiration_at: None,
    }
}

/// A self-signed certificate to generate with only its name, common name, algorithm and
/// validity set (struct update syntax sets the rest).
pub fn new_certificate(name: &str, common_name: &str, algorithm: &str, validity_days: u32) -> NewCertInput {
    NewCertInput {
        name: name.into(),
        tags: String::new(),
        common_name: common_name.into(),
        organization: String::new(),
        unit: String::new(),
        country: String::new(),
        state: String::new(),
        locality: String::new(),
        email: String::new(),
        algorithm: algorithm.into(),
        validity_days: validity_days.to_string(),
        alt_names: String::new(),
    }
}

/// A machine presenting the access key `key` (its full text) to `state`.
pub fn machine(state: &AppState, key: &str) -> Machine {
    let header = format!("Bearer {key}");
    Caller::new(state.clone(), Presented::header(Some(header.as_bytes())), RequestMeta::default())
}

/// A whole vault as a machine reads it (through the guard, so the call is recorded).
pub async fn read_vault(
    machine: &Machine,
    vault: VaultId,
    names_only: bool,
    include: &str,
) -> Result<VaultJson, AppError> {
    let read = VaultRead { names_only, include: include.to_owned(), resource: None };
    match machine::read_vault(
        machine,
        Call::new("GET", "/api/v1/vaults/{vault_id}", "vault"),
        Some(&vault.to_string()),
        read,
    )
    .await?
    {
        VaultAnswer::Vault(v) => Ok(v),
        VaultAnswer::Secret(_) | VaultAnswer::Pem(_) => panic!("a vault read without `resource` answers the vault"),
    }
}

/// One secret by name as a machine reads it.
pub async fn read_secret(machine: &Machine, vault: VaultId, name: &str) -> Result<SecretJson, AppError> {
    let call = Call::new("GET", "/api/v1/vaults/{vault_id}/secrets/{name}", "secret");
    machine::read_secret(machine, call, Some(&vault.to_string()), name).await
}

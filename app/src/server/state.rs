//! The server's shared state, built once at start and handed to every front door.

use super::crypto::MasterKeys;
use super::db::Db;
use super::password::PasswordHasher;
use crate::domain::instance::Knobs;
use crate::domain::time::Micros;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Default idle timeout of a session, in minutes (`SECRYN_SESSION_IDLE_MINUTES`).
pub const DEFAULT_SESSION_IDLE_MINUTES: i64 = 60;
/// Default absolute lifetime of a session, in hours (`SECRYN_SESSION_ABSOLUTE_HOURS`).
pub const DEFAULT_SESSION_ABSOLUTE_HOURS: i64 = 12;
/// Default sign-in attempts per address per 15 minutes (`SECRYN_SIGNIN_IP_LIMIT`).
pub const DEFAULT_SIGNIN_IP_LIMIT: i64 = 50;
/// Default days the request log keeps (`SECRYN_REQUEST_LOG_RETENTION_DAYS`).
pub const DEFAULT_REQUEST_LOG_RETENTION_DAYS: i64 = 90;

/// Settings the services need at run time (parsed and checked by the server's config).
#[derive(Clone, Debug)]
pub struct Settings {
    /// A session ends after this long without a request.
    pub session_idle: Micros,
    /// A session ends this long after sign-in, whatever happens.
    pub session_absolute: Micros,
    /// Mark cookies `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// Failed sign-ins from one IP address within 15 minutes before it is refused (0: off,
    /// for example behind a proxy that hides client addresses).
    pub ip_failure_limit: i64,
    /// Reverse proxies whose `Forwarded` / `X-Forwarded-For` headers name the client.
    pub trusted_proxies: super::client_ip::TrustedProxies,
    /// The request log keeps this many days (the audit and user logs keep everything).
    pub request_log_retention_days: i64,
    /// Failed sign-ins to one account from one address before that address is refused.
    pub account_failure_limit: i64,
    /// The address people open Secryn at (`SECRYN_PUBLIC_URL`, no trailing slash): links in
    /// e-mails start with it.
    pub public_url: String,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            session_idle: super::clock::minutes(DEFAULT_SESSION_IDLE_MINUTES),
            session_absolute: super::clock::minutes(DEFAULT_SESSION_ABSOLUTE_HOURS * 60),
            secure_cookies: false,
            ip_failure_limit: DEFAULT_SIGNIN_IP_LIMIT,
            trusted_proxies: Default::default(),
            request_log_retention_days: DEFAULT_REQUEST_LOG_RETENTION_DAYS,
            account_failure_limit: super::services::auth::ACCOUNT_FAILURES,
            public_url: "http://127.0.0.1:3000".into(),
        }
    }
}

impl Settings {
    /// The configured values an Admin may change under Settings → Instance (their defaults).
    pub fn knobs(&self) -> Knobs {
        Knobs {
            session_idle_minutes: self.session_idle / 60_000_000,
            session_absolute_hours: self.session_absolute / 3_600_000_000,
            account_failure_limit: self.account_failure_limit,
            ip_failure_limit: self.ip_failure_limit,
            log_retention_days: self.request_log_retention_days,
        }
    }
}

/// The instance settings in effect on this node: the configured defaults until an Admin's
/// values are read (`services::instance_settings::refresh`), then those.
#[derive(Debug)]
pub struct LiveKnobs(std::sync::RwLock<Knobs>);

impl LiveKnobs {
    pub fn new(knobs: Knobs) -> Self {
        LiveKnobs(std::sync::RwLock::new(knobs))
    }

    /// The values now (a poisoned lock still holds whole values: each write is one store).
    pub fn get(&self) -> Knobs {
        *self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn set(&self, knobs: Knobs) {
        *self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = knobs;
    }
}

/// Everything a request handler may reach. Every request clones it once per layer, so it is
/// one shared pointer (one reference count) rather than a handful.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl AppState {
    pub fn new(shared: Shared) -> Self {
        AppState(Arc::new(shared))
    }
}

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares (cheap to clone, to make a state that differs in one part).
#[derive(Clone, Debug)]
pub struct Shared {
    pub db: Db,
    /// The current master key and any previous ones (see `crypto::MasterKeys`).
    pub master: Arc<MasterKeys>,
    /// The audit chain's key, unwrapped once at start (see `audit`).
    pub audit_key: Arc<super::audit::AuditKey>,
    pub hasher: Arc<PasswordHasher>,
    /// Key and certificate generation: bounded like password hashing (see `cpu`).
    pub keygen: Arc<super::cpu::CpuPool>,
    pub settings: Arc<Settings>,
    /// What Admins set under Settings → Instance, over `settings`' defaults.
    pub knobs: Arc<LiveKnobs>,
    pub leptos_options: Arc<LeptosOptions>,
    /// Vault data keys once unwrapped (a vault's key never changes while the process runs;
    /// the master key that unwraps them is in memory anyway).
    pub data_keys: Arc<DataKeys>,
    /// The request log's writer: machine reads are recorded through it before they answer.
    pub request_log: super::request_log::RequestLog,
    /// Per-address bounds on the rows credential-less calls make (see `flood`).
    pub flood: Arc<super::flood::Flood>,
}

/// The unwrapped vault keys, shared by every request.
#[derive(Default)]
pub struct DataKeys(
    std::sync::RwLock<std::collections::HashMap<crate::domain::ids::VaultId, Arc<super::crypto::DataKey>>>,
);

impl std::fmt::Debug for DataKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKeys([redacted])")
    }
}

impl DataKeys {
    pub fn get(&self, vault: crate::domain::ids::VaultId) -> Option<Arc<super::crypto::DataKey>> {
        self.0.read().ok()?.get(&vault).cloned()
    }

    pub fn put(&self, vault: crate::domain::ids::VaultId, key: Arc<super::crypto::DataKey>) {
        if let Ok(mut map) = self.0.write() {
            map.insert(vault, key);
        }
    }
}

impl axum::extract::FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        (*state.leptos_options).clone()
    }
}

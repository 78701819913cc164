//! Server-only code: the data layer, the crypto core, the audit writer and the services that
//! hold every rule. Front doors (server functions, REST, MCP) call `services` and nothing
//! below it.

pub mod audit;
pub mod backup_file;
pub mod caller;
pub mod cert_material;
pub mod client_ip;
pub mod clock;
pub mod cpu;
pub mod crypto;
pub mod csv;
pub mod db;
pub mod error;
pub mod flood;
pub mod inline_sqlite;
pub mod key_material;
pub mod password;
pub mod postgres_readers;
pub mod repo;
pub mod request;
pub mod request_log;
pub mod services;
pub mod state;
pub mod tokens;

pub use caller::{Anonymous, Caller, RequestMeta, SessionCtx};
pub use state::{AppState, Settings, Shared};

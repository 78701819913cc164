//! Secryn's application crate: the shared domain (types, validation, the permission
//! function), the server functions, the UI, and — behind the `ssr` feature — the services,
//! data layer and crypto core. The browser build never contains server code.

#![recursion_limit = "256"]

pub mod api;
pub mod domain;
#[cfg(feature = "ssr")]
pub mod server;
pub mod ui;
pub mod wire;

pub use ui::{App, shell};

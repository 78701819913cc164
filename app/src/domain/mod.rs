//! The shared domain: types, validation and the permission function, compiled for both the
//! browser and the server. Nothing here touches the database or the network.

pub mod access_key;
pub mod backup;
pub mod certificate;
pub mod dotenv;
pub mod error;
pub mod ids;
pub mod instance;
pub mod key;
pub mod logs;
pub mod mail;
pub mod notification;
pub mod org;
pub mod permission;
pub mod secret;
pub mod session;
pub mod support;
pub mod time;
pub mod user;
pub mod validate;

pub use error::{AppError, ErrorCode};

//! The service layer: every rule (validation, permissions, encryption, audit) lives here,
//! once. Each function takes parsed-or-raw input plus the request's facts and returns a
//! domain result; front doors only translate.

pub mod auth;
pub mod profile;
pub mod setup;

//! Queries, one module per table, beside the row types they return. Write functions take
//! the caller's transaction; reads take any executor. Nothing here decides a permission.
//!
//! One rule for rows and values: each row type is mapped by one `from_row` (or `FromColumns`
//! impl), reading columns by position through [`db::Columns`](crate::server::db::Columns), so
//! the sqlx path and the inline rusqlite path share it. Typed ids are bound and read as
//! themselves (`.bind(id)`, `cell::<VaultId>(i)`), encoded and decoded once in [`ids`]: never
//! `to_string()` at a bind, never parsed per table. Booleans are integers, read through
//! [`db::flag`](crate::server::db::flag). Text arguments of `Db::read_rows` stay text.

pub mod access_keys;
pub mod certificates;
pub mod ids;
pub mod instance;
pub mod invitations;
pub mod keys;
pub mod logs;
pub mod memberships;
pub mod pki;
pub mod projects;
pub mod refused;
pub mod request_log;
pub mod secrets;
pub mod sessions;
pub mod throttle;
pub mod user_log;
pub mod users;
pub mod vaults;

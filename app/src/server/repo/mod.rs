//! Queries, one module per table, beside the row types they return. Write functions take
//! the caller's transaction; reads take any executor. Nothing here decides a permission.

pub mod access_keys;
pub mod instance;
pub mod invitations;
pub mod memberships;
pub mod projects;
pub mod request_log;
pub mod secrets;
pub mod sessions;
pub mod throttle;
pub mod user_log;
pub mod users;
pub mod vaults;

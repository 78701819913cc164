//! One module per page.

pub mod access_keys;
pub mod backups;
pub mod certificate;
pub mod certificates;
pub mod home;
pub mod invite;
pub mod key;
pub mod keys;
pub mod log_entries;
pub mod login;
pub mod logs;
pub mod not_found;
pub mod notifications;
pub mod profile;
pub mod project;
pub mod projects;
pub mod secret;
pub mod secrets;
pub mod settings;
pub mod setup;
pub mod support;
pub mod users;
pub mod vault;

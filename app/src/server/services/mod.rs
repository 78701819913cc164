//! The service layer: every rule (validation, permissions, encryption, audit) lives here,
//! once. Each function takes parsed-or-raw input plus the request's facts and returns a
//! domain result; front doors only translate.

pub mod access_keys;
pub mod auth;
pub mod backup;
pub mod certificates;
pub mod demo;
pub mod expiry;
pub mod instance_settings;
pub mod keys;
pub mod logs;
pub mod machine;
pub mod machine_keys;
pub mod mail;
pub mod master_keys;
pub mod notifications;
pub mod pki;
pub mod profile;
pub mod projects;
pub mod scheduled_backups;
pub mod secrets;
pub mod setup;
pub mod support;
pub mod users;
pub mod vaults;

use crate::domain::AppError;
use crate::domain::permission::{Action, Decision, Denial, Principal, Resource, can};
use crate::server::Caller;
use crate::server::audit::Actor;
use crate::server::repo::user_log::{self, Event, LogLine};
use crate::server::repo::users::UserState;

/// The audit actor for a signed-in person.
pub fn actor(caller: &Caller) -> Actor {
    Actor::User { id: caller.user().id, name: caller.user().name.clone() }
}

/// The asker as the permission function sees them (a session of a user disabled meanwhile
/// is refused everything).
pub fn principal(caller: &Caller) -> Principal {
    Principal { is_admin: caller.user().is_admin, active: caller.user().state == UserState::Active }
}

/// Asks the one permission function and turns a refusal into the error the user sees:
/// "not found" for what they may not see (never a hint it exists), a reason otherwise.
/// Refusals are written to the user log.
pub async fn require(caller: &Caller, action: Action, resource: Resource, what: &str) -> Result<(), AppError> {
    let error = match can(principal(caller), action, resource) {
        Decision::Allow => return Ok(()),
        Decision::NotFound => AppError::not_found(format!("No such {what}.")),
        Decision::Forbidden(Denial::Role) => AppError::forbidden("Your role does not allow this."),
        Decision::Forbidden(Denial::Archived) => {
            AppError::forbidden("This project is archived and read-only. Unarchive it to make changes.")
        }
        Decision::Forbidden(Denial::Inactive) => AppError::forbidden("Your account is not active."),
    };
    let detail = format!("{action:?} on {what}: {}", error.code.as_str());
    tracing::info!(user = %caller.user().id, action = ?action, what, outcome = error.code.as_str(), "refused");
    let mut tx = caller.state.db.begin().await?;
    let line = LogLine {
        user_id: Some(caller.user().id),
        email: Some(&caller.user().email),
        event: Event::Denied,
        ip: caller.meta.ip.as_deref(),
        user_agent: caller.meta.user_agent.as_deref(),
        detail: Some(&detail),
    };
    user_log::append(&mut tx, line).await?;
    tx.commit().await?;
    Err(error)
}

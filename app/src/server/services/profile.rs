//! A person's own account: password and notification preference.

use crate::domain::AppError;
use crate::domain::permission::{Action, Resource};
use crate::domain::validate::Password;
use crate::server::Caller;
use crate::server::audit::{self, Change, Entry};
use crate::server::repo::user_log::{self, Event, LogLine};
use crate::server::repo::{sessions, users};
use crate::server::services::{actor, require};

/// Changes the signed-in user's password after checking the current one. Every other session
/// of the user ends; this one stays.
pub async fn change_password(caller: &Caller, current: String, new: String, confirm: String) -> Result<(), AppError> {
    require(caller, Action::ManageOwnAccount, Resource::OwnAccount, "account").await?;
    let current = Password::for_sign_in("current_password", current)?;
    let new = Password::new_choice("new_password", new)?;
    if new.expose() != confirm {
        return Err(AppError::validation("confirm_password", "The two new passwords are not the same."));
    }
    let stored = users::password_hash(caller.state.db.reader(), caller.user().id).await?;
    if !caller.state.hasher.verify(&current, stored.as_deref()).await? {
        return Err(AppError::validation("current_password", "The current password is not correct."));
    }
    if current.expose() == new.expose() {
        return Err(AppError::validation("new_password", "Choose a password different from the current one."));
    }
    let hash = caller.state.hasher.hash(&new).await?;
    let mut tx = caller.state.db.begin().await?;
    users::set_password_hash(&mut tx, caller.user().id, &hash).await?;
    sessions::delete_for_user(&mut tx, caller.user().id, Some(&caller.who.token_hash)).await?;
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        Entry {
            actor: &actor(caller),
            action: "user.password_change",
            resource_type: "user",
            resource_id: Some(caller.user().id.to_string()),
            resource_name: Some(caller.user().email.clone()),
            changes: vec![Change::changed("password")],
            source_ip: caller.meta.ip.clone(),
        },
    )
    .await?;
    let line = LogLine {
        user_id: Some(caller.user().id),
        email: Some(&caller.user().email),
        event: Event::PasswordChanged,
        ip: caller.meta.ip.as_deref(),
        user_agent: caller.meta.user_agent.as_deref(),
        detail: None,
    };
    user_log::append(&mut tx, line).await?;
    tx.commit().await?;
    Ok(())
}

/// Turns the signed-in user's e-mail notifications on or off.
pub async fn set_email_notifications(caller: &Caller, on: bool) -> Result<(), AppError> {
    require(caller, Action::ManageOwnAccount, Resource::OwnAccount, "account").await?;
    let before = caller.user().email_notifications;
    if before == on {
        return Ok(());
    }
    let mut tx = caller.state.db.begin().await?;
    users::set_email_notifications(&mut tx, caller.user().id, on).await?;
    let (old, new) = (before.to_string(), on.to_string());
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        Entry {
            actor: &actor(caller),
            action: "user.preferences",
            resource_type: "user",
            resource_id: Some(caller.user().id.to_string()),
            resource_name: Some(caller.user().email.clone()),
            changes: vec![Change::values("email_notifications", Some(&old), Some(&new))],
            source_ip: caller.meta.ip.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

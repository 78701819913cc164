//! A person's own account: password and notification preference.

use crate::domain::AppError;
use crate::domain::permission::{Action, Resource};
use crate::domain::validate::Password;
use crate::server::audit::{self, Change, Entry};
use crate::server::repo::user_log::{self, Event, LogLine};
use crate::server::repo::{sessions, users};
use crate::server::services::{actor, require};
use crate::server::{AppState, RequestMeta, SessionCtx};

/// Changes the signed-in user's password after checking the current one. Every other session
/// of the user ends; this one stays.
pub async fn change_password(
    state: &AppState,
    session: &SessionCtx,
    current: String,
    new: String,
    confirm: String,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    require(state, session, meta, Action::ManageOwnAccount, Resource::OwnAccount, "account").await?;
    let current = Password::for_sign_in("current_password", current)?;
    let new = Password::new_choice("new_password", new)?;
    if new.expose() != confirm {
        return Err(AppError::validation("confirm_password", "The two new passwords are not the same."));
    }
    let stored = users::find(state.db.reader(), session.user.id).await?.ok_or_else(AppError::internal)?;
    if !state.hasher.verify(&current, stored.password_hash.as_deref()).await? {
        return Err(AppError::validation("current_password", "The current password is not correct."));
    }
    if current.expose() == new.expose() {
        return Err(AppError::validation("new_password", "Choose a password different from the current one."));
    }
    let hash = state.hasher.hash(&new).await?;
    let mut tx = state.db.begin().await?;
    users::set_password_hash(&mut tx, session.user.id, &hash).await?;
    sessions::delete_for_user(&mut tx, session.user.id, Some(&session.token_hash)).await?;
    audit::append(
        &mut tx,
        Entry {
            actor: &actor(session),
            action: "user.password_change",
            resource_type: "user",
            resource_id: Some(session.user.id.to_string()),
            resource_name: Some(session.user.email.clone()),
            changes: vec![Change::changed("password")],
            source_ip: meta.ip.clone(),
        },
    )
    .await?;
    let line = LogLine {
        user_id: Some(session.user.id),
        email: Some(&session.user.email),
        event: Event::PasswordChanged,
        ip: meta.ip.as_deref(),
        user_agent: meta.user_agent.as_deref(),
        detail: None,
    };
    user_log::append(&mut tx, line).await?;
    tx.commit().await?;
    Ok(())
}

/// Turns the signed-in user's e-mail notifications on or off.
pub async fn set_email_notifications(
    state: &AppState,
    session: &SessionCtx,
    on: bool,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    require(state, session, meta, Action::ManageOwnAccount, Resource::OwnAccount, "account").await?;
    let before = session.user.email_notifications;
    if before == on {
        return Ok(());
    }
    let mut tx = state.db.begin().await?;
    users::set_email_notifications(&mut tx, session.user.id, on).await?;
    let (old, new) = (before.to_string(), on.to_string());
    audit::append(
        &mut tx,
        Entry {
            actor: &actor(session),
            action: "user.preferences",
            resource_type: "user",
            resource_id: Some(session.user.id.to_string()),
            resource_name: Some(session.user.email.clone()),
            changes: vec![Change::values("email_notifications", Some(&old), Some(&new))],
            source_ip: meta.ip.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

//! The writes keys and certificates share, once: the enabled flag and public visibility, each
//! audited. Callers load the resource and check the permission first.

use crate::domain::AppError;
use crate::server::Caller;
use crate::server::audit::{self, Change, Entry};
use crate::server::crypto::SecretText;
use crate::server::repo::pki::{self, Table};
use crate::server::services::actor;
use crate::server::tokens::{self, TokenKind};
use sqlx::{Any, Encode, Type};
use std::fmt::Display;

/// A key or certificate as the shared writes name it.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a, I> {
    pub table: Table,
    pub id: I,
    pub name: &'a str,
    /// Whether a public token is live now.
    pub public: bool,
}

async fn record<I: Display>(
    tx: &mut crate::server::db::Tx,
    caller: &Caller,
    t: &Target<'_, I>,
    action: &str,
    changes: Vec<Change>,
) -> Result<(), AppError> {
    let who = actor(caller);
    let resource_type = t.table.resource_type();
    let action = format!("{resource_type}.{action}");
    let e = Entry::about(&who, &action, resource_type, (t.id.to_string(), t.name), changes, caller.meta.ip.clone());
    audit::append(tx, &caller.state.audit_key, e).await?;
    Ok(())
}

/// Enables or disables (a no-op, not audited, when it already is).
pub async fn set_enabled<I>(caller: &Caller, t: Target<'_, I>, enabled: bool) -> Result<(), AppError>
where
    I: for<'q> Encode<'q, Any> + Type<Any> + Send + Copy + Display,
{
    let mut tx = caller.state.db.begin().await?;
    if !pki::set_enabled(&mut tx, t.table, t.id, enabled, caller.user().id).await? {
        return Ok(());
    }
    let (action, old) = if enabled { ("enable", "false") } else { ("disable", "true") };
    let changes = vec![Change::values("enabled", Some(old), Some(&enabled.to_string()))];
    record(&mut tx, caller, &t, action, changes).await?;
    tx.commit().await?;
    Ok(())
}

/// Turns public visibility on (a new public token, returned once: any earlier one stops
/// working) or off (the token is revoked at once; `None` is returned).
pub async fn set_public<I>(caller: &Caller, t: Target<'_, I>, public: bool) -> Result<Option<SecretText>, AppError>
where
    I: for<'q> Encode<'q, Any> + Type<Any> + Send + Copy + Display,
{
    let token = public.then(|| tokens::generate(TokenKind::PublicToken));
    let hash = token.as_ref().map(|t| tokens::token_hash(t.expose()));
    let mut tx = caller.state.db.begin().await?;
    pki::set_public_token(&mut tx, t.table, t.id, hash.as_deref(), caller.user().id).await?;
    let action = match (public, t.public) {
        (true, false) => "publish",
        (true, true) => "reissue_public_token",
        (false, _) => "unpublish",
    };
    let changes = vec![Change::values("public", Some(&t.public.to_string()), Some(&public.to_string()))];
    record(&mut tx, caller, &t, action, changes).await?;
    tx.commit().await?;
    Ok(token)
}

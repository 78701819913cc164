//! Users, as Admins manage them: the list, invitations, disabling and enabling, the Admin role
//! and password-reset links — plus the two public pages a link opens (accept an invitation,
//! choose a new password).
//!
//! Rules:
//! - Only Admins manage users (`Action::ManageInstance`); users are never deleted.
//! - An invitation link is valid 7 days, a reset link 24 hours; each works once. Issuing a
//!   fresh link voids the user's earlier open link of the same kind; disabling voids all.
//! - The last active Admin can be neither disabled nor demoted. Nobody disables themselves;
//!   an Admin may hand the role on and then drop it themselves.
//! - Acting on a user whose state changed meanwhile (a stale page) changes nothing and says why.
//! - Changes and their audit entries share one transaction; user changes take turns
//!   (`users::lock_user_changes`) so concurrent Admins cannot race past the rules.

use crate::domain::ids::UserId;
use crate::domain::permission::{Action, Resource};
use crate::domain::session::{LockKind, SignInLock};
use crate::domain::time::{Micros, rfc3339};
use crate::domain::user::{IssuedLinkView, LinkOwner, LinkPurpose, UserStatus, UserSummary};
use crate::domain::validate::{DisplayName, EMAIL_MAX, Email, Password};
use crate::domain::{AppError, ErrorCode};
use crate::server::audit::{self, Actor, Change, Entry};
use crate::server::crypto::SecretText;
use crate::server::db::Tx;
use crate::server::error::is_unique_violation;
use crate::server::repo::invitations::{self, LinkKind, LinkRow, NewLink};
use crate::server::repo::sessions;
use crate::server::repo::throttle;
use crate::server::repo::user_log::{self, Event, LogLine};
use crate::server::repo::users::{self, UserFilter, UserRecord, UserState};
use crate::server::services::auth::{self, NewSession};
use crate::server::services::{actor, mail, require};
use crate::server::tokens::{self, TokenKind};
use crate::server::{Anonymous, AppState, Caller, RequestMeta, clock};

/// How long an invitation link works.
pub const INVITATION_DAYS: i64 = 7;
/// How long a password-reset link works.
pub const RESET_HOURS: i64 = 24;

/// The one answer for an unknown, malformed, expired, used or replaced link: which of these
/// it was is not said.
pub const INVALID_LINK: &str = "This link cannot be used: it may have expired, been used already or been replaced by a \
                                newer one. Ask an Admin of this Secryn for a new link.";

fn invalid_link() -> AppError {
    AppError::new(ErrorCode::Gone, INVALID_LINK)
}

fn no_such_user() -> AppError {
    AppError::not_found("No such user. The list may be out of date; reload it.")
}

fn lifetime(kind: LinkKind) -> Micros {
    match kind {
        LinkKind::Invitation => clock::minutes(INVITATION_DAYS * 24 * 60),
        LinkKind::PasswordReset => clock::minutes(RESET_HOURS * 60),
    }
}

fn token_kind(kind: LinkKind) -> TokenKind {
    match kind {
        LinkKind::Invitation => TokenKind::Invitation,
        LinkKind::PasswordReset => TokenKind::PasswordReset,
    }
}

/// A link just issued. The token is shown to the Admin once and never stored.
#[derive(Debug)]
pub struct IssuedLink {
    pub token: SecretText,
    pub kind: LinkKind,
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub expires_at: Micros,
    /// Queued to them by e-mail (e-mail is on).
    pub emailed: bool,
}

impl IssuedLink {
    /// The page the link opens, token included (`/invite/…` or `/reset/…`). The browser puts
    /// its own origin in front.
    pub fn path(&self) -> String {
        match self.kind {
            LinkKind::Invitation => format!("/invite/{}", self.token.expose()),
            LinkKind::PasswordReset => format!("/reset/{}", self.token.expose()),
        }
    }

    /// The link as the Admin's page shows it, once.
    pub fn view(&self) -> IssuedLinkView {
        IssuedLinkView {
            purpose: match self.kind {
                LinkKind::Invitation => LinkPurpose::Invitation,
                LinkKind::PasswordReset => LinkPurpose::PasswordReset,
            },
            path: self.path(),
            user_id: self.user_id,
            email: self.email.clone(),
            name: self.name.clone(),
            expires_at: self.expires_at,
            emailed: self.emailed,
        }
    }
}

/// A user's state as pages name it.
pub fn status(s: UserState) -> UserStatus {
    match s {
        UserState::Pending => UserStatus::Pending,
        UserState::Active => UserStatus::Active,
        UserState::Disabled => UserStatus::Disabled,
    }
}

async fn guard(caller: &Caller) -> Result<(), AppError> {
    require(caller, Action::ManageInstance, Resource::Instance, "user").await
}

fn parse_id(id: &str) -> Result<UserId, AppError> {
    UserId::parse(id.trim()).ok_or_else(no_such_user)
}

/// Reads the target user inside the write transaction, after taking the users lock, so the
/// checks below see what the change will change.
async fn load_for_change(tx: &mut Tx, id: UserId) -> Result<UserRecord, AppError> {
    users::lock_user_changes(tx).await?;
    users::find(&mut **tx, id).await?.ok_or_else(no_such_user)
}

async fn record(
    tx: &mut Tx,
    key: &audit::AuditKey,
    who: &Actor,
    action: &str,
    user: &UserRecord,
    changes: Vec<Change>,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    audit::append(
        tx,
        key,
        Entry {
            actor: who,
            action,
            resource_type: "user",
            resource_id: Some(user.id.to_string()),
            resource_name: Some(user.email.clone()),
            changes,
            source_ip: meta.ip.clone(),
        },
    )
    .await?;
    Ok(())
}

/// Voids the user's open links of `kind` and stores a fresh one; when e-mail is on, the link
/// is queued to them in the same transaction (it goes out only if the link is issued).
async fn issue(tx: &mut Tx, caller: &Caller, kind: LinkKind, user: &UserRecord) -> Result<(IssuedLink, u64), AppError> {
    let (by, now) = (caller.user().id, clock::now());
    let outgoing = mail::Outgoing::load(&caller.state).await?;
    let voided = invitations::void_open(tx, user.id, Some(kind), now).await?;
    let token = tokens::generate(token_kind(kind));
    let expires_at = now + lifetime(kind);
    invitations::insert(
        tx,
        NewLink {
            token_hash: &tokens::token_hash(token.expose()),
            user: user.id,
            kind,
            created_by: Some(by),
            now,
            expires_at,
        },
    )
    .await?;
    let mut link = IssuedLink {
        token,
        kind,
        user_id: user.id,
        email: user.email.clone(),
        name: user.name.clone(),
        expires_at,
        emailed: false,
    };
    if let Some(out) = outgoing {
        let draft = out.link(&user.email, &user.name, kind == LinkKind::Invitation, &link.path(), expires_at);
        mail::enqueue(tx, &caller.state.master, &draft, now).await?;
        link.emailed = true;
    }
    Ok((link, voided))
}

/// Users matching a text (part of name or e-mail) and a state (`""` or `all` for any).
pub async fn list(caller: &Caller, text: &str, user_state: &str) -> Result<Vec<UserSummary>, AppError> {
    guard(caller).await?;
    let text = text.trim();
    if text.chars().count() > EMAIL_MAX {
        return Err(AppError::validation("q", format!("Use at most {EMAIL_MAX} characters.")));
    }
    let user_state = match user_state.trim() {
        "" | "all" => None,
        s => Some(
            UserState::from_name(s).ok_or_else(|| AppError::validation("state", "Choose a state from the list."))?,
        ),
    };
    let filter = UserFilter { text: (!text.is_empty()).then(|| text.to_owned()), state: user_state };
    let rows = users::list(caller.state.db.reader(), &filter).await?;
    Ok(rows
        .into_iter()
        .map(|item| {
            let u = item.user;
            let status = status(u.state);
            UserSummary {
                id: u.id,
                name: u.name,
                email: u.email,
                is_admin: u.is_admin,
                status,
                created_at: item.created_at,
            }
        })
        .collect())
}

/// Sign-in locks and slow-downs in force now, so an Admin can see who is held back.
pub async fn sign_in_locks(caller: &Caller) -> Result<Vec<SignInLock>, AppError> {
    guard(caller).await?;
    let now = clock::now();
    let window = clock::minutes(auth::WINDOW_MINUTES);
    let knobs = caller.state.knobs.get();
    let (ip_limit, account_limit) = (knobs.ip_failure_limit, knobs.account_failure_limit);
    let rows = throttle::busy(&caller.state.db, now - window, account_limit.min(ip_limit.max(1))).await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            let kind = match r.key.split_once(':')?.0 {
                "source" if r.attempts >= account_limit => LockKind::AccountFromAddress,
                "email" if r.attempts >= account_limit => LockKind::AccountSlowed,
                "ip" if ip_limit > 0 && r.attempts >= ip_limit => LockKind::Address,
                _ => return None,
            };
            let until = r.window_start + window;
            Some(SignInLock { key: r.key, kind, email: r.email, ip: r.ip, attempts: r.attempts, until })
        })
        .collect())
}

/// Lifts one sign-in lock before its time (audited).
pub async fn clear_sign_in_lock(caller: &Caller, key: &str) -> Result<(), AppError> {
    guard(caller).await?;
    let mut tx = caller.state.db.begin().await?;
    if !throttle::clear(&mut tx, key).await? {
        return Err(AppError::not_found("This lock has already been lifted. Reload the list."));
    }
    audit::append(
        &mut tx,
        &caller.state.audit_key,
        Entry {
            actor: &actor(caller),
            action: "sign_in_lock.clear",
            resource_type: "sign_in_lock",
            resource_id: None,
            resource_name: Some(key.chars().take(300).collect()),
            changes: vec![],
            source_ip: caller.meta.ip.clone(),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn already_exists(existing: &UserRecord) -> AppError {
    if existing.state == UserState::Pending {
        AppError::validation(
            "email",
            "This person is already invited. Use “New link” beside them in the list for a fresh invitation link.",
        )
    } else {
        AppError::validation("email", "A user with this e-mail address already exists.")
    }
}

/// Creates a pending user and their invitation link.
pub async fn invite(caller: &Caller, name: &str, email: &str) -> Result<IssuedLink, AppError> {
    guard(caller).await?;
    let name = DisplayName::parse("name", name)?;
    let email = Email::parse("email", email)?;
    let mut tx = caller.state.db.begin().await?;
    users::lock_user_changes(&mut tx).await?;
    if let Some(existing) = users::find_by_email(&mut *tx, email.as_str()).await? {
        return Err(already_exists(&existing));
    }
    let new = users::NewUser {
        email: email.as_str(),
        name: name.as_str(),
        password_hash: None,
        is_admin: false,
        state: UserState::Pending,
    };
    let id = match users::insert(&mut tx, new).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => {
            return Err(AppError::validation("email", "A user with this e-mail address already exists."));
        }
        Err(e) => return Err(e.into()),
    };
    let user = users::find(&mut *tx, id).await?.ok_or_else(AppError::internal)?;
    let (link, _) = issue(&mut tx, caller, LinkKind::Invitation, &user).await?;
    let changes = vec![
        Change::values("email", None, Some(email.as_str())),
        Change::values("name", None, Some(name.as_str())),
        Change::values("state", None, Some(UserState::Pending.as_str())),
        Change::values("link_expires_at", None, Some(&rfc3339(link.expires_at))),
    ];
    record(&mut tx, &caller.state.audit_key, &actor(caller), "user.invite", &user, changes, &caller.meta).await?;
    tx.commit().await?;
    Ok(link)
}

/// A fresh invitation link for a pending user; their earlier link stops working.
pub async fn reinvite(caller: &Caller, user_id: &str) -> Result<IssuedLink, AppError> {
    guard(caller).await?;
    let id = parse_id(user_id)?;
    let mut tx = caller.state.db.begin().await?;
    let user = load_for_change(&mut tx, id).await?;
    match user.state {
        UserState::Pending => {}
        UserState::Active => {
            return Err(AppError::conflict(format!(
                "{} has already accepted their invitation; nothing was changed.",
                user.email
            )));
        }
        UserState::Disabled => {
            return Err(AppError::conflict(format!("{} is disabled. Enable them first.", user.email)));
        }
    }
    let (link, voided) = issue(&mut tx, caller, LinkKind::Invitation, &user).await?;
    let changes = vec![
        Change::values("voided_links", None, Some(&voided.to_string())),
        Change::values("link_expires_at", None, Some(&rfc3339(link.expires_at))),
    ];
    record(&mut tx, &caller.state.audit_key, &actor(caller), "user.reinvite", &user, changes, &caller.meta).await?;
    tx.commit().await?;
    Ok(link)
}

/// A password-reset link for an active user; their earlier reset link stops working.
pub async fn reset_link(caller: &Caller, user_id: &str) -> Result<IssuedLink, AppError> {
    guard(caller).await?;
    let id = parse_id(user_id)?;
    let mut tx = caller.state.db.begin().await?;
    let user = load_for_change(&mut tx, id).await?;
    match user.state {
        UserState::Active => {}
        UserState::Pending => {
            return Err(AppError::conflict(format!(
                "{} has not accepted their invitation yet; issue a new invitation link instead.",
                user.email
            )));
        }
        UserState::Disabled => {
            return Err(AppError::conflict(format!(
                "{} is disabled. Enable them before issuing a password reset link.",
                user.email
            )));
        }
    }
    let (link, voided) = issue(&mut tx, caller, LinkKind::PasswordReset, &user).await?;
    let changes = vec![
        Change::values("voided_links", None, Some(&voided.to_string())),
        Change::values("link_expires_at", None, Some(&rfc3339(link.expires_at))),
    ];
    record(&mut tx, &caller.state.audit_key, &actor(caller), "user.reset_link", &user, changes, &caller.meta).await?;
    tx.commit().await?;
    Ok(link)
}

fn last_admin(user: &UserRecord, doing: &str) -> AppError {
    AppError::conflict(format!(
        "{} is the last active Admin and cannot be {doing}. Make someone else an Admin first.",
        user.email
    ))
}

/// Disables a user: they cannot sign in, every session of theirs ends at once and their open
/// links stop working. Nothing of theirs is deleted.
pub async fn disable(caller: &Caller, user_id: &str) -> Result<(), AppError> {
    guard(caller).await?;
    let id = parse_id(user_id)?;
    if id == caller.user().id {
        return Err(AppError::forbidden("You cannot disable your own account. Ask another Admin to do it."));
    }
    let mut tx = caller.state.db.begin().await?;
    let user = load_for_change(&mut tx, id).await?;
    if user.state == UserState::Disabled {
        return Err(AppError::conflict(format!("{} is already disabled; nothing was changed.", user.email)));
    }
    if user.is_admin && user.state == UserState::Active && users::count_active_admins(&mut *tx).await? <= 1 {
        return Err(last_admin(&user, "disabled"));
    }
    users::set_state(&mut tx, id, UserState::Disabled).await?;
    let ended = sessions::delete_for_user(&mut tx, id, None).await?;
    let voided = invitations::void_open(&mut tx, id, None, clock::now()).await?;
    let changes = vec![
        Change::values("state", Some(user.state.as_str()), Some(UserState::Disabled.as_str())),
        Change::values("sessions_ended", None, Some(&ended.to_string())),
        Change::values("voided_links", None, Some(&voided.to_string())),
    ];
    record(&mut tx, &caller.state.audit_key, &actor(caller), "user.disable", &user, changes, &caller.meta).await?;
    tx.commit().await?;
    Ok(())
}

/// Enables a disabled user again: active if they had accepted their invitation, else pending
/// (they then need a new invitation link).
pub async fn enable(caller: &Caller, user_id: &str) -> Result<UserStatus, AppError> {
    guard(caller).await?;
    let id = parse_id(user_id)?;
    let mut tx = caller.state.db.begin().await?;
    let user = load_for_change(&mut tx, id).await?;
    if user.state != UserState::Disabled {
        return Err(AppError::conflict(format!("{} is not disabled; nothing was changed.", user.email)));
    }
    let new_state = if user.has_password { UserState::Active } else { UserState::Pending };
    users::set_state(&mut tx, id, new_state).await?;
    let changes = vec![Change::values("state", Some(user.state.as_str()), Some(new_state.as_str()))];
    record(&mut tx, &caller.state.audit_key, &actor(caller), "user.enable", &user, changes, &caller.meta).await?;
    tx.commit().await?;
    Ok(status(new_state))
}

/// Makes a user an Admin.
pub async fn grant_admin(caller: &Caller, user_id: &str) -> Result<(), AppError> {
    guard(caller).await?;
    let id = parse_id(user_id)?;
    let mut tx = caller.state.db.begin().await?;
    let user = load_for_change(&mut tx, id).await?;
    if user.is_admin {
        return Err(AppError::conflict(format!("{} is already an Admin; nothing was changed.", user.email)));
    }
    if user.state == UserState::Disabled {
        return Err(AppError::conflict(format!("{} is disabled. Enable them first.", user.email)));
    }
    users::set_admin(&mut tx, id, true).await?;
    let changes = vec![Change::values("admin", Some("false"), Some("true"))];
    record(&mut tx, &caller.state.audit_key, &actor(caller), "user.grant_admin", &user, changes, &caller.meta).await?;
    tx.commit().await?;
    Ok(())
}

/// Takes the Admin role away (also from oneself), unless that leaves no active Admin.
pub async fn revoke_admin(caller: &Caller, user_id: &str) -> Result<(), AppError> {
    guard(caller).await?;
    let id = parse_id(user_id)?;
    let mut tx = caller.state.db.begin().await?;
    let user = load_for_change(&mut tx, id).await?;
    if !user.is_admin {
        return Err(AppError::conflict(format!("{} is not an Admin; nothing was changed.", user.email)));
    }
    if user.state == UserState::Active && users::count_active_admins(&mut *tx).await? <= 1 {
        return Err(last_admin(&user, "demoted"));
    }
    users::set_admin(&mut tx, id, false).await?;
    let changes = vec![Change::values("admin", Some("true"), Some("false"))];
    record(&mut tx, &caller.state.audit_key, &actor(caller), "user.revoke_admin", &user, changes, &caller.meta).await?;
    tx.commit().await?;
    Ok(())
}

/// The link for `token` and its user, if the link can still be used for `kind`. Read inside
/// the write transaction when `tx` is given.
async fn usable_link(
    state: &AppState,
    tx: Option<&mut Tx>,
    kind: LinkKind,
    token: &str,
) -> Result<(LinkRow, UserRecord), AppError> {
    let token = token.trim();
    if !tokens::well_formed(token_kind(kind), token) {
        return Err(invalid_link());
    }
    let hash = tokens::token_hash(token);
    let (link, user) = match tx {
        Some(tx) => {
            let link = invitations::find_by_hash(&mut **tx, &hash).await?;
            let user = match &link {
                Some(l) => users::find(&mut **tx, l.user_id).await?,
                None => None,
            };
            (link, user)
        }
        None => {
            let link = invitations::find_by_hash(state.db.reader(), &hash).await?;
            let user = match &link {
                Some(l) => users::find(state.db.reader(), l.user_id).await?,
                None => None,
            };
            (link, user)
        }
    };
    let wanted_state = match kind {
        LinkKind::Invitation => UserState::Pending,
        LinkKind::PasswordReset => UserState::Active,
    };
    match (link, user) {
        (Some(link), Some(user)) if link.kind == kind && link.usable(clock::now()) && user.state == wanted_state => {
            Ok((link, user))
        }
        _ => Err(invalid_link()),
    }
}

/// Who an invitation link is for, while it can be used.
pub async fn invitation(state: &AppState, token: &str) -> Result<LinkOwner, AppError> {
    let (_, user) = usable_link(state, None, LinkKind::Invitation, token).await?;
    Ok(LinkOwner { email: user.email, name: user.name })
}

/// Who a password-reset link is for, while it can be used.
pub async fn reset(state: &AppState, token: &str) -> Result<LinkOwner, AppError> {
    let (_, user) = usable_link(state, None, LinkKind::PasswordReset, token).await?;
    Ok(LinkOwner { email: user.email, name: user.name })
}

fn new_password(password: String, confirm: String) -> Result<Password, AppError> {
    let password = Password::new_choice("password", password)?;
    if password.expose() != confirm {
        return Err(AppError::validation("password_confirm", "The two passwords are not the same."));
    }
    Ok(password)
}

/// Accepts an invitation: sets the name and password, makes the user active, uses up the link
/// and signs them in.
pub async fn accept_invitation(
    caller: &Caller<Anonymous>,
    token: &str,
    name: &str,
    password: String,
    confirm: String,
) -> Result<NewSession, AppError> {
    usable_link(&caller.state, None, LinkKind::Invitation, token).await?;
    let name = DisplayName::parse("name", name)?;
    let password = new_password(password, confirm)?;
    let hash = caller.state.hasher.hash(&password).await?;

    let mut tx = caller.state.db.begin().await?;
    users::lock_user_changes(&mut tx).await?;
    let (link, user) = usable_link(&caller.state, Some(&mut tx), LinkKind::Invitation, token).await?;
    let now = clock::now();
    if !invitations::mark_used(&mut tx, &link.id, now).await? {
        return Err(invalid_link());
    }
    invitations::void_open(&mut tx, user.id, None, now).await?;
    users::activate(&mut tx, user.id, name.as_str(), &hash).await?;
    let mut changes = vec![Change::values("state", Some(user.state.as_str()), Some(UserState::Active.as_str()))];
    if user.name != name.as_str() {
        changes.push(Change::values("name", Some(&user.name), Some(name.as_str())));
    }
    changes.push(Change::changed("password"));
    let who = Actor::User { id: user.id, name: name.as_str().to_owned() };
    record(&mut tx, &caller.state.audit_key, &who, "user.accept_invitation", &user, changes, &caller.meta).await?;
    let line = LogLine {
        user_id: Some(user.id),
        email: Some(&user.email),
        event: Event::SignIn,
        ip: caller.meta.ip.as_deref(),
        user_agent: caller.meta.user_agent.as_deref(),
        detail: Some("invitation accepted"),
    };
    user_log::append(&mut tx, line).await?;
    let session = auth::start_session(caller, &mut tx, user.id).await?;
    tx.commit().await?;
    Ok(session)
}

/// Uses a password-reset link: sets the new password, uses up the link, ends every session
/// of the user and lifts a sign-in lockout of their address. They then sign in.
pub async fn accept_reset(
    caller: &Caller<Anonymous>,
    token: &str,
    password: String,
    confirm: String,
) -> Result<(), AppError> {
    usable_link(&caller.state, None, LinkKind::PasswordReset, token).await?;
    let password = new_password(password, confirm)?;
    let hash = caller.state.hasher.hash(&password).await?;

    let mut tx = caller.state.db.begin().await?;
    users::lock_user_changes(&mut tx).await?;
    let (link, user) = usable_link(&caller.state, Some(&mut tx), LinkKind::PasswordReset, token).await?;
    let now = clock::now();
    if !invitations::mark_used(&mut tx, &link.id, now).await? {
        return Err(invalid_link());
    }
    invitations::void_open(&mut tx, user.id, Some(LinkKind::PasswordReset), now).await?;
    users::set_password_hash(&mut tx, user.id, &hash).await?;
    let ended = sessions::delete_for_user(&mut tx, user.id, None).await?;
    throttle::clear_account(&mut tx, &user.email).await?;
    let changes = vec![Change::changed("password"), Change::values("sessions_ended", None, Some(&ended.to_string()))];
    let who = Actor::User { id: user.id, name: user.name.clone() };
    record(&mut tx, &caller.state.audit_key, &who, "user.password_reset", &user, changes, &caller.meta).await?;
    let line = LogLine {
        user_id: Some(user.id),
        email: Some(&user.email),
        event: Event::PasswordChanged,
        ip: caller.meta.ip.as_deref(),
        user_agent: caller.meta.user_agent.as_deref(),
        detail: Some("password reset link"),
    };
    user_log::append(&mut tx, line).await?;
    tx.commit().await?;
    Ok(())
}

//! E-mail (SPEC §7): the SMTP server Admins set, the outbox every message waits in, and the
//! job that delivers it.
//!
//! A message is queued inside the transaction of the action that causes it (an invitation,
//! a reset link, an expiry digest), so it exists only if the action happened, and the action
//! never waits for the SMTP server. The delivery job sends what is due: each message is
//! claimed by one node at a time (compare-and-set on `claimed_until`), a failure is retried
//! after 1, 2, 4 … minutes (at most an hour apart), and after [`MAX_ATTEMPTS`] tries the
//! message is given up on and every Admin is told. A delivered message is deleted: its body
//! may hold a link that opens an account. Bodies and the SMTP password are sealed by the
//! master key (`MasterKey::seal_value`), so the database alone reveals neither.

use super::{actor, notifications, require};
use crate::domain::AppError;
use crate::domain::mail::{MailView, Security, Smtp, SmtpInput, Undelivered};
use crate::domain::notification::Item;
use crate::domain::permission::{Action, Resource};
use crate::domain::time::Micros;
use crate::server::audit::{self, Change, Entry};
use crate::server::crypto::MasterKeys;
use crate::server::db::{Columns as _, Db, Tx};
use crate::server::{AppState, Caller, clock};
use lettre::message::{Mailbox, header::ContentType};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use std::time::Duration;
use zeroize::Zeroizing;

/// Tries before a message is given up on (about two hours after the first).
pub const MAX_ATTEMPTS: i64 = 8;
/// How long one node holds a message while it sends it (longer than one SMTP conversation).
const CLAIM_FOR: Micros = 120_000_000;
/// How long one SMTP conversation may take, connecting included.
const SEND_TIMEOUT: Duration = Duration::from_secs(20);
/// Messages one run of the job sends at most; the rest wait for the next run.
const RUN_LIMIT: i64 = 50;
/// Undelivered messages the settings page lists.
const UNDELIVERED_LIMIT: i64 = 50;
/// Given-up messages are deleted this long after they were queued.
const KEEP_FAILED: Micros = 30 * 86_400_000_000;
/// The longest SMTP answer kept as a message's last error.
const ERROR_MAX: usize = 300;

/// The sealed SMTP password's associated data (one row, so one name).
pub fn password_aad(_row: &str) -> Vec<u8> {
    b"instance_settings.smtp_password".to_vec()
}

/// A queued body's associated data: its message's id, so no body can be moved to another.
pub fn body_aad(id: &str) -> Vec<u8> {
    format!("mail_outbox.body {id}").into_bytes()
}

/// The wait after the `attempts`-th failed try: 1, 2, 4 … minutes, at most an hour.
pub fn backoff(attempts: i64) -> Micros {
    let minutes = 1i64 << (attempts.clamp(1, 7) - 1);
    clock::minutes(minutes.min(60))
}

/// The settings as stored, the sealed password beside them.
struct Stored {
    smtp: Smtp,
    sealed: Option<(Vec<u8>, Option<String>)>,
}

async fn stored(db: &Db) -> Result<Stored, sqlx::Error> {
    let row = sqlx::query(
        "select smtp_host, smtp_port, smtp_security, smtp_username, smtp_password_sealed, smtp_master_key_id, \
         smtp_from, updated_at from instance_settings where id = 1",
    )
    .fetch_optional(db.reader())
    .await?;
    let Some(r) = row else {
        return Ok(Stored { smtp: Smtp { port: 587, ..Smtp::default() }, sealed: None });
    };
    let sealed: Option<Vec<u8>> = r.cell(4)?;
    let port: i64 = r.cell(1)?;
    let security: String = r.cell(2)?;
    let key_id: Option<String> = r.cell(5)?;
    Ok(Stored {
        smtp: Smtp {
            host: r.cell(0)?,
            port: u16::try_from(port).unwrap_or(587),
            security: Security::parse(&security).unwrap_or_default(),
            username: r.cell(3)?,
            password_set: sealed.is_some(),
            from: r.cell(6)?,
            updated_at: Some(r.cell(7)?),
        },
        sealed: sealed.map(|s| (s, key_id)),
    })
}

/// Admin → Settings' e-mail part.
pub async fn view(caller: &Caller) -> Result<MailView, AppError> {
    require(caller, Action::ManageInstance, Resource::Instance, "e-mail settings").await?;
    load_view(&caller.state.db).await
}

async fn load_view(db: &Db) -> Result<MailView, AppError> {
    let smtp = stored(db).await?.smtp;
    let queued: i64 =
        sqlx::query_scalar("select count(*) from mail_outbox where failed_at is null").fetch_one(db.reader()).await?;
    let rows = sqlx::query(
        "select id, kind, to_address, subject, created_at, attempts, last_error, next_attempt_at, failed_at \
         from mail_outbox where last_error is not null order by created_at desc, id limit $1",
    )
    .bind(UNDELIVERED_LIMIT)
    .fetch_all(db.reader())
    .await?;
    let mut undelivered = Vec::with_capacity(rows.len());
    for r in &rows {
        let failed: Option<Micros> = r.cell(8)?;
        undelivered.push(Undelivered {
            id: r.cell(0)?,
            kind: r.cell(1)?,
            to: r.cell(2)?,
            subject: r.cell(3)?,
            created_at: r.cell(4)?,
            attempts: r.cell(5)?,
            last_error: r.cell::<Option<String>>(6)?.unwrap_or_default(),
            next_attempt_at: if failed.is_some() { None } else { Some(r.cell(7)?) },
        });
    }
    Ok(MailView { smtp, queued, undelivered })
}

/// Saves the SMTP settings after checking every field. An empty password field keeps the
/// stored password; `clear_password` removes it. Audited with every changed field (the
/// password only as "changed").
pub async fn save(caller: &Caller, input: &SmtpInput) -> Result<MailView, AppError> {
    require(caller, Action::ManageInstance, Resource::Instance, "e-mail settings").await?;
    let checked = input.check()?;
    let state = &caller.state;
    let before = stored(&state.db).await?.smtp;
    let master = state.master.current();
    let password = match (input.clear_password, input.password.is_empty()) {
        (true, _) => Some(None),
        (false, false) => Some(Some(master.seal_value(input.password.as_bytes(), &password_aad("1")))),
        (false, true) => None,
    };
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "insert into instance_settings (id, smtp_host, smtp_port, smtp_security, smtp_username, smtp_from, \
         updated_by, updated_at) values (1, $1, $2, $3, $4, $5, $6, $7) on conflict (id) do update set \
         smtp_host = excluded.smtp_host, smtp_port = excluded.smtp_port, smtp_security = excluded.smtp_security, \
         smtp_username = excluded.smtp_username, smtp_from = excluded.smtp_from, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
    )
    .bind(&checked.host)
    .bind(i64::from(checked.port))
    .bind(checked.security.as_str())
    .bind(&checked.username)
    .bind(&checked.from)
    .bind(caller.user().id.to_string())
    .bind(clock::now())
    .execute(&mut *tx)
    .await?;
    if let Some(sealed) = &password {
        sqlx::query("update instance_settings set smtp_password_sealed = $1, smtp_master_key_id = $2 where id = 1")
            .bind(sealed.as_deref())
            .bind(sealed.as_ref().map(|_| state.master.current_id()))
            .execute(&mut *tx)
            .await?;
    }
    let mut changes = Vec::new();
    let mut note = |field: &str, old: String, new: String| {
        if old != new {
            changes.push(Change::values(field, Some(old.as_str()), Some(new.as_str())));
        }
    };
    note("smtp_host", before.host, checked.host);
    note("smtp_port", before.port.to_string(), checked.port.to_string());
    note("smtp_security", before.security.as_str().into(), checked.security.as_str().into());
    note("smtp_username", before.username, checked.username);
    note("smtp_from", before.from, checked.from);
    if password.is_some() {
        changes.push(Change::changed("smtp_password"));
    }
    record(&mut tx, caller, "settings.smtp", changes).await?;
    tx.commit().await?;
    load_view(&state.db).await
}

/// The audit entry for an Admin's action on the e-mail settings.
async fn record(tx: &mut Tx, caller: &Caller, action: &str, changes: Vec<Change>) -> Result<(), sqlx::Error> {
    let entry = Entry {
        actor: &actor(caller),
        action,
        resource_type: "instance",
        resource_id: None,
        resource_name: Some("e-mail settings".into()),
        changes,
        source_ip: caller.meta.ip.clone(),
    };
    audit::append(tx, &caller.state.audit_key, entry).await
}

/// Sends a test message to the asking Admin now, with the saved settings, and says what the
/// SMTP server answered. Audited with the outcome.
pub async fn send_test(caller: &Caller) -> Result<String, AppError> {
    require(caller, Action::ManageInstance, Resource::Instance, "e-mail settings").await?;
    let state = &caller.state;
    let server = Server::load(state).await?.ok_or_else(|| {
        AppError::validation("host", "Save the SMTP settings first: e-mail is off while the host is empty.")
    })?;
    let to = caller.user().email.clone();
    let body = Zeroizing::new(format!(
        "Hello {},\n\nThis is a test e-mail from {}. The SMTP settings work: invitations, password-reset \
         links and expiry digests will reach people.\n\n{}\n",
        caller.user().name,
        server.instance,
        state.settings.public_url
    ));
    let subject = format!("{}: test e-mail", server.instance);
    let outcome = server.send(&to, &subject, &body).await;
    let mut tx = state.db.begin().await?;
    let result = match &outcome {
        Ok(()) => "sent".to_owned(),
        Err(e) => format!("failed: {e}"),
    };
    let changes = vec![Change::values("to", None, Some(&to)), Change::values("result", None, Some(&result))];
    record(&mut tx, caller, "mail.test", changes).await?;
    tx.commit().await?;
    match outcome {
        Ok(()) => Ok(format!("A test e-mail was sent to {to}.")),
        Err(e) => Err(AppError::unavailable(format!("The test e-mail could not be sent: {e}"))),
    }
}

/// A message before it is queued. The body may carry a link that opens an account: it is
/// wiped from memory when dropped and sealed before it is stored.
pub struct Draft {
    /// What it is for, as Admins read it in the undelivered list.
    pub kind: &'static str,
    pub to: String,
    pub subject: String,
    pub body: Zeroizing<String>,
}

/// What queuing needs to know once per action: whether e-mail is on, the instance's name
/// and the address people open it at.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub instance: String,
    pub base: String,
}

impl Outgoing {
    /// `None` while e-mail is off (no SMTP host saved): nothing is queued then.
    pub async fn load(state: &AppState) -> Result<Option<Outgoing>, sqlx::Error> {
        if !stored(&state.db).await?.smtp.enabled() {
            return Ok(None);
        }
        Ok(Some(Outgoing { instance: instance_name(&state.db).await?, base: state.settings.public_url.clone() }))
    }

    /// The message carrying an invitation or a password-reset link (`path` is the link's
    /// page, token included).
    pub fn link(&self, to: &str, name: &str, invitation: bool, path: &str, expires_at: Micros) -> Draft {
        let (kind, subject, what) = if invitation {
            (
                "invitation",
                format!("You are invited to {}", self.instance),
                "accept the invitation and choose a password",
            )
        } else {
            ("password reset", format!("Reset your {} password", self.instance), "choose a new password")
        };
        let body = format!(
            "Hello {name},\n\nOpen this link to {what}:\n\n{}{path}\n\nThe link works once, until {}. If you did not \
             expect it, ignore this message.\n\n{}\n",
            self.base,
            crate::domain::time::short(expires_at),
            self.instance
        );
        Draft { kind, to: to.to_owned(), subject, body: Zeroizing::new(body) }
    }

    /// The e-mailed expiry digest: every item with its page. Names only, never a value.
    pub fn digest(&self, to: &str, name: &str, title: &str, items: &[Item]) -> Draft {
        let mut body = format!("Hello {name},\n\n{}:\n\n", "These items in your vaults are expiring or have expired");
        for item in items {
            body.push_str(&format!(
                "- {} (in {}), expiration {}\n  {}{}\n",
                item.line(),
                item.place,
                crate::domain::time::short(item.expires_at),
                self.base,
                item.href()
            ));
        }
        body.push_str(&format!(
            "\nYou receive this because you can see them. Turn these e-mails off under Profile: {}/profile\n",
            self.base
        ));
        Draft {
            kind: "expiry digest",
            to: to.to_owned(),
            subject: format!("{}: {title}", self.instance),
            body: Zeroizing::new(body),
        }
    }
}

async fn instance_name(db: &Db) -> Result<String, sqlx::Error> {
    Ok(crate::server::repo::instance::get(db).await?.map(|i| i.name).unwrap_or_else(|| "Secryn".into()))
}

/// Queues `draft` inside the caller's transaction, its body sealed by the current master key.
pub async fn enqueue(tx: &mut Tx, master: &MasterKeys, draft: &Draft, now: Micros) -> Result<(), sqlx::Error> {
    let id = uuid::Uuid::now_v7().to_string();
    let sealed = master.current().seal_value(draft.body.as_bytes(), &body_aad(&id));
    sqlx::query(
        "insert into mail_outbox (id, kind, to_address, subject, body_sealed, master_key_id, created_at, \
         next_attempt_at) values ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(&id)
    .bind(draft.kind)
    .bind(&draft.to)
    .bind(&draft.subject)
    .bind(sealed)
    .bind(master.current_id())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The SMTP server, ready to send with the saved settings.
struct Server {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    instance: String,
}

impl Server {
    /// `None` while e-mail is off; an error when the settings cannot be used here (the
    /// password is sealed by a master key this node lacks, a bad host).
    async fn load(state: &AppState) -> Result<Option<Server>, AppError> {
        let stored = stored(&state.db).await?;
        let smtp = &stored.smtp;
        if !smtp.enabled() {
            return Ok(None);
        }
        let password = match &stored.sealed {
            None => None,
            Some((sealed, key_id)) => Some(
                state
                    .master
                    .unwrap_by(key_id.as_deref(), |m| m.open_value(sealed, &password_aad("1")))
                    .map_err(|_| {
                        AppError::unavailable(
                            "The SMTP password is sealed by a master key this node lacks; enter it again.",
                        )
                    })?
                    .0,
            ),
        };
        let builder = match smtp.security {
            Security::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host),
            Security::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host),
            Security::None => Ok(AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host)),
        }
        .map_err(|e| AppError::validation("host", format!("This host cannot be used: {e}")))?;
        let mut builder = builder.port(smtp.port).timeout(Some(SEND_TIMEOUT));
        if !smtp.username.is_empty() {
            let secret = password.as_deref().map(|p| String::from_utf8_lossy(p).into_owned()).unwrap_or_default();
            builder = builder.credentials(Credentials::new(smtp.username.clone(), secret));
        }
        let instance = instance_name(&state.db).await?;
        let address = smtp.from.parse().map_err(|_| AppError::validation("from", "The From address is not valid."))?;
        Ok(Some(Server { transport: builder.build(), from: Mailbox::new(Some(instance.clone()), address), instance }))
    }

    /// One SMTP conversation for one message. The error is the server's answer or why it
    /// could not be reached, shortened; it never holds the password or the body.
    async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), String> {
        let to: Mailbox = to.parse().map_err(|_| "the recipient's address is not valid".to_owned())?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| format!("the message could not be built: {e}"))?;
        match tokio::time::timeout(SEND_TIMEOUT, self.transport.send(message)).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(shorten(&e.to_string())),
            Err(_) => Err(format!("no answer within {} seconds", SEND_TIMEOUT.as_secs())),
        }
    }
}

fn shorten(text: &str) -> String {
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    match text.char_indices().nth(ERROR_MAX) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// What one run of the delivery job did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivery {
    pub sent: u64,
    pub failed: u64,
    pub given_up: u64,
}

/// Sends the messages due at `now` (the clock is the caller's, so tests move it), each
/// claimed first so that on shared PostgreSQL one node sends it. While e-mail is off,
/// queued messages wait.
pub async fn deliver_due(state: &AppState, now: Micros) -> Result<Delivery, AppError> {
    let db = &state.db;
    sqlx::query("delete from mail_outbox where failed_at is not null and created_at < $1")
        .bind(now - KEEP_FAILED)
        .execute(db.write_pool())
        .await?;
    let ids: Vec<String> = sqlx::query_scalar(
        "select id from mail_outbox where failed_at is null and next_attempt_at <= $1 \
         and (claimed_until is null or claimed_until < $1) order by next_attempt_at, id limit $2",
    )
    .bind(now)
    .bind(RUN_LIMIT)
    .fetch_all(db.reader())
    .await?;
    let mut done = Delivery::default();
    if ids.is_empty() {
        return Ok(done);
    }
    let server = match Server::load(state).await {
        Ok(Some(server)) => Ok(server),
        Ok(None) => return Ok(done),
        Err(e) => Err(e.message),
    };
    for id in ids {
        let Some(message) = claim(state, &id, now).await? else { continue };
        let outcome = match &server {
            Ok(server) => match &message.body {
                Ok(body) => server.send(&message.to, &message.subject, body).await,
                Err(e) => Err(e.clone()),
            },
            Err(e) => Err(e.clone()),
        };
        match outcome {
            Ok(()) => {
                sqlx::query("delete from mail_outbox where id = $1").bind(&id).execute(db.write_pool()).await?;
                done.sent += 1;
            }
            Err(error) => {
                let gave_up = failed(state, &message, &error, now).await?;
                done.failed += 1;
                done.given_up += u64::from(gave_up);
            }
        }
    }
    Ok(done)
}

/// A claimed message, its body opened (or why it could not be).
struct Claimed {
    id: String,
    to: String,
    subject: String,
    attempts: i64,
    body: Result<Zeroizing<String>, String>,
}

/// Takes `id` for this node if nobody holds it, counting the try; `None` if another node
/// got there first or it was sent meanwhile.
async fn claim(state: &AppState, id: &str, now: Micros) -> Result<Option<Claimed>, sqlx::Error> {
    let db = &state.db;
    let taken = sqlx::query(
        "update mail_outbox set claimed_until = $1, attempts = attempts + 1 where id = $2 and failed_at is null \
         and (claimed_until is null or claimed_until < $3)",
    )
    .bind(now + CLAIM_FOR)
    .bind(id)
    .bind(now)
    .execute(db.write_pool())
    .await?;
    if taken.rows_affected() != 1 {
        return Ok(None);
    }
    let row =
        sqlx::query("select to_address, subject, attempts, body_sealed, master_key_id from mail_outbox where id = $1")
            .bind(id)
            .fetch_optional(db.write_pool())
            .await?;
    let Some(r) = row else { return Ok(None) };
    let (sealed, key_id): (Vec<u8>, String) = (r.cell(3)?, r.cell(4)?);
    let body = state
        .master
        .unwrap_by(Some(&key_id), |m| m.open_value(&sealed, &body_aad(id)))
        .map_err(|_| format!("the message is sealed by master key {key_id}, which this node lacks"))
        .map(|(plain, _)| Zeroizing::new(String::from_utf8_lossy(&plain).into_owned()));
    Ok(Some(Claimed { id: id.to_owned(), to: r.cell(0)?, subject: r.cell(1)?, attempts: r.cell(2)?, body }))
}

/// Records a failed try: the next one after the backoff, or, past [`MAX_ATTEMPTS`], gives
/// up and tells every Admin. True when it gave up.
async fn failed(state: &AppState, message: &Claimed, error: &str, now: Micros) -> Result<bool, sqlx::Error> {
    let give_up = message.attempts >= MAX_ATTEMPTS;
    let mut tx = state.db.begin().await?;
    sqlx::query(
        "update mail_outbox set claimed_until = null, last_error = $1, next_attempt_at = $2, failed_at = $3 \
         where id = $4",
    )
    .bind(error)
    .bind(now + backoff(message.attempts))
    .bind(give_up.then_some(now))
    .bind(&message.id)
    .execute(&mut *tx)
    .await?;
    if give_up {
        let title = format!("An e-mail to {} could not be delivered: {}", message.to, message.subject);
        notifications::to_admins(&mut tx, None, ("mail", &title), "/admin/settings#mail", now).await?;
    }
    tx.commit().await?;
    if give_up {
        tracing::warn!(attempts = message.attempts, "an e-mail was given up on after its last try");
    }
    Ok(give_up)
}

/// Queues the expiry digest for `user` if e-mail is on and they have not turned e-mail
/// notifications off (in their profile).
pub async fn queue_digest(
    tx: &mut Tx,
    state: &AppState,
    outgoing: &Outgoing,
    user: crate::domain::ids::UserId,
    (title, items): (&str, &[Item]),
    now: Micros,
) -> Result<(), sqlx::Error> {
    let row =
        sqlx::query("select email, name from users where id = $1 and state = 'active' and email_notifications = 1")
            .bind(user)
            .fetch_optional(&mut **tx)
            .await?;
    if let Some(r) = row {
        let (email, name): (String, String) = (r.cell(0)?, r.cell(1)?);
        enqueue(tx, &state.master, &outgoing.digest(&email, &name, title, items), now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_an_hour() {
        let waits: Vec<i64> = (1..=MAX_ATTEMPTS).map(|a| backoff(a) / 60_000_000).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 60, 60]);
    }

    #[test]
    fn errors_are_shortened_and_single_line() {
        let long = format!("550\r\n{}", "x".repeat(1000));
        let short = shorten(&long);
        assert!(short.chars().count() <= ERROR_MAX + 1 && !short.contains('\n'));
    }
}

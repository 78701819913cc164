//! Support tickets (SPEC §7): anyone signed in files a bug report or a feature request and
//! reads their own; Admins read every ticket, reply and set the status. A reply notifies the
//! other side (the author, or every Admin); every change is audited. Someone else's ticket
//! is "not found" to a person who is not an Admin, so ids reveal nothing.

use super::{actor, notifications, principal};
use crate::domain::AppError;
use crate::domain::permission::{Action, Decision, Resource, can};
use crate::domain::support::{
    NewTicket, OPEN_PER_PERSON, Ticket, TicketKind, TicketMessage, TicketStatus, TicketSummary, body,
};
use crate::domain::time::Micros;
use crate::server::audit::{self, Change, Entry};
use crate::server::db::{Columns as _, Tx};
use crate::server::{Caller, clock};

/// Tickets a list shows at most, the most recently changed first.
pub const LIST_LIMIT: i64 = 200;

const SUMMARY: &str = "t.id, t.kind, t.title, t.status, u.name, t.created_at, t.updated_at, \
     (select count(*) - 1 from support_messages m where m.ticket_id = t.id), t.author_id";

fn summary(r: &sqlx::any::AnyRow) -> Result<(TicketSummary, String), sqlx::Error> {
    let bad = |what: &str| sqlx::Error::Decode(format!("a ticket's {what} is not known").into());
    let (kind, status): (String, String) = (r.cell(1)?, r.cell(3)?);
    let s = TicketSummary {
        id: r.cell(0)?,
        kind: TicketKind::parse(&kind).ok_or_else(|| bad("kind"))?,
        title: r.cell(2)?,
        status: TicketStatus::parse(&status).ok_or_else(|| bad("status"))?,
        author: r.cell(4)?,
        created_at: r.cell(5)?,
        updated_at: r.cell(6)?,
        replies: r.cell(7)?,
    };
    Ok((s, r.cell(8)?))
}

/// Whether the caller answers for support (an Admin).
fn is_support(caller: &Caller) -> bool {
    matches!(can(principal(caller), Action::ManageInstance, Resource::Instance), Decision::Allow)
}

/// Files a ticket: its description is the first message; every Admin is notified.
pub async fn file(caller: &Caller, kind: &str, title: &str, description: &str) -> Result<String, AppError> {
    let new = NewTicket::parse(kind, title, description)?;
    let (db, me, now) = (&caller.state.db, caller.user().id, clock::now());
    let open: i64 =
        sqlx::query_scalar("select count(*) from support_tickets where author_id = $1 and status <> 'closed'")
            .bind(me)
            .fetch_one(db.reader())
            .await?;
    if open >= OPEN_PER_PERSON {
        return Err(AppError::conflict(format!(
            "You have {open} tickets open. Close some you no longer need before filing another."
        )));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let mut tx = db.begin().await?;
    sqlx::query(
        "insert into support_tickets (id, author_id, kind, title, status, created_at, updated_at) \
         values ($1, $2, $3, $4, 'open', $5, $5)",
    )
    .bind(&id)
    .bind(me)
    .bind(new.kind.as_str())
    .bind(&new.title)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    add_message(&mut tx, &id, caller, &new.description, now).await?;
    let title = format!("New {}: {}", new.kind.label().to_lowercase(), new.title);
    notifications::to_admins(&mut tx, Some(me), ("support", &title), &link(&id), now).await?;
    let changes = vec![Change::values("kind", None, Some(new.kind.as_str()))];
    record(&mut tx, caller, "support.create", (&id, &new.title), changes).await?;
    tx.commit().await?;
    Ok(id)
}

/// The caller's tickets, or every ticket for an Admin; `status` narrows the list (empty or
/// `all`: any).
pub async fn list(caller: &Caller, status: &str) -> Result<Vec<TicketSummary>, AppError> {
    let status = match status {
        "" | "all" => None,
        s => Some(TicketStatus::parse(s).ok_or_else(|| AppError::validation("status", "Unknown status."))?),
    };
    let mine = (!is_support(caller)).then(|| caller.user().id.to_string());
    let rows = sqlx::query(&format!(
        "select {SUMMARY} from support_tickets t join users u on u.id = t.author_id \
         where ($1 is null or t.author_id = $1) and ($2 is null or t.status = $2) \
         order by t.updated_at desc, t.id limit $3"
    ))
    .bind(mine)
    .bind(status.map(TicketStatus::as_str))
    .bind(LIST_LIMIT)
    .fetch_all(caller.state.db.reader())
    .await?;
    rows.iter().map(|r| summary(r).map(|(s, _)| s).map_err(AppError::from)).collect()
}

/// One ticket with its messages, for its author or an Admin.
pub async fn get(caller: &Caller, id: &str) -> Result<Ticket, AppError> {
    let (summary, _) = visible(caller, id).await?;
    let rows = sqlx::query(
        "select u.name, m.author_id, m.body, m.created_at, u.is_admin from support_messages m \
         join users u on u.id = m.author_id where m.ticket_id = $1 order by m.created_at, m.id",
    )
    .bind(id)
    .fetch_all(caller.state.db.reader())
    .await?;
    let author_id: String = sqlx::query_scalar("select author_id from support_tickets where id = $1")
        .bind(id)
        .fetch_one(caller.state.db.reader())
        .await?;
    let mut messages = Vec::with_capacity(rows.len());
    for r in &rows {
        let (by, admin): (String, i64) = (r.cell(1)?, r.cell(4)?);
        messages.push(TicketMessage {
            author: r.cell(0)?,
            from_support: admin != 0 && by != author_id,
            body: r.cell(2)?,
            at: r.cell(3)?,
        });
    }
    Ok(Ticket { summary, messages, can_set_status: is_support(caller) })
}

/// The ticket if the caller may read it (its author or an Admin), else "not found".
async fn visible(caller: &Caller, id: &str) -> Result<(TicketSummary, String), AppError> {
    let row = sqlx::query(&format!(
        "select {SUMMARY} from support_tickets t join users u on u.id = t.author_id where t.id = $1"
    ))
    .bind(id)
    .fetch_optional(caller.state.db.reader())
    .await?;
    let found = row.as_ref().map(summary).transpose()?;
    match found {
        Some((s, author)) if author == caller.user().id.to_string() || is_support(caller) => Ok((s, author)),
        _ => Err(AppError::not_found("No such ticket.")),
    }
}

/// Adds a reply. An Admin's reply marks the ticket answered and tells its author; the
/// author's reply opens it again (closed too) and tells every Admin.
pub async fn reply(caller: &Caller, id: &str, text: &str) -> Result<Ticket, AppError> {
    let text = body("body", text)?;
    let (summary, author) = visible(caller, id).await?;
    let (me, now) = (caller.user().id, clock::now());
    let by_author = author == me.to_string();
    let status = if by_author { TicketStatus::Open } else { TicketStatus::Answered };
    let mut tx = caller.state.db.begin().await?;
    add_message(&mut tx, id, caller, &text, now).await?;
    set(&mut tx, id, status, now).await?;
    if by_author {
        let title = format!("{} replied: {}", caller.user().name, summary.title);
        notifications::to_admins(&mut tx, Some(me), ("support", &title), &link(id), now).await?;
    } else {
        tell_author(&mut tx, &author, &format!("Support replied: {}", summary.title), id, now).await?;
    }
    let changes = vec![Change::values("status", Some(summary.status.as_str()), Some(status.as_str()))];
    record(&mut tx, caller, "support.reply", (id, &summary.title), changes).await?;
    tx.commit().await?;
    get(caller, id).await
}

/// Sets the status (Admins only); closing tells the author.
pub async fn set_status(caller: &Caller, id: &str, status: &str) -> Result<Ticket, AppError> {
    let status = TicketStatus::parse(status).ok_or_else(|| AppError::validation("status", "Unknown status."))?;
    let (summary, author) = visible(caller, id).await?;
    if !is_support(caller) {
        return Err(AppError::forbidden("Only an Admin sets a ticket's status."));
    }
    if summary.status == status {
        return get(caller, id).await;
    }
    let now = clock::now();
    let mut tx = caller.state.db.begin().await?;
    set(&mut tx, id, status, now).await?;
    if status == TicketStatus::Closed && author != caller.user().id.to_string() {
        tell_author(&mut tx, &author, &format!("Support closed: {}", summary.title), id, now).await?;
    }
    let changes = vec![Change::values("status", Some(summary.status.as_str()), Some(status.as_str()))];
    record(&mut tx, caller, "support.status", (id, &summary.title), changes).await?;
    tx.commit().await?;
    get(caller, id).await
}

/// Notifies the ticket's author (`author`, its id as stored) of `title`, leading to the ticket.
async fn tell_author(tx: &mut Tx, author: &str, title: &str, id: &str, now: Micros) -> Result<(), AppError> {
    let author = crate::domain::ids::UserId::parse(author).ok_or_else(AppError::internal)?;
    Ok(notifications::to_user(tx, author, "support", title, &link(id), now).await?)
}

fn link(id: &str) -> String {
    format!("/support/{id}")
}

async fn add_message(tx: &mut Tx, ticket: &str, caller: &Caller, text: &str, now: Micros) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into support_messages (id, ticket_id, author_id, body, created_at) values ($1, $2, $3, $4, $5)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(ticket)
    .bind(caller.user().id)
    .bind(text)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn set(tx: &mut Tx, id: &str, status: TicketStatus, now: Micros) -> Result<(), sqlx::Error> {
    sqlx::query("update support_tickets set status = $1, updated_at = $2 where id = $3")
        .bind(status.as_str())
        .bind(now)
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The audit entry: who, what, which ticket (by title), never the text of a message.
async fn record(
    tx: &mut Tx,
    caller: &Caller,
    action: &str,
    (id, title): (&str, &str),
    changes: Vec<Change>,
) -> Result<(), AppError> {
    let entry = Entry {
        actor: &actor(caller),
        action,
        resource_type: "support_ticket",
        resource_id: Some(id.to_owned()),
        resource_name: Some(title.to_owned()),
        changes,
        source_ip: caller.meta.ip.clone(),
    };
    audit::append(tx, &caller.state.audit_key, entry).await?;
    Ok(())
}

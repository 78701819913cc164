//! Each person's notifications (SPEC §7): the bell's list, its unread count, and marking
//! read. A person only ever reads and marks their own; what a notification says was decided
//! when it was written (the expiry watch checks who may see each resource).

use crate::domain::AppError;
use crate::domain::ids::{NotificationId, UserId};
use crate::domain::notification::{Inbox, Item, Notification};
use crate::domain::time::Micros;
use crate::server::db::{Columns as _, Db, Tx};
use crate::server::{Caller, clock};

/// The newest notifications a list shows; older ones stay in the database.
pub const LIST_LIMIT: i64 = 100;

/// The caller's newest notifications and their unread count.
pub async fn inbox(caller: &Caller) -> Result<Inbox, AppError> {
    let db = &caller.state.db;
    let me = caller.user().id;
    let rows = sqlx::query(
        "select id, title, items, created_at, read_at, link from notifications where user_id = $1 \
         order by created_at desc, id limit $2",
    )
    .bind(me)
    .bind(LIST_LIMIT)
    .fetch_all(db.reader())
    .await?;
    let notifications = rows.iter().map(notification).collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok(Inbox { notifications, unread: unread(db, me).await? })
}

fn notification(r: &sqlx::any::AnyRow) -> Result<Notification, sqlx::Error> {
    let items: String = r.cell(2)?;
    let read_at: Option<Micros> = r.cell(4)?;
    Ok(Notification {
        id: r.cell(0)?,
        title: r.cell(1)?,
        items: serde_json::from_str(&items).map_err(|e| sqlx::Error::Decode(e.into()))?,
        created_at: r.cell(3)?,
        read: read_at.is_some(),
        link: r.cell(5)?,
    })
}

/// How many of `user`'s notifications are unread (the bell's badge).
pub async fn unread(db: &Db, user: UserId) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from notifications where user_id = $1 and read_at is null")
        .bind(user)
        .fetch_one(db.reader())
        .await
}

/// Marks one of the caller's notifications read; someone else's is "not found".
pub async fn mark_read(caller: &Caller, id: NotificationId) -> Result<i64, AppError> {
    let db = &caller.state.db;
    let me = caller.user().id;
    let done = sqlx::query("update notifications set read_at = $1 where id = $2 and user_id = $3 and read_at is null")
        .bind(clock::now())
        .bind(id)
        .bind(me)
        .execute(db.write_pool())
        .await?;
    if done.rows_affected() == 0 {
        let mine: i64 = sqlx::query_scalar("select count(*) from notifications where id = $1 and user_id = $2")
            .bind(id)
            .bind(me)
            .fetch_one(db.reader())
            .await?;
        if mine == 0 {
            return Err(AppError::not_found("No such notification."));
        }
    }
    Ok(unread(db, me).await?)
}

/// Marks every one of the caller's notifications read.
pub async fn mark_all_read(caller: &Caller) -> Result<i64, AppError> {
    let db = &caller.state.db;
    sqlx::query("update notifications set read_at = $1 where user_id = $2 and read_at is null")
        .bind(clock::now())
        .bind(caller.user().id)
        .execute(db.write_pool())
        .await?;
    Ok(unread(db, caller.user().id).await?)
}

/// Writes one expiry digest for `user` inside the transaction that decided it.
pub async fn insert_digest(
    tx: &mut Tx,
    user: UserId,
    title: &str,
    items: &[Item],
    now: Micros,
) -> Result<(), sqlx::Error> {
    let items = serde_json::to_string(items).map_err(|e| sqlx::Error::Encode(e.into()))?;
    insert(tx, user, ("expiry", title), &items, None, now).await
}

/// Tells every active Admin (never a system account) but `except` (who caused it) `title`,
/// leading to `link`: for what only an Admin can mend, such as a failed scheduled backup, or
/// must answer, such as a support ticket.
pub async fn to_admins(
    tx: &mut Tx,
    except: Option<UserId>,
    (kind, title): (&str, &str),
    link: &str,
    now: Micros,
) -> Result<(), sqlx::Error> {
    let admins: Vec<UserId> = sqlx::query_scalar(
        "select id from users where is_admin = 1 and state = 'active' and system_account = 0 \
         and ($1 is null or id <> $1)",
    )
    .bind(except)
    .fetch_all(&mut **tx)
    .await?;
    for admin in admins {
        insert(tx, admin, (kind, title), "[]", Some(link), now).await?;
    }
    Ok(())
}

/// Tells one person `title`, leading to `link` (a reply to their support ticket).
pub async fn to_user(
    tx: &mut Tx,
    user: UserId,
    kind: &str,
    title: &str,
    link: &str,
    now: Micros,
) -> Result<(), sqlx::Error> {
    insert(tx, user, (kind, title), "[]", Some(link), now).await
}

async fn insert(
    tx: &mut Tx,
    user: UserId,
    (kind, title): (&str, &str),
    items: &str,
    link: Option<&str>,
    now: Micros,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "insert into notifications (id, user_id, kind, title, items, link, created_at) values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(NotificationId::new())
    .bind(user)
    .bind(kind)
    .bind(title)
    .bind(items)
    .bind(link)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

//! The `invitations` table: invitation and password-reset links. The table holds only the
//! SHA-256 of each link's token. A link is usable while it is unused, not voided and not
//! expired; using it is a conditional update, so two clicks at once cannot both succeed.

use crate::domain::ids::UserId;
use crate::server::db::{Columns, Tx};
use sqlx::{Any, Executor};

/// What a link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkKind {
    Invitation,
    PasswordReset,
}

impl LinkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Invitation => "invitation",
            LinkKind::PasswordReset => "password_reset",
        }
    }

    fn parse(s: &str) -> Option<LinkKind> {
        match s {
            "invitation" => Some(LinkKind::Invitation),
            "password_reset" => Some(LinkKind::PasswordReset),
            _ => None,
        }
    }
}

/// A stored link (never its token).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkRow {
    pub id: String,
    pub user_id: UserId,
    pub kind: LinkKind,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
    pub voided_at: Option<i64>,
}

impl LinkRow {
    /// True while the link may still be used at `now`.
    pub fn usable(&self, now: i64) -> bool {
        self.used_at.is_none() && self.voided_at.is_none() && self.expires_at > now
    }
}

fn from_row(r: &impl Columns) -> Result<LinkRow, sqlx::Error> {
    let kind: String = r.cell(2)?;
    Ok(LinkRow {
        id: r.cell(0)?,
        user_id: r.cell(1)?,
        kind: LinkKind::parse(&kind).ok_or_else(|| sqlx::Error::Decode("unknown link kind".into()))?,
        created_at: r.cell(3)?,
        expires_at: r.cell(4)?,
        used_at: r.cell(5)?,
        voided_at: r.cell(6)?,
    })
}

const COLUMNS: &str = "id, user_id, kind, created_at, expires_at, used_at, voided_at";

/// What a new link row needs.
pub struct NewLink<'a> {
    pub token_hash: &'a str,
    pub user: UserId,
    pub kind: LinkKind,
    pub created_by: Option<UserId>,
    pub now: i64,
    pub expires_at: i64,
}

/// Stores a new link; returns its id.
pub async fn insert(tx: &mut Tx, l: NewLink<'_>) -> Result<String, sqlx::Error> {
    let id = uuid::Uuid::new_v4().to_string();
    sqlx::query(
        "insert into invitations (id, token_hash, user_id, kind, created_by, created_at, expires_at) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&id)
    .bind(l.token_hash)
    .bind(l.user)
    .bind(l.kind.as_str())
    .bind(l.created_by)
    .bind(l.now)
    .bind(l.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// The link whose token hashes to `token_hash`, whatever its state.
pub async fn find_by_hash<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_hash: &str,
) -> Result<Option<LinkRow>, sqlx::Error> {
    let row = sqlx::query(&format!("select {COLUMNS} from invitations where token_hash = $1"))
        .bind(token_hash)
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every link of a user, newest first.
pub async fn for_user<'e, E: Executor<'e, Database = Any>>(ex: E, user: UserId) -> Result<Vec<LinkRow>, sqlx::Error> {
    let rows =
        sqlx::query(&format!("select {COLUMNS} from invitations where user_id = $1 order by created_at desc, id"))
            .bind(user)
            .fetch_all(ex)
            .await?;
    rows.iter().map(from_row).collect()
}

/// Voids a user's links that are still open (of one kind, or of any kind); returns how many.
pub async fn void_open(tx: &mut Tx, user: UserId, kind: Option<LinkKind>, now: i64) -> Result<u64, sqlx::Error> {
    // On purpose, `$3` is bound either way ('' for any kind), so the SQL text is constant (one
    // statement, prepared and cached) and the bind count never depends on the arguments.
    let done = sqlx::query(
        "update invitations set voided_at = $1 where user_id = $2 and used_at is null and voided_at is null \
         and ($3 = '' or kind = $3)",
    )
    .bind(now)
    .bind(user)
    .bind(kind.map(LinkKind::as_str).unwrap_or(""))
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected())
}

/// Marks a link used, if it is still usable at `now`; false when someone else used it first
/// (or it was voided or expired meanwhile).
pub async fn mark_used(tx: &mut Tx, id: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update invitations set used_at = $1 where id = $2 and used_at is null and voided_at is null \
         and expires_at > $1",
    )
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

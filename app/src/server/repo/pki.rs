//! What the `keys` and `certificates` tables share: the enabled flag and the public token's
//! hash are their only columns besides tags and dates that ever change, written the same way.

use crate::domain::ids::{UserId, VaultId};
use crate::server::clock;
use crate::server::db::{Db, Tx};
use sqlx::{Any, Encode, Type};

/// One of the two tables of public-key material.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    Keys,
    Certificates,
}

impl Table {
    /// The resource type audit entries and request-log rows name.
    pub fn resource_type(self) -> &'static str {
        match self {
            Table::Keys => "key",
            Table::Certificates => "certificate",
        }
    }

    fn name(self) -> &'static str {
        match self {
            Table::Keys => "keys",
            Table::Certificates => "certificates",
        }
    }
}

/// Sets the enabled flag; false when it already was so (nothing written).
pub async fn set_enabled<I>(tx: &mut Tx, table: Table, id: I, enabled: bool, by: UserId) -> Result<bool, sqlx::Error>
where
    I: for<'q> Encode<'q, Any> + Type<Any> + Send,
{
    let sql = format!(
        "update {} set enabled = $1, updated_at = $2, updated_by = $3 where id = $4 and enabled <> $1",
        table.name()
    );
    let done =
        sqlx::query(&sql).bind(i64::from(enabled)).bind(clock::now()).bind(by).bind(id).execute(&mut **tx).await?;
    Ok(done.rows_affected() == 1)
}

/// Replaces the public token's hash (`None` revokes it).
pub async fn set_public_token<I>(
    tx: &mut Tx,
    table: Table,
    id: I,
    token_hash: Option<&str>,
    by: UserId,
) -> Result<(), sqlx::Error>
where
    I: for<'q> Encode<'q, Any> + Type<Any> + Send,
{
    let sql =
        format!("update {} set public_token_hash = $1, updated_at = $2, updated_by = $3 where id = $4", table.name());
    sqlx::query(&sql).bind(token_hash).bind(clock::now()).bind(by).bind(id).execute(&mut **tx).await?;
    Ok(())
}

/// Whether `vault` already holds a row named `name`: asked before any CPU is spent on key
/// material, so a duplicate is refused at once (the unique index still decides on insert).
pub async fn name_taken(db: &Db, table: Table, vault: VaultId, name: &str) -> Result<bool, sqlx::Error> {
    let sql = format!("select 1 from {} where vault_id = $1 and name = $2", table.name());
    Ok(sqlx::query(&sql).bind(vault).bind(name).fetch_optional(db.reader()).await?.is_some())
}

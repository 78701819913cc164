//! The `vaults` and `vault_members` tables. Vaults are never deleted.

use super::memberships::{PICKABLE, user_option};
use crate::domain::ids::{ProjectId, UserId, VaultId};
use crate::domain::org::UserOption;
use crate::server::clock;
use crate::server::db::{Columns, Db, FromColumns, Tx, flag};

/// A vault row (the wrapped data key stays in the database layer's hands).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultRow {
    pub id: VaultId,
    pub project_id: ProjectId,
    pub name: String,
    pub description: String,
    pub restricted: bool,
    pub contributors_manage_keys: bool,
}

const COLUMNS: &str = "id, project_id, name, description, restricted, contributors_manage_keys";

impl FromColumns for VaultRow {
    fn from_columns(r: &impl Columns) -> Result<Self, sqlx::Error> {
        Ok(VaultRow {
            id: r.cell(0)?,
            project_id: r.cell(1)?,
            name: r.cell(2)?,
            description: r.cell(3)?,
            restricted: flag(r.cell(4)?),
            contributors_manage_keys: flag(r.cell(5)?),
        })
    }
}

/// One vault.
pub async fn find(db: &Db, id: VaultId) -> Result<Option<VaultRow>, sqlx::Error> {
    Ok(db.read_rows(&format!("select {COLUMNS} from vaults where id = $1"), &[&id.to_string()]).await?.pop())
}

/// Every vault of a project with whether `user` is on its member list, by name.
pub async fn list(db: &Db, project: ProjectId, user: UserId) -> Result<Vec<(VaultRow, bool)>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS}, (select count(*) from vault_members vm where vm.vault_id = vaults.id and vm.user_id = $2) \
         from vaults where project_id = $1 order by name_key"
    ))
    .bind(project)
    .bind(user)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(|r| Ok((VaultRow::from_columns(r)?, flag(r.cell(6)?)))).collect()
}

/// Whether `user` is on the vault's member list.
pub async fn is_listed(db: &Db, vault: VaultId, user: UserId) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("select count(*) from vault_members where vault_id = $1 and user_id = $2")
        .bind(vault)
        .bind(user)
        .fetch_one(db.reader())
        .await?;
    Ok(n > 0)
}

/// The vault's wrapped data key and the id of the master key that wrapped it.
pub async fn wrapped_key(db: &Db, vault: VaultId) -> Result<Option<(Vec<u8>, Option<String>)>, sqlx::Error> {
    sqlx::query_as("select wrapped_key, master_key_id from vaults where id = $1")
        .bind(vault)
        .fetch_optional(db.reader())
        .await
}

/// What a new vault row needs.
pub struct NewVault<'a> {
    pub id: VaultId,
    pub project: ProjectId,
    pub name: &'a str,
    pub description: &'a str,
    pub wrapped_key: &'a [u8],
    /// The id of the master key that wrapped it.
    pub master_key_id: &'a str,
    pub by: UserId,
}

/// Inserts a vault; a duplicate name in the project surfaces as a unique violation.
pub async fn insert(tx: &mut Tx, v: NewVault<'_>) -> Result<(), sqlx::Error> {
    let now = clock::now();
    sqlx::query(
        "insert into vaults (id, project_id, name, name_key, description, restricted, contributors_manage_keys, \
         wrapped_key, master_key_id, created_by, created_at, updated_at) \
         values ($1, $2, $3, $4, $5, 0, 0, $6, $7, $8, $9, $9)",
    )
    .bind(v.id)
    .bind(v.project)
    .bind(v.name)
    .bind(v.name.to_lowercase())
    .bind(v.description)
    .bind(v.wrapped_key)
    .bind(v.master_key_id)
    .bind(v.by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Renames and re-describes a vault.
pub async fn update(tx: &mut Tx, id: VaultId, name: &str, description: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update vaults set name = $1, name_key = $2, description = $3, updated_at = $4 where id = $5")
        .bind(name)
        .bind(name.to_lowercase())
        .bind(description)
        .bind(clock::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Sets the vault's access settings.
pub async fn set_settings(
    tx: &mut Tx,
    id: VaultId,
    restricted: bool,
    contributors_manage_keys: bool,
) -> Result<(), sqlx::Error> {
    sqlx::query("update vaults set restricted = $1, contributors_manage_keys = $2, updated_at = $3 where id = $4")
        .bind(i64::from(restricted))
        .bind(i64::from(contributors_manage_keys))
        .bind(clock::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The people on the restricted vault's list who can sign in (disabled users keep their
/// place for the record, and regain it with their account; system accounts never have one).
pub async fn members(db: &Db, vault: VaultId) -> Result<Vec<UserOption>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "select u.id, u.name, u.email from vault_members vm join users u on u.id = vm.user_id \
         where vm.vault_id = $1 and {PICKABLE} order by lower(u.name), u.email"
    ))
    .bind(vault)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(user_option).collect()
}

/// Project members who could be put on the list: not Project Managers (they see the vault
/// anyway), not on it yet, and pickable (never disabled, never a system account).
pub async fn candidates(db: &Db, vault: VaultId, project: ProjectId) -> Result<Vec<UserOption>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "select u.id, u.name, u.email from memberships m join users u on u.id = m.user_id \
         where m.project_id = $1 and m.role <> 'project_manager' and {PICKABLE} and not exists \
         (select 1 from vault_members vm where vm.vault_id = $2 and vm.user_id = u.id) order by lower(u.name), u.email"
    ))
    .bind(project)
    .bind(vault)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(user_option).collect()
}

/// Puts a user on the list; false if already there.
pub async fn add_member(tx: &mut Tx, vault: VaultId, user: UserId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "insert into vault_members (vault_id, user_id, created_at) values ($1, $2, $3) on conflict do nothing",
    )
    .bind(vault)
    .bind(user)
    .bind(clock::now())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes a user off the list; false if not there.
pub async fn remove_member(tx: &mut Tx, vault: VaultId, user: UserId) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("delete from vault_members where vault_id = $1 and user_id = $2")
        .bind(vault)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

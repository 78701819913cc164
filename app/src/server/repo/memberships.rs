//! The `memberships` table: a user's role in a project.

use crate::domain::ids::{ProjectId, UserId, VaultId};
use crate::domain::org::{AccessHolder, Member, UserOption};
use crate::domain::permission::ProjectRole;
use crate::server::clock;
use crate::server::db::{Columns, Db, Tx, flag};

/// The role of `user` in `project`, if they are a member.
pub async fn role(db: &Db, project: ProjectId, user: UserId) -> Result<Option<ProjectRole>, sqlx::Error> {
    let role: Option<String> =
        sqlx::query_scalar("select role from memberships where project_id = $1 and user_id = $2")
            .bind(project)
            .bind(user)
            .fetch_optional(db.reader())
            .await?;
    Ok(role.as_deref().and_then(ProjectRole::parse))
}

/// Every member of a project, by name, whatever their account's state (for the record; what
/// people see is [`holders`]).
pub async fn list(db: &Db, project: ProjectId) -> Result<Vec<Member>, sqlx::Error> {
    let rows = sqlx::query(
        "select u.id, u.name, u.email, m.role from memberships m join users u on u.id = m.user_id \
         where m.project_id = $1 order by lower(u.name), u.email",
    )
    .bind(project)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(member).collect()
}

/// Members of a project whose account is disabled, by name (they keep the membership for the
/// record but have no access while disabled). System accounts are never listed.
pub async fn disabled_members(db: &Db, project: ProjectId) -> Result<Vec<Member>, sqlx::Error> {
    let rows = sqlx::query(
        "select u.id, u.name, u.email, m.role from memberships m join users u on u.id = m.user_id \
         where m.project_id = $1 and u.state = 'disabled' and u.system_account = 0 order by lower(u.name), u.email",
    )
    .bind(project)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(member).collect()
}

/// Everyone who may have access to `project` as an Admin or a member, by name, with whether
/// they are on `vault`'s list (none: no vault). System accounts and disabled users are left
/// out: they cannot sign in. Which of these see a restricted vault is the permission
/// function's call (`AccessHolder::can_see`), not this query's.
pub async fn holders(db: &Db, project: ProjectId, vault: Option<VaultId>) -> Result<Vec<AccessHolder>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "select u.id, u.name, u.email, u.is_admin, m.role, u.state, \
         (select count(*) from vault_members vm where vm.vault_id = $2 and vm.user_id = u.id) \
         from users u left join memberships m on m.project_id = $1 and m.user_id = u.id \
         where {PICKABLE} and (u.is_admin = 1 or m.role is not null) order by lower(u.name), u.email"
    ))
    .bind(project)
    .bind(vault.map(|v| v.to_string()).unwrap_or_default())
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(holder).collect()
}

/// Reads `id, name, email, is_admin, role, state, listed` columns into an access holder.
fn holder(r: &sqlx::any::AnyRow) -> Result<AccessHolder, sqlx::Error> {
    let role: Option<String> = r.cell(4)?;
    let state: String = r.cell(5)?;
    Ok(AccessHolder {
        user_id: r.cell(0)?,
        name: r.cell(1)?,
        email: r.cell(2)?,
        is_admin: flag(r.cell(3)?),
        role: role.map(|s| parse_role(&s)).transpose()?,
        listed: flag(r.cell(6)?),
        pending: state == "pending",
    })
}

fn parse_role(s: &str) -> Result<ProjectRole, sqlx::Error> {
    ProjectRole::parse(s).ok_or_else(|| sqlx::Error::Decode("unknown role".into()))
}

/// Reads `id, name, email, role` columns into a member.
fn member(r: &impl Columns) -> Result<Member, sqlx::Error> {
    let role: String = r.cell(3)?;
    Ok(Member { user_id: r.cell(0)?, name: r.cell(1)?, email: r.cell(2)?, role: parse_role(&role)? })
}

/// People who may be given access: signed-up or invited, never disabled, never a system
/// account (no person signs in to one). Shared by every picker.
pub const PICKABLE: &str = "u.state <> 'disabled' and u.system_account = 0";

/// People who could be added to `project`: pickable and not yet members.
pub async fn candidates(db: &Db, project: ProjectId) -> Result<Vec<UserOption>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "select u.id, u.name, u.email from users u where {PICKABLE} and not exists \
         (select 1 from memberships m where m.project_id = $1 and m.user_id = u.id) order by lower(u.name), u.email"
    ))
    .bind(project)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(user_option).collect()
}

/// Whether `user` may be given access (exists, not disabled, not a system account): what a
/// picker offered, checked again when the choice comes back.
pub async fn is_pickable(db: &Db, user: UserId) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(&format!("select count(*) from users u where u.id = $1 and {PICKABLE}"))
        .bind(user)
        .fetch_one(db.reader())
        .await?;
    Ok(n > 0)
}

/// Reads `id, name, email` columns into a picker option.
pub fn user_option(r: &sqlx::any::AnyRow) -> Result<UserOption, sqlx::Error> {
    Ok(UserOption { id: r.cell(0)?, name: r.cell(1)?, email: r.cell(2)? })
}

/// Adds a member.
pub async fn insert(tx: &mut Tx, project: ProjectId, user: UserId, role: ProjectRole) -> Result<(), sqlx::Error> {
    let now = clock::now();
    sqlx::query(
        "insert into memberships (project_id, user_id, role, created_at, updated_at) values ($1, $2, $3, $4, $4)",
    )
    .bind(project)
    .bind(user)
    .bind(role.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Changes a member's role only if it is still `from` (a stale form changes nothing).
pub async fn set_role(
    tx: &mut Tx,
    project: ProjectId,
    user: UserId,
    from: ProjectRole,
    to: ProjectRole,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "update memberships set role = $1, updated_at = $2 where project_id = $3 and user_id = $4 and role = $5",
    )
    .bind(to.as_str())
    .bind(clock::now())
    .bind(project)
    .bind(user)
    .bind(from.as_str())
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a member (and them from the project's restricted-vault lists).
pub async fn delete(tx: &mut Tx, project: ProjectId, user: UserId) -> Result<bool, sqlx::Error> {
    sqlx::query(
        "delete from vault_members where user_id = $1 and vault_id in (select id from vaults where project_id = $2)",
    )
    .bind(user)
    .bind(project)
    .execute(&mut **tx)
    .await?;
    let done = sqlx::query("delete from memberships where project_id = $1 and user_id = $2")
        .bind(project)
        .bind(user)
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}

//! The `memberships` table: a user's role in a project.

use crate::domain::ids::{ProjectId, UserId};
use crate::domain::org::{Member, UserOption};
use crate::domain::permission::ProjectRole;
use crate::server::clock;
use crate::server::db::{Columns, Db, Tx};

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

/// Members of a project, by name.
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

/// Reads `id, name, email, role` columns into a member.
fn member(r: &impl Columns) -> Result<Member, sqlx::Error> {
    let role: String = r.cell(3)?;
    Ok(Member {
        user_id: r.cell(0)?,
        name: r.cell(1)?,
        email: r.cell(2)?,
        role: ProjectRole::parse(&role).ok_or_else(|| sqlx::Error::Decode("unknown role".into()))?,
    })
}

/// Users who are not disabled and not yet members of `project`.
pub async fn candidates(db: &Db, project: ProjectId) -> Result<Vec<UserOption>, sqlx::Error> {
    let rows = sqlx::query(
        "select u.id, u.name, u.email from users u where u.state <> 'disabled' and not exists \
         (select 1 from memberships m where m.project_id = $1 and m.user_id = u.id) order by lower(u.name), u.email",
    )
    .bind(project)
    .fetch_all(db.reader())
    .await?;
    rows.iter().map(user_option).collect()
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

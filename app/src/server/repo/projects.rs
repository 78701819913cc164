//! The `projects` table. Never deleted; archived instead.

use crate::domain::ids::{ProjectId, UserId};
use crate::domain::org::ProjectSummary;
use crate::domain::permission::ProjectRole;
use crate::server::clock;
use crate::server::db::{Columns, Db, Tx, flag};

/// A project row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRow {
    pub id: ProjectId,
    pub name: String,
    pub description: String,
    pub archived: bool,
}

fn from_row(r: &impl Columns) -> Result<ProjectRow, sqlx::Error> {
    Ok(ProjectRow { id: r.cell(0)?, name: r.cell(1)?, description: r.cell(2)?, archived: flag(r.cell(3)?) })
}

/// One project, whoever asks.
pub async fn find(db: &Db, id: ProjectId) -> Result<Option<ProjectRow>, sqlx::Error> {
    let row = sqlx::query("select id, name, description, archived from projects where id = $1")
        .bind(id)
        .fetch_optional(db.reader())
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Projects visible to `user` (all of them for an Admin), filtered by name, with counts. The
/// vault count counts only the vaults `user` may see (a restricted vault they are not on the
/// list of is not even a number to them).
pub async fn list(
    db: &Db,
    user: UserId,
    all: bool,
    search: &str,
    show_archived: bool,
) -> Result<Vec<ProjectSummary>, sqlx::Error> {
    let pattern = crate::server::db::like_pattern(search.trim());
    // On purpose, the switches are bound as 0/1 (`$2 = 1 or …`) rather than spliced into the SQL:
    // the text and the bind count stay constant, so one prepared statement serves every call.
    let rows = sqlx::query(
        "select p.id, p.name, p.description, p.archived, \
           (select count(*) from vaults v where v.project_id = p.id and ($2 = 1 or v.restricted = 0 \
              or exists (select 1 from memberships pm where pm.project_id = p.id and pm.user_id = $1 \
                         and pm.role = 'project_manager') \
              or exists (select 1 from vault_members vm where vm.vault_id = v.id and vm.user_id = $1))), \
           (select count(*) from memberships m where m.project_id = p.id), \
           (select m.role from memberships m where m.project_id = p.id and m.user_id = $1) \
         from projects p \
         where ($2 = 1 or exists (select 1 from memberships m where m.project_id = p.id and m.user_id = $1)) \
           and ($3 = 1 or p.archived = 0) \
           and p.name_key like $4 escape '\\' \
         order by p.name_key",
    )
    .bind(user)
    .bind(i64::from(all))
    .bind(i64::from(show_archived))
    .bind(pattern)
    .fetch_all(db.reader())
    .await?;
    rows.iter()
        .map(|r| {
            let p = from_row(r)?;
            let role: Option<String> = r.cell(6)?;
            Ok(ProjectSummary {
                id: p.id,
                name: p.name,
                description: p.description,
                archived: p.archived,
                vault_count: r.cell(4)?,
                member_count: r.cell(5)?,
                my_role: role.as_deref().and_then(ProjectRole::parse),
            })
        })
        .collect()
}

/// Inserts a project; a duplicate name surfaces as a unique violation.
pub async fn insert(tx: &mut Tx, name: &str, description: &str, by: UserId) -> Result<ProjectId, sqlx::Error> {
    let id = ProjectId::new();
    let now = clock::now();
    sqlx::query(
        "insert into projects (id, name, name_key, description, archived, created_by, created_at, updated_at) \
         values ($1, $2, $3, $4, 0, $5, $6, $6)",
    )
    .bind(id)
    .bind(name)
    .bind(name.to_lowercase())
    .bind(description)
    .bind(by)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// Renames and re-describes a project.
pub async fn update(tx: &mut Tx, id: ProjectId, name: &str, description: &str) -> Result<(), sqlx::Error> {
    sqlx::query("update projects set name = $1, name_key = $2, description = $3, updated_at = $4 where id = $5")
        .bind(name)
        .bind(name.to_lowercase())
        .bind(description)
        .bind(clock::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Archives or unarchives a project.
pub async fn set_archived(tx: &mut Tx, id: ProjectId, archived: bool) -> Result<(), sqlx::Error> {
    sqlx::query("update projects set archived = $1, updated_at = $2 where id = $3")
        .bind(i64::from(archived))
        .bind(clock::now())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

//! Admin → Settings' instance part: the instance's name, session timeouts, the sign-in
//! lockout thresholds and the request and MCP logs' retention. A number an Admin sets is
//! stored in `instance_settings` (NULL: the server's configured default) and takes effect on
//! the node that saved it at once and on every other node at its next `refresh`, a few
//! seconds later. Each save is audited with every value that changed.

use super::{actor, require};
use crate::domain::AppError;
use crate::domain::instance::{BOUNDS, InstanceInput, InstanceView, Knobs};
use crate::domain::permission::{Action, Resource};
use crate::domain::time::Micros;
use crate::server::audit::{self, Change, Entry};
use crate::server::db::{Columns as _, Db};
use crate::server::{AppState, Caller, clock};

/// The stored numbers, in [`BOUNDS`] order, and when they were last saved.
async fn stored(db: &Db) -> Result<([Option<i64>; 5], Option<Micros>), sqlx::Error> {
    let columns: Vec<&str> = BOUNDS.iter().map(|b| b.0).collect();
    let row = sqlx::query(&format!("select {}, updated_at from instance_settings where id = 1", columns.join(", ")))
        .fetch_optional(db.reader())
        .await?;
    let Some(r) = row else { return Ok(([None; 5], None)) };
    let mut values = [None; 5];
    for (at, v) in values.iter_mut().enumerate() {
        *v = r.cell(at)?;
    }
    Ok((values, Some(r.cell(5)?)))
}

/// Reads what Admins set and puts it in effect on this node (at start and every few seconds).
pub async fn refresh(state: &AppState) -> Result<Knobs, sqlx::Error> {
    let (values, _) = stored(&state.db).await?;
    let knobs = Knobs::with(&state.settings.knobs(), &values);
    state.knobs.set(knobs);
    Ok(knobs)
}

/// The instance part of the settings page.
pub async fn view(caller: &Caller) -> Result<InstanceView, AppError> {
    require(caller, Action::ManageInstance, Resource::Instance, "instance settings").await?;
    load(&caller.state).await
}

async fn load(state: &AppState) -> Result<InstanceView, AppError> {
    let (values, updated_at) = stored(&state.db).await?;
    let defaults = state.settings.knobs();
    let name = super::setup::instance_name(state).await?;
    Ok(InstanceView { name, knobs: Knobs::with(&defaults, &values), defaults, updated_at })
}

/// Saves the name and the numbers after checking each; in effect here at once.
pub async fn save(caller: &Caller, input: &InstanceInput) -> Result<InstanceView, AppError> {
    require(caller, Action::ManageInstance, Resource::Instance, "instance settings").await?;
    let state = &caller.state;
    let defaults = state.settings.knobs();
    let checked = input.check(&defaults)?;
    let before = load(state).await?;
    let after = Knobs::with(&defaults, &checked.values);
    let now = clock::now();
    let mut tx = state.db.begin().await?;
    let columns: Vec<&str> = BOUNDS.iter().map(|b| b.0).collect();
    let updates: Vec<String> = columns.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    let sql = format!(
        "insert into instance_settings (id, {}, updated_by, updated_at) values (1, $1, $2, $3, $4, $5, $6, $7) \
         on conflict (id) do update set {}, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        columns.join(", "),
        updates.join(", ")
    );
    let mut insert = sqlx::query(&sql);
    for v in checked.values {
        insert = insert.bind(v);
    }
    insert.bind(caller.user().id.to_string()).bind(now).execute(&mut *tx).await?;
    sqlx::query("update instance set name = $1, updated_at = $2 where id = 1")
        .bind(&checked.name)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let entry = Entry {
        actor: &actor(caller),
        action: "settings.instance",
        resource_type: "instance",
        resource_id: None,
        resource_name: Some(checked.name.clone()),
        changes: changes(&before, &checked.name, &after),
        source_ip: caller.meta.ip.clone(),
    };
    audit::append(&mut tx, &state.audit_key, entry).await?;
    tx.commit().await?;
    state.knobs.set(after);
    load(state).await
}

/// Every value that changed, old and new (none of them is secret).
fn changes(before: &InstanceView, name: &str, after: &Knobs) -> Vec<Change> {
    let mut out = Vec::new();
    if before.name != name {
        out.push(Change::values("name", Some(&before.name), Some(name)));
    }
    let pairs = [
        (before.knobs.session_idle_minutes, after.session_idle_minutes),
        (before.knobs.session_absolute_hours, after.session_absolute_hours),
        (before.knobs.account_failure_limit, after.account_failure_limit),
        (before.knobs.ip_failure_limit, after.ip_failure_limit),
        (before.knobs.log_retention_days, after.log_retention_days),
    ];
    for ((field, ..), (old, new)) in BOUNDS.iter().zip(pairs) {
        if old != new {
            out.push(Change::values(field, Some(&old.to_string()), Some(&new.to_string())));
        }
    }
    out
}

//! The expiry watch (SPEC §7): secrets, keys and certificates reaching 30, 7 and 1 days
//! before expiry, and expiry itself, end up as one digest per person per run for the Admins,
//! the project's Project Managers and the resource's creator, each only while they may see
//! the resource. Each threshold fires once per resource and expiration date: the run claims it
//! by inserting its `expiry_notices` row in the same transaction as the digests, so a
//! restart, a second run or a second node on the same PostgreSQL finds it taken. A new
//! expiration date is a new key, so it arms the thresholds again.

use crate::domain::AppError;
use crate::domain::ids::{ProjectId, UserId, VaultId};
use crate::domain::notification::{Item, ItemKind, THRESHOLDS, digest_title, threshold};
use crate::domain::org::AccessHolder;
use crate::domain::permission::{ProjectFacts, ProjectRole, VaultFacts};
use crate::domain::time::Micros;
use crate::server::AppState;
use crate::server::audit::{self, Actor, Change, Entry};
use crate::server::db::{Columns as _, flag};
use crate::server::repo::memberships;
use crate::server::services::{mail, notifications};
use std::collections::{BTreeMap, HashMap};

/// At most this many resources are looked at in one run; the rest wait for the next tick
/// (the soonest first), so one run's transaction stays small whatever the instance holds.
pub const RUN_LIMIT: i64 = 1_000;

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fired {
    /// Thresholds that fired (one per resource).
    pub resources: usize,
    /// Digests written (one per person).
    pub digests: usize,
}

/// One resource whose expiry falls within the widest threshold and is not yet fully notified.
struct Due {
    item: Item,
    created_by: UserId,
    vault: VaultId,
    project: ProjectId,
    facts: VaultFacts,
}

/// Secrets, keys and certificates of live projects, enabled, expiring by `$1`, whose expiry
/// itself was not yet notified, the soonest first (a fixed order, so concurrent runs claim in
/// the same order and never deadlock), at most `$2`. A certificate expires at its `not_after`.
fn due_sql() -> String {
    let one = |kind: &str, table: &str, expires: &str| {
        format!(
            "select '{kind}', r.id, r.name, r.{expires}, r.created_by, v.id, v.name, p.id, p.name, v.restricted, \
                 v.contributors_manage_keys \
             from {table} r join vaults v on v.id = r.vault_id join projects p on p.id = v.project_id \
             where r.{expires} is not null and r.{expires} <= $1 and r.enabled = 1 and p.archived = 0 \
                 and not exists (select 1 from expiry_notices n where n.resource_type = '{kind}' \
                     and n.resource_id = r.id and n.expiration_at = r.{expires} and n.threshold_days = 0)"
        )
    };
    let parts = [
        one("secret", "secrets", "expiration_at"),
        one("key", "keys", "expiration_at"),
        one("certificate", "certificates", "not_after"),
    ];
    format!("{} order by 4, 1, 2 limit $2", parts.join(" union all "))
}

/// Runs the watch as of `now` (the clock is the caller's, so tests move it without sleeping).
pub async fn run(state: &AppState, now: Micros) -> Result<Fired, AppError> {
    let horizon = now + THRESHOLDS[0] * 86_400_000_000;
    let rows = sqlx::query(&due_sql()).bind(horizon).bind(RUN_LIMIT).fetch_all(state.db.reader()).await?;
    let mut due = Vec::with_capacity(rows.len());
    for r in &rows {
        due.push(read_due(r, now)?);
    }
    let mut holders: HashMap<VaultId, Vec<AccessHolder>> = HashMap::new();
    for d in &due {
        if let std::collections::hash_map::Entry::Vacant(slot) = holders.entry(d.vault) {
            slot.insert(memberships::holders(&state.db, d.project, Some(d.vault)).await?);
        }
    }
    let outgoing = mail::Outgoing::load(state).await?;
    let mut tx = state.db.begin().await?;
    let mut digests: BTreeMap<UserId, Vec<Item>> = BTreeMap::new();
    let mut fired = Fired::default();
    for d in &due {
        if !claim(&mut tx, &d.item, now).await? {
            continue;
        }
        fired.resources += 1;
        let to = recipients(d, holders.get(&d.vault).map(Vec::as_slice).unwrap_or_default());
        audit::append(&mut tx, &state.audit_key, entry(&d.item, to.len())).await?;
        for user in to {
            digests.entry(user).or_default().push(d.item.clone());
        }
    }
    for (user, items) in &digests {
        let title = digest_title(items);
        notifications::insert_digest(&mut tx, *user, &title, items, now).await?;
        if let Some(out) = &outgoing {
            mail::queue_digest(&mut tx, state, out, *user, (&title, items), now).await?;
        }
    }
    tx.commit().await?;
    fired.digests = digests.len();
    Ok(fired)
}

fn read_due(r: &sqlx::any::AnyRow, now: Micros) -> Result<Due, sqlx::Error> {
    let kind = match r.cell::<String>(0)?.as_str() {
        "secret" => ItemKind::Secret,
        "key" => ItemKind::Key,
        _ => ItemKind::Certificate,
    };
    let expires_at: Micros = r.cell(3)?;
    let (vault_name, project_name): (String, String) = (r.cell(6)?, r.cell(8)?);
    Ok(Due {
        item: Item {
            kind,
            id: r.cell(1)?,
            name: r.cell(2)?,
            place: format!("{project_name} / {vault_name}"),
            expires_at,
            threshold_days: threshold(expires_at, now).unwrap_or(THRESHOLDS[0]),
        },
        created_by: r.cell(4)?,
        vault: r.cell(5)?,
        project: r.cell(7)?,
        facts: VaultFacts {
            restricted: flag(r.cell(9)?),
            on_member_list: false,
            contributors_manage_keys: flag(r.cell(10)?),
        },
    })
}

/// Takes the item's threshold for this run, or learns another run already sent it. Every
/// less urgent threshold is marked as well: once a week is left, "30 days" is past news.
async fn claim(tx: &mut crate::server::db::Tx, item: &Item, now: Micros) -> Result<bool, sqlx::Error> {
    let mut mine = false;
    for days in THRESHOLDS.iter().copied().filter(|d| *d >= item.threshold_days) {
        let done = sqlx::query(
            "insert into expiry_notices (resource_type, resource_id, expiration_at, threshold_days, notified_at) \
             values ($1, $2, $3, $4, $5) on conflict do nothing",
        )
        .bind(item.kind.as_str())
        .bind(&item.id)
        .bind(item.expires_at)
        .bind(days)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        mine |= days == item.threshold_days && done.rows_affected() == 1;
    }
    Ok(mine)
}

/// Admins, the project's Project Managers and the creator, each only if the one permission
/// function lets them see the vault now (a creator since removed hears nothing). People
/// still to accept an invitation are left out: they cannot sign in to read it.
fn recipients(d: &Due, holders: &[AccessHolder]) -> Vec<UserId> {
    let project = ProjectFacts { role: None, archived: false };
    holders
        .iter()
        .filter(|h| !h.pending && h.can_see(project, Some(d.facts)))
        .filter(|h| h.is_admin || h.role == Some(ProjectRole::ProjectManager) || h.user_id == d.created_by)
        .map(|h| h.user_id)
        .collect()
}

/// The watch's audit actor, borrowed by the entries it writes.
static SYSTEM: Actor = Actor::System;

fn entry(item: &Item, recipients: usize) -> Entry<'static> {
    let threshold = item.threshold_days.to_string();
    let recipients = recipients.to_string();
    Entry {
        actor: &SYSTEM,
        action: "expiry.notify",
        resource_type: item.kind.as_str(),
        resource_id: Some(item.id.clone()),
        resource_name: Some(item.name.clone()),
        changes: vec![
            Change::values("threshold_days", None, Some(&threshold)),
            Change::values("recipients", None, Some(&recipients)),
        ],
        source_ip: None,
    }
}

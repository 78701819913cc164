//! The authorization matrix: every project, vault and secret function × every kind of user ×
//! every vault kind × both project states, decided by the real services on both engines and
//! checked against an expected table written as data.
//!
//! Calls are chosen so that an allowed call changes nothing: a repeated or empty input, a stale
//! "seen" version or time, a version that does not exist, or a state the thing already has
//! stops it after the permission check. The test ends by proving that nothing changed: no
//! project, membership, vault (nor its wrapped key), user, invitation, secret, secret version
//! or live access key, and no audit entry other than the ones reading a value leaves (reveal,
//! copy, compare, export — which must number exactly what the allowed calls account for).
//!
//! Letters, and how each is told apart from the others (the user log is the witness: the
//! services write a `denied` line there for every refusal of the permission function, and
//! never otherwise):
//! - A = allowed: the call got past the permission check (it succeeded, or stopped on a
//!   validation error or conflict) and no refusal was logged.
//! - N = not found *because the permission function hid the thing*: a "not found" answer with
//!   a refusal logged by this call. A list call reads N when the caller's list leaves the thing
//!   out while the Admin's list (the same call as the Admin) holds it.
//! - F = forbidden: a "forbidden" answer. It says nothing about whether the thing exists, so
//!   it needs no witness (most are logged; a few services turn a disabled account away before
//!   asking the permission function).
//! - M = missing: a "not found" answer with no refusal logged — the id the test passed does not
//!   exist, so the lookup before the permission check failed. Only a row that passes a
//!   made-up id on purpose may expect it; anywhere else it means the test itself is broken.
//! - `?` (never expected) = an answer that fits none of these, e.g. a success or validation
//!   error that logged a refusal.
//!
//! So a broken test (an id that does not exist) reads M, never N, and a cell expecting N
//! fails. The one row that passes a made-up id on purpose (`users_reset_link`) expects M.
//!
//! Expected refusals for user administration are "forbidden" (it is instance-wide, so there is
//! nothing whose existence could leak).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::ids::{AccessKeyId, ProjectId, SecretId, UserId, VaultId};
use app::domain::permission::ProjectRole;
use app::domain::secret::{SecretQuery, SecretValue};
use app::domain::{AppError, ErrorCode};
use app::server::repo::users::{self, NewUser, UserState};
use app::server::services::{access_keys, projects, secrets, users as users_svc, vaults};
use app::server::{AppState, Caller, SessionCtx};
use std::collections::BTreeMap;

/// Who calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    Admin,
    ProjectManager,
    Contributor,
    ReadOnly,
    Outsider,
    Disabled,
}

const EVERYONE: [Who; 6] =
    [Who::Admin, Who::ProjectManager, Who::Contributor, Who::ReadOnly, Who::Outsider, Who::Disabled];

/// The vault a call touches (project-level calls run for each kind too; it must not matter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Normal,
    /// Restricted, with the caller on its list (when the caller is a Contributor/Read-only).
    Listed,
    /// Restricted, nobody on its list.
    Unlisted,
}

const KINDS: [Kind; 3] = [Kind::Normal, Kind::Listed, Kind::Unlisted];

/// The expected decisions: for each function and caller, six letters — normal, listed,
/// unlisted vault in an active project, then the same in an archived one (letters: see the
/// header). Secret rows act on the fixture's one secret in that vault.
const MATRIX: &[(&str, [&str; 6])] = &[
    //                    Admin      PM         Contrib    Read-only  Outsider   Disabled
    ("list_projects", ["AAA AAA", "AAA AAA", "AAA AAA", "AAA AAA", "NNN NNN", "FFF FFF"]),
    ("create_project", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("get_project", ["AAA AAA", "AAA AAA", "AAA AAA", "AAA AAA", "NNN NNN", "FFF FFF"]),
    ("update_project", ["AAA FFF", "FFF FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("set_archived", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("project_members", ["AAA AAA", "AAA AAA", "AAA AAA", "AAA AAA", "NNN NNN", "FFF FFF"]),
    ("add_member", ["AAA FFF", "AAA FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("change_role", ["AAA FFF", "AAA FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("remove_member", ["AAA FFF", "AAA FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("list_vaults", ["AAA AAA", "AAA AAA", "AAN AAN", "AAN AAN", "NNN NNN", "FFF FFF"]),
    ("create_vault", ["AAA FFF", "AAA FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("get_vault", ["AAA AAA", "AAA AAA", "AAN AAN", "AAN AAN", "NNN NNN", "FFF FFF"]),
    ("vault_who_has_access", ["AAA AAA", "AAA AAA", "AAN AAN", "AAN AAN", "NNN NNN", "FFF FFF"]),
    ("update_vault", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("vault_settings", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("vault_access_list", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("vault_member", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    // Secrets, vault-level. Seeing metadata follows seeing the vault; writing is refused to
    // Read-only members and in archived projects; values (export) are refused to Read-only
    // members but stay readable in archived projects (reading changes nothing).
    ("secrets_list", ["AAA AAA", "AAA AAA", "AAN AAN", "AAN AAN", "NNN NNN", "FFF FFF"]),
    ("secrets_list_all", ["AAA AAA", "AAA AAA", "AAN AAN", "AAN AAN", "NNN NNN", "FFF FFF"]),
    ("secrets_create", ["AAA FFF", "AAA FFF", "AAN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("secrets_import", ["AAA FFF", "AAA FFF", "AAN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("secrets_export", ["AAA AAA", "AAA AAA", "AAN AAN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    // Secrets, one at a time: metadata and history (no values) for whoever sees the vault.
    ("secret_get", ["AAA AAA", "AAA AAA", "AAN AAN", "AAN AAN", "NNN NNN", "FFF FFF"]),
    ("secret_history", ["AAA AAA", "AAA AAA", "AAN AAN", "AAN AAN", "NNN NNN", "FFF FFF"]),
    // Values: never to Read-only members (forbidden where they see the vault), still readable
    // in archived projects.
    ("secret_reveal", ["AAA AAA", "AAA AAA", "AAN AAN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("secret_copy", ["AAA AAA", "AAA AAA", "AAN AAN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("secret_compare", ["AAA AAA", "AAA AAA", "AAN AAN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    // Changes: Contributors write in the vaults they see; nobody writes in an archived project.
    ("secret_new_version", ["AAA FFF", "AAA FFF", "AAN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("secret_restore", ["AAA FFF", "AAA FFF", "AAN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("secret_enable_disable", ["AAA FFF", "AAA FFF", "AAN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("secret_details", ["AAA FFF", "AAA FFF", "AAN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("access_keys_list", ["AAA AAA", "AAA AAA", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("access_keys_create", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("access_keys_revoke", ["AAA AAA", "AAA AAA", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    // Instance-wide user administration: Admins only, whatever the project or vault.
    ("users_list", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_invite", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_reinvite", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    // A made-up user id on purpose: the Admin gets past the check and finds nobody (M).
    ("users_reset_link", ["MMM MMM", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_disable", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_enable", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_grant_admin", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_revoke_admin", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
];

/// The audit entries that record a value leaving the server: the only ones an allowed call in
/// the matrix writes.
const VALUE_ACTIONS: &str = "('secret.reveal', 'secret.copy', 'secret.compare', 'vault.export')";

/// How many of those entries one allowed call of `function` writes (a compare reveals both
/// versions).
fn value_entries(function: &str) -> usize {
    match function {
        "secret_reveal" | "secret_copy" | "secrets_export" => 1,
        "secret_compare" => 2,
        _ => 0,
    }
}

/// The version `secret_restore` asks for: the fixture's secrets only have version 1, so an
/// allowed restore stops when it looks the version up, after the permission check.
const MISSING_VERSION: i64 = 99;

struct Fixture {
    state: AppState,
    users: BTreeMap<Who, Caller>,
    /// (project, [normal, listed, unlisted]) for the active and the archived project.
    projects: [(ProjectId, [VaultId; 3]); 2],
    /// A revoked access key in each vault (revoking it again stops after the permission check).
    revoked_keys: BTreeMap<VaultId, AccessKeyId>,
    /// One enabled secret with one version in each vault.
    secrets: BTreeMap<VaultId, SecretId>,
}

async fn session_of(state: &AppState, id: UserId) -> Caller {
    let user = users::find(state.db.reader(), id).await.unwrap().unwrap();
    testkit::caller(state, SessionCtx { user, token_hash: String::new() })
}

async fn fixture(state: AppState) -> Fixture {
    let mut ids = BTreeMap::new();
    let mut tx = state.db.begin().await.unwrap();
    for who in EVERYONE {
        let email = format!("{who:?}@example.com").to_lowercase();
        let new = NewUser {
            email: &email,
            name: &format!("{who:?}"),
            password_hash: None,
            is_admin: who == Who::Admin,
            state: if who == Who::Disabled { UserState::Disabled } else { UserState::Active },
        };
        ids.insert(who, users::insert(&mut tx, new).await.unwrap());
    }
    tx.commit().await.unwrap();
    let admin = session_of(&state, ids[&Who::Admin]).await;
    let mut made = Vec::new();
    let mut revoked_keys = BTreeMap::new();
    let mut secret_ids = BTreeMap::new();
    for (n, archived) in [(1, false), (2, true)] {
        let p = projects::create(&admin, &format!("Project {n}"), "").await.unwrap();
        for (who, role) in [
            (Who::ProjectManager, ProjectRole::ProjectManager),
            (Who::Contributor, ProjectRole::Contributor),
            (Who::ReadOnly, ProjectRole::ReadOnly),
        ] {
            projects::add_member(&admin, p, ids[&who], role).await.unwrap();
        }
        // A disabled user keeps their membership; it must not help them.
        let mut tx = state.db.begin().await.unwrap();
        app::server::repo::memberships::insert(&mut tx, p, ids[&Who::Disabled], ProjectRole::Contributor)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let normal = vaults::create(&admin, p, "normal", "").await.unwrap();
        let listed = vaults::create(&admin, p, "listed", "").await.unwrap();
        let unlisted = vaults::create(&admin, p, "unlisted", "").await.unwrap();
        for v in [listed, unlisted] {
            vaults::set_settings(&admin, v, true, false).await.unwrap();
        }
        for who in [Who::Contributor, Who::ReadOnly] {
            vaults::set_listed(&admin, listed, ids[&who], true).await.unwrap();
        }
        let mut tx = state.db.begin().await.unwrap();
        app::server::repo::vaults::add_member(&mut tx, listed, ids[&Who::Disabled]).await.unwrap();
        tx.commit().await.unwrap();
        for v in [normal, listed, unlisted] {
            let key = access_keys::create(&admin, v, "revoked", None).await.unwrap();
            access_keys::revoke(&admin, key.info.id).await.unwrap();
            revoked_keys.insert(v, key.info.id);
            let input = testkit::new_secret("API_TOKEN", "version one");
            secret_ids.insert(v, secrets::create(&admin, v, input).await.unwrap());
        }
        if archived {
            projects::set_archived(&admin, p, true).await.unwrap();
        }
        made.push((p, [normal, listed, unlisted]));
    }
    let mut users_map = BTreeMap::new();
    for who in EVERYONE {
        users_map.insert(who, session_of(&state, ids[&who]).await);
    }
    Fixture { state, users: users_map, projects: [made[0], made[1]], revoked_keys, secrets: secret_ids }
}

/// What a call answered, before the user log is consulted (see [`decide`]).
enum Reply {
    /// A service's answer (only whether and how it failed matters).
    Answer(Result<(), AppError>),
    /// A list's answer: whether the caller's list holds the thing, and whether the Admin's
    /// list does (proving the thing exists, so that leaving it out is a decision).
    Listed { mine: bool, admins: bool },
}

fn answer<T>(r: Result<T, AppError>) -> Reply {
    Reply::Answer(r.map(|_| ()))
}

/// A list call as the caller and, for comparison, as the Admin.
fn listed<T>(mine: Result<Vec<T>, AppError>, admins: Result<Vec<T>, AppError>, is_it: impl Fn(&T) -> bool) -> Reply {
    match mine {
        Ok(list) => Reply::Listed {
            mine: list.iter().any(&is_it),
            admins: admins.expect("the Admin can list it").iter().any(&is_it),
        },
        Err(e) => Reply::Answer(Err(e)),
    }
}

/// The letter for a reply, given how many refusals the call wrote to the user log (the rules
/// are in the header), with a word on what was seen for the failure report.
fn letter(reply: Reply, refusals: i64) -> (char, String) {
    let seen = match &reply {
        Reply::Answer(Ok(())) => "ok".to_owned(),
        Reply::Answer(Err(e)) => format!("{:?} \"{}\"", e.code, e.message),
        Reply::Listed { mine, admins } => format!("in the list: {mine}, in the Admin's list: {admins}"),
    };
    let seen = format!("{seen}, {refusals} refusal(s) logged");
    let letter = match (reply, refusals) {
        (Reply::Listed { mine: true, .. }, 0) => 'A',
        (Reply::Listed { mine: false, admins: true }, 0) => 'N',
        (Reply::Listed { mine: false, admins: false }, 0) => 'M',
        (Reply::Answer(Ok(())), 0) => 'A',
        (Reply::Answer(Err(e)), n) => match (e.code, n) {
            (ErrorCode::ValidationFailed | ErrorCode::Conflict, 0) => 'A',
            (ErrorCode::NotFound, 1) => 'N',
            (ErrorCode::NotFound, 0) => 'M',
            (ErrorCode::Forbidden, 0 | 1) => 'F',
            (ErrorCode::ValidationFailed | ErrorCode::Conflict | ErrorCode::NotFound | ErrorCode::Forbidden, _) => '?',
            _ => panic!("unexpected answer: {seen}"),
        },
        _ => '?',
    };
    (letter, seen)
}

async fn refusals_logged(state: &AppState, who: &Caller) -> i64 {
    sqlx::query_scalar("select count(*) from user_log where event = 'denied' and user_id = $1")
        .bind(who.user().id.to_string())
        .fetch_one(state.db.reader())
        .await
        .unwrap()
}

/// Calls `function` as `who` and reads the answer as a letter (with what was seen).
async fn decide(
    f: &Fixture,
    function: &str,
    who: Who,
    project: ProjectId,
    vault: VaultId,
    archived: bool,
) -> (char, String) {
    let me = &f.users[&who];
    let before = refusals_logged(&f.state, me).await;
    let reply = call(f, function, who, project, vault, archived).await;
    letter(reply, refusals_logged(&f.state, me).await - before)
}

async fn call(f: &Fixture, function: &str, who: Who, project: ProjectId, vault: VaultId, archived: bool) -> Reply {
    let s = &f.state;
    let me = &f.users[&who];
    let admin = &f.users[&Who::Admin];
    let ro = f.users[&Who::ReadOnly].user().id;
    let outsider = f.users[&Who::Outsider].user().id;
    let secret = f.secrets[&vault];
    match function {
        "list_projects" => {
            let mine = projects::list(me, "", true).await;
            listed(mine, projects::list(admin, "", true).await, |p| p.id == project)
        }
        "create_project" => answer(projects::create(me, "", "").await),
        "get_project" => answer(projects::get(me, project).await),
        "update_project" => answer(projects::update(me, project, "", "").await),
        "set_archived" => answer(projects::set_archived(me, project, archived).await),
        "project_members" => answer(projects::who_has_access(me, project).await),
        "add_member" => answer(projects::add_member(me, project, ro, ProjectRole::ReadOnly).await),
        "change_role" => {
            answer(projects::change_role(me, project, ro, ProjectRole::ReadOnly, ProjectRole::ReadOnly).await)
        }
        "remove_member" => answer(projects::remove_member(me, project, outsider).await),
        "list_vaults" => {
            let mine = vaults::list(me, project).await;
            listed(mine, vaults::list(admin, project).await, |v| v.id == vault)
        }
        "create_vault" => answer(vaults::create(me, project, "", "").await),
        "get_vault" => answer(vaults::get(me, vault).await),
        "vault_who_has_access" => answer(vaults::who_has_access(me, vault).await),
        "update_vault" => answer(vaults::update(me, vault, "", "").await),
        "vault_settings" => {
            let current = app::server::repo::vaults::find(&s.db, vault).await.unwrap().unwrap();
            answer(vaults::set_settings(me, vault, current.restricted, current.contributors_manage_keys).await)
        }
        "vault_access_list" => answer(vaults::access_list(me, vault).await),
        "vault_member" => answer(vaults::set_listed(me, vault, outsider, false).await),
        "secrets_list" => answer(secrets::page(me, vault, &SecretQuery::default()).await),
        "secrets_list_all" => answer(secrets::list(me, vault).await),
        // An empty name: refused as invalid after the permission check.
        "secrets_create" => {
            let input = testkit::new_secret(String::new(), "value");
            answer(secrets::create(me, vault, input).await)
        }
        // Empty text: refused as invalid after the permission check.
        "secrets_import" => answer(secrets::import(me, vault, "", true, true).await),
        // Writes only a "vault.export" audit entry (counted at the end).
        "secrets_export" => answer(secrets::export(me, vault).await),
        "secret_get" => answer(secrets::get(me, secret).await),
        "secret_history" => answer(secrets::history(me, secret).await),
        // Reveal, copy and compare write only their audit entries (counted at the end).
        "secret_reveal" => answer(secrets::reveal(me, secret, None, secrets::RevealKind::Reveal).await),
        "secret_copy" => answer(secrets::reveal(me, secret, None, secrets::RevealKind::Copy).await),
        "secret_compare" => answer(secrets::compare(me, secret, 1, 1).await),
        // Seen version 0 while the secret is at 1: a conflict after the permission check.
        "secret_new_version" => {
            let value = SecretValue::parse("value", "version two".into()).unwrap();
            answer(secrets::new_version(me, secret, value, "", Some(0)).await)
        }
        // Past the permission check the version is looked up: "no version 99" is the allowed
        // answer (told apart from the refusal's "No such secret." by its message and by the
        // user log, where it leaves no refusal).
        "secret_restore" => match secrets::restore(me, secret, MISSING_VERSION).await {
            Err(e) if e.code == ErrorCode::NotFound && e.message.contains(&format!("no version {MISSING_VERSION}")) => {
                Reply::Answer(Ok(()))
            }
            other => answer(other),
        },
        // The secret is enabled already: a no-op after the permission check.
        "secret_enable_disable" => answer(secrets::set_enabled(me, secret, true).await),
        // Details as they are, seen at time 0: a conflict after the permission check.
        "secret_details" => {
            let input = secrets::MetaInput {
                content_type: String::new(),
                description: String::new(),
                tags: String::new(),
                activation_at: None,
                expiration_at: None,
                seen_updated_at: Some(0),
            };
            answer(secrets::update_meta(me, secret, input).await)
        }
        "access_keys_list" => answer(access_keys::list(me, vault).await),
        "access_keys_create" => answer(access_keys::create(me, vault, "", None).await),
        "access_keys_revoke" => answer(access_keys::revoke(me, f.revoked_keys[&vault]).await),
        // Each user call stops after the permission check: an empty name, an active user to
        // re-invite, an already disabled user, an Admin made Admin again, and so on.
        "users_list" => answer(users_svc::list(me, "", "").await),
        "users_invite" => answer(users_svc::invite(me, "", "").await),
        "users_reinvite" => answer(users_svc::reinvite(me, &f.users[&Who::ProjectManager].user().id.to_string()).await),
        "users_reset_link" => answer(users_svc::reset_link(me, &UserId::new().to_string()).await),
        "users_disable" => answer(users_svc::disable(me, &f.users[&Who::Disabled].user().id.to_string()).await),
        "users_enable" => answer(users_svc::enable(me, &f.users[&Who::Admin].user().id.to_string()).await),
        "users_grant_admin" => answer(users_svc::grant_admin(me, &f.users[&Who::Admin].user().id.to_string()).await),
        "users_revoke_admin" => {
            answer(users_svc::revoke_admin(me, &f.users[&Who::ProjectManager].user().id.to_string()).await)
        }
        other => panic!("no call for {other}"),
    }
}

/// Everything the matrix's calls must leave as it was, as text. Audit entries recording a
/// value read are left out here and counted separately.
async fn snapshot(state: &AppState) -> Vec<String> {
    let mut out = Vec::new();
    let audit = format!("select cast(count(*) as text) from audit_log where action not in {VALUE_ACTIONS}");
    for sql in [
        "select id || name || description || archived from projects order by id",
        "select project_id || user_id || role from memberships order by project_id, user_id",
        "select id || name || description || restricted || contributors_manage_keys from vaults order by id",
        "select vault_id || user_id from vault_members order by vault_id, user_id",
        &audit,
        "select id || state || is_admin from users order by id",
        "select cast(count(*) as text) from invitations",
        "select id || '|' || vault_id || '|' || name || '|' || content_type || '|' || description || '|' || tags \
         || '|' || coalesce(cast(activation_at as text), '-') || '|' || coalesce(cast(expiration_at as text), '-') \
         || '|' || enabled || '|' || current_version || '|' || updated_by || '|' || updated_at \
         from secrets order by id",
        "select secret_id || '|' || version || '|' || note || '|' || created_by || '|' || created_at \
         from secret_versions order by secret_id, version",
        "select cast(count(*) as text) from access_keys where revoked_at is null",
    ] {
        out.extend(sqlx::query_scalar::<_, String>(sql).fetch_all(state.db.reader()).await.unwrap());
    }
    // Sealed bytes: the vaults' wrapped keys and every version's ciphertext.
    for sql in [
        "select wrapped_key from vaults order by id",
        "select ciphertext from secret_versions order by secret_id, version",
    ] {
        let blobs = sqlx::query_scalar::<_, Vec<u8>>(sql).fetch_all(state.db.reader()).await.unwrap();
        out.extend(blobs.iter().map(|b| b.iter().map(|x| format!("{x:02x}")).collect::<String>()));
    }
    out
}

async fn value_entries_logged(state: &AppState) -> usize {
    let sql = format!("select count(*) from audit_log where action in {VALUE_ACTIONS}");
    let n: i64 = sqlx::query_scalar(&sql).fetch_one(state.db.reader()).await.unwrap();
    usize::try_from(n).unwrap()
}

#[tokio::test]
async fn every_function_role_vault_kind_and_project_state_decides_as_the_matrix_says() {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for t in testkit::engines().await {
        let f = fixture(testkit::state(&t.db).await).await;
        let before = snapshot(&f.state).await;
        let values_before = value_entries_logged(&f.state).await;
        let mut values_read = 0;
        for (function, rows) in MATRIX {
            for (who, expected) in EVERYONE.iter().zip(rows.iter()) {
                let expected: Vec<char> = expected.chars().filter(|c| !c.is_whitespace()).collect();
                for (state_index, archived) in [false, true].into_iter().enumerate() {
                    let (project, vaults) = f.projects[state_index];
                    for (kind_index, kind) in KINDS.iter().enumerate() {
                        let (got, seen) = decide(&f, function, *who, project, vaults[kind_index], archived).await;
                        let want = expected[state_index * 3 + kind_index];
                        checked += 1;
                        if got == 'A' {
                            values_read += value_entries(function);
                        }
                        if got != want {
                            wrong.push(format!(
                                "{:?}: {function} as {who:?} on {kind:?} vault, archived={archived}: expected {want}, got {got} ({seen})",
                                t.engine
                            ));
                        }
                    }
                }
            }
        }
        assert_eq!(snapshot(&f.state).await, before, "{:?}: a call in the matrix changed data", t.engine);
        assert_eq!(
            value_entries_logged(&f.state).await - values_before,
            values_read,
            "{:?}: every allowed reveal, copy, compare and export is audited, and nothing else is",
            t.engine
        );
    }
    println!("authorization matrix: {checked} cases checked on SQLite and PostgreSQL");
    assert!(wrong.is_empty(), "{} of {checked} cases differ:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(checked, MATRIX.len() * EVERYONE.len() * KINDS.len() * 2 * 2);
}

#[tokio::test]
async fn not_found_reads_the_same_for_hidden_and_missing_things() {
    for t in testkit::engines().await {
        let f = fixture(testkit::state(&t.db).await).await;
        let outsider = &f.users[&Who::Outsider];
        let contributor = &f.users[&Who::Contributor];
        let (project, [_, _, unlisted]) = f.projects[0];
        let hidden = projects::get(outsider, project).await.unwrap_err();
        let missing = projects::get(outsider, ProjectId::new()).await.unwrap_err();
        assert_eq!(hidden, missing, "a project one may not see reads exactly like one that does not exist");
        let hidden = vaults::get(contributor, unlisted).await.unwrap_err();
        let missing = vaults::get(contributor, VaultId::new()).await.unwrap_err();
        assert_eq!(hidden, missing);
        let secret = f.secrets[&unlisted];
        let hidden = secrets::get(contributor, secret).await.unwrap_err();
        let missing = secrets::get(contributor, SecretId::new()).await.unwrap_err();
        assert_eq!(hidden, missing, "a secret in a vault one may not see reads like one that does not exist");
        let denied: i64 = sqlx::query_scalar("select count(*) from user_log where event = 'denied'")
            .fetch_one(f.state.db.reader())
            .await
            .unwrap();
        assert!(denied >= 3, "refusals are written to the user log");
    }
}

//! The authorization matrix: every project and vault function × every kind of user × every
//! vault kind × both project states, decided by the real services on both engines and checked
//! against an expected table written as data. Calls are chosen so that an allowed call
//! changes nothing (a repeated or empty input stops it after the permission check), and the
//! test ends by proving that nothing changed. Expected refusals for user administration are
//! "forbidden" (it is instance-wide, so there is nothing whose existence could leak).

use app::domain::ErrorCode;
use app::domain::ids::{AccessKeyId, ProjectId, UserId, VaultId};
use app::domain::permission::ProjectRole;
use app::domain::secret::{SecretQuery, SecretValue};
use app::server::repo::users::{self, NewUser, UserState};
use app::server::services::{access_keys, projects, secrets, users as users_svc, vaults};
use app::server::{AppState, RequestMeta, SessionCtx, testing};
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
/// unlisted vault in an active project, then the same in an archived one. A = allowed (the
/// call got past the permission check), N = not found, F = forbidden.
const MATRIX: &[(&str, [&str; 6])] = &[
    //                    Admin      PM         Contrib    Read-only  Outsider   Disabled
    ("list_projects", ["AAA AAA", "AAA AAA", "AAA AAA", "AAA AAA", "NNN NNN", "FFF FFF"]),
    ("create_project", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("get_project", ["AAA AAA", "AAA AAA", "AAA AAA", "AAA AAA", "NNN NNN", "FFF FFF"]),
    ("update_project", ["AAA FFF", "FFF FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("set_archived", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("project_members", ["AAA AAA", "AAA AAA", "AAA AAA", "AAA AAA", "NNN NNN", "FFF FFF"]),
    ("member_candidates", ["AAA FFF", "AAA FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("add_member", ["AAA FFF", "AAA FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("change_role", ["AAA FFF", "AAA FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("remove_member", ["AAA FFF", "AAA FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("list_vaults", ["AAA AAA", "AAA AAA", "AAN AAN", "AAN AAN", "NNN NNN", "FFF FFF"]),
    ("create_vault", ["AAA FFF", "AAA FFF", "FFF FFF", "FFF FFF", "NNN NNN", "FFF FFF"]),
    ("get_vault", ["AAA AAA", "AAA AAA", "AAN AAN", "AAN AAN", "NNN NNN", "FFF FFF"]),
    ("update_vault", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("vault_settings", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("vault_access_list", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("vault_member", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("secrets_list", ["AAA AAA", "AAA AAA", "AAN AAN", "AAN AAN", "NNN NNN", "FFF FFF"]),
    ("secrets_create", ["AAA FFF", "AAA FFF", "AAN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("secrets_import", ["AAA FFF", "AAA FFF", "AAN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("access_keys_list", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("access_keys_create", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    ("access_keys_revoke", ["AAA FFF", "AAA FFF", "FFN FFN", "FFN FFN", "NNN NNN", "FFF FFF"]),
    // Instance-wide user administration: Admins only, whatever the project or vault.
    ("users_list", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_invite", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_reinvite", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_reset_link", ["NNN NNN", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_disable", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_enable", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_grant_admin", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
    ("users_revoke_admin", ["AAA AAA", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF", "FFF FFF"]),
];

struct Fixture {
    state: AppState,
    users: BTreeMap<Who, SessionCtx>,
    /// (project, [normal, listed, unlisted]) for the active and the archived project.
    projects: [(ProjectId, [VaultId; 3]); 2],
    /// A revoked access key in each vault (revoking it again stops after the permission check).
    revoked_keys: BTreeMap<VaultId, AccessKeyId>,
}

async fn session_of(state: &AppState, id: UserId) -> SessionCtx {
    let user = users::find(state.db.reader(), id).await.unwrap().unwrap();
    SessionCtx { user, token_hash: String::new() }
}

async fn fixture(state: AppState) -> Fixture {
    let meta = RequestMeta::default();
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
    for (n, archived) in [(1, false), (2, true)] {
        let p = projects::create(&state, &admin, &meta, &format!("Project {n}"), "").await.unwrap();
        for (who, role) in [
            (Who::ProjectManager, ProjectRole::ProjectManager),
            (Who::Contributor, ProjectRole::Contributor),
            (Who::ReadOnly, ProjectRole::ReadOnly),
        ] {
            projects::add_member(&state, &admin, &meta, p, ids[&who], role).await.unwrap();
        }
        // A disabled user keeps their membership; it must not help them.
        let mut tx = state.db.begin().await.unwrap();
        app::server::repo::memberships::insert(&mut tx, p, ids[&Who::Disabled], ProjectRole::Contributor)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let normal = vaults::create(&state, &admin, &meta, p, "normal", "").await.unwrap();
        let listed = vaults::create(&state, &admin, &meta, p, "listed", "").await.unwrap();
        let unlisted = vaults::create(&state, &admin, &meta, p, "unlisted", "").await.unwrap();
        for v in [listed, unlisted] {
            vaults::set_settings(&state, &admin, &meta, v, true, false).await.unwrap();
        }
        for who in [Who::Contributor, Who::ReadOnly] {
            vaults::set_listed(&state, &admin, &meta, listed, ids[&who], true).await.unwrap();
        }
        let mut tx = state.db.begin().await.unwrap();
        app::server::repo::vaults::add_member(&mut tx, listed, ids[&Who::Disabled]).await.unwrap();
        tx.commit().await.unwrap();
        for v in [normal, listed, unlisted] {
            let key = access_keys::create(&state, &admin, &meta, v, "revoked", None).await.unwrap();
            access_keys::revoke(&state, &admin, &meta, key.info.id).await.unwrap();
            revoked_keys.insert(v, key.info.id);
        }
        if archived {
            projects::set_archived(&state, &admin, &meta, p, true).await.unwrap();
        }
        made.push((p, [normal, listed, unlisted]));
    }
    let mut users_map = BTreeMap::new();
    for who in EVERYONE {
        users_map.insert(who, session_of(&state, ids[&who]).await);
    }
    Fixture { state, users: users_map, projects: [made[0], made[1]], revoked_keys }
}

/// A = got past the permission check, N = not found, F = forbidden.
fn letter<T>(r: Result<T, app::domain::AppError>) -> char {
    match r {
        Ok(_) => 'A',
        Err(e) => match e.code {
            ErrorCode::NotFound => 'N',
            ErrorCode::Forbidden => 'F',
            ErrorCode::ValidationFailed | ErrorCode::Conflict => 'A',
            other => panic!("unexpected {other:?}: {}", e.message),
        },
    }
}

async fn call(f: &Fixture, function: &str, who: Who, project: ProjectId, vault: VaultId, archived: bool) -> char {
    let s = &f.state;
    let me = &f.users[&who];
    let m = &RequestMeta::default();
    let ro = f.users[&Who::ReadOnly].user.id;
    let outsider = f.users[&Who::Outsider].user.id;
    match function {
        "list_projects" => match projects::list(s, me, "", true).await {
            Ok(list) if list.iter().any(|p| p.id == project) => 'A',
            Ok(_) => 'N',
            Err(e) => letter::<()>(Err(e)),
        },
        "create_project" => letter(projects::create(s, me, m, "", "").await),
        "get_project" => letter(projects::get(s, me, m, project).await),
        "update_project" => letter(projects::update(s, me, m, project, "", "").await),
        "set_archived" => letter(projects::set_archived(s, me, m, project, archived).await),
        "project_members" => letter(projects::members(s, me, m, project).await),
        "member_candidates" => letter(projects::candidates(s, me, m, project).await),
        "add_member" => letter(projects::add_member(s, me, m, project, ro, ProjectRole::ReadOnly).await),
        "change_role" => {
            letter(projects::change_role(s, me, m, project, ro, ProjectRole::ReadOnly, ProjectRole::ReadOnly).await)
        }
        "remove_member" => letter(projects::remove_member(s, me, m, project, outsider).await),
        "list_vaults" => match vaults::list(s, me, m, project).await {
            Ok(list) if list.iter().any(|v| v.id == vault) => 'A',
            Ok(_) => 'N',
            Err(e) => letter::<()>(Err(e)),
        },
        "create_vault" => letter(vaults::create(s, me, m, project, "", "").await),
        "get_vault" => letter(vaults::get(s, me, m, vault).await),
        "update_vault" => letter(vaults::update(s, me, m, vault, "", "").await),
        "vault_settings" => {
            let current = app::server::repo::vaults::find(&s.db, vault).await.unwrap().unwrap();
            letter(vaults::set_settings(s, me, m, vault, current.restricted, current.contributors_manage_keys).await)
        }
        "vault_access_list" => letter(vaults::access_list(s, me, m, vault).await),
        "vault_member" => letter(vaults::set_listed(s, me, m, vault, outsider, false).await),
        "secrets_list" => letter(secrets::page(s, me, m, vault, &SecretQuery::default()).await),
        "secrets_create" => {
            let input = secrets::NewSecretInput {
                name: String::new(),
                value: SecretValue::parse("value", String::new()).unwrap(),
                content_type: String::new(),
                description: String::new(),
                tags: String::new(),
                activation_at: None,
                expiration_at: None,
            };
            letter(secrets::create(s, me, m, vault, input).await)
        }
        "secrets_import" => letter(secrets::import(s, me, m, vault, "", true, true).await),
        "access_keys_list" => letter(access_keys::list(s, me, m, vault).await),
        "access_keys_create" => letter(access_keys::create(s, me, m, vault, "", None).await),
        "access_keys_revoke" => letter(access_keys::revoke(s, me, m, f.revoked_keys[&vault]).await),
        // Each user call stops after the permission check: an empty name, an active user to
        // re-invite, an already disabled user, an Admin made Admin again, and so on.
        "users_list" => letter(users_svc::list(s, me, m, "", "").await),
        "users_invite" => letter(users_svc::invite(s, me, m, "", "").await),
        "users_reinvite" => {
            letter(users_svc::reinvite(s, me, m, &f.users[&Who::ProjectManager].user.id.to_string()).await)
        }
        "users_reset_link" => letter(users_svc::reset_link(s, me, m, &UserId::new().to_string()).await),
        "users_disable" => letter(users_svc::disable(s, me, m, &f.users[&Who::Disabled].user.id.to_string()).await),
        "users_enable" => letter(users_svc::enable(s, me, m, &f.users[&Who::Admin].user.id.to_string()).await),
        "users_grant_admin" => {
            letter(users_svc::grant_admin(s, me, m, &f.users[&Who::Admin].user.id.to_string()).await)
        }
        "users_revoke_admin" => {
            letter(users_svc::revoke_admin(s, me, m, &f.users[&Who::ProjectManager].user.id.to_string()).await)
        }
        other => panic!("no call for {other}"),
    }
}

async fn snapshot(state: &AppState) -> Vec<String> {
    let mut out = Vec::new();
    for sql in [
        "select id || name || description || archived from projects order by id",
        "select project_id || user_id || role from memberships order by project_id, user_id",
        "select id || name || description || restricted || contributors_manage_keys from vaults order by id",
        "select vault_id || user_id from vault_members order by vault_id, user_id",
        "select cast(count(*) as text) from audit_log",
        "select id || state || is_admin from users order by id",
        "select cast(count(*) as text) from invitations",
        "select cast(count(*) as text) from secrets",
        "select cast(count(*) as text) from access_keys where revoked_at is null",
    ] {
        out.extend(sqlx::query_scalar::<_, String>(sql).fetch_all(state.db.reader()).await.unwrap());
    }
    out
}

#[tokio::test]
async fn every_function_role_vault_kind_and_project_state_decides_as_the_matrix_says() {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for t in testing::engines().await {
        let f = fixture(testing::state(&t.db).await).await;
        let before = snapshot(&f.state).await;
        for (function, rows) in MATRIX {
            for (who, expected) in EVERYONE.iter().zip(rows.iter()) {
                let expected: Vec<char> = expected.chars().filter(|c| !c.is_whitespace()).collect();
                for (state_index, archived) in [false, true].into_iter().enumerate() {
                    let (project, vaults) = f.projects[state_index];
                    for (kind_index, kind) in KINDS.iter().enumerate() {
                        let got = call(&f, function, *who, project, vaults[kind_index], archived).await;
                        let want = expected[state_index * 3 + kind_index];
                        checked += 1;
                        if got != want {
                            wrong.push(format!(
                                "{:?}: {function} as {who:?} on {kind:?} vault, archived={archived}: expected {want}, got {got}",
                                t.engine
                            ));
                        }
                    }
                }
            }
        }
        assert_eq!(snapshot(&f.state).await, before, "{:?}: a call in the matrix changed data", t.engine);
    }
    println!("authorization matrix: {checked} cases checked on SQLite and PostgreSQL");
    assert!(wrong.is_empty(), "{} of {checked} cases differ:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(checked, MATRIX.len() * EVERYONE.len() * KINDS.len() * 2 * 2);
}

#[tokio::test]
async fn not_found_reads_the_same_for_hidden_and_missing_things() {
    for t in testing::engines().await {
        let f = fixture(testing::state(&t.db).await).await;
        let m = RequestMeta::default();
        let outsider = &f.users[&Who::Outsider];
        let contributor = &f.users[&Who::Contributor];
        let (project, [_, _, unlisted]) = f.projects[0];
        let hidden = projects::get(&f.state, outsider, &m, project).await.unwrap_err();
        let missing = projects::get(&f.state, outsider, &m, ProjectId::new()).await.unwrap_err();
        assert_eq!(hidden, missing, "a project one may not see reads exactly like one that does not exist");
        let hidden = vaults::get(&f.state, contributor, &m, unlisted).await.unwrap_err();
        let missing = vaults::get(&f.state, contributor, &m, VaultId::new()).await.unwrap_err();
        assert_eq!(hidden, missing);
        let denied: i64 = sqlx::query_scalar("select count(*) from user_log where event = 'denied'")
            .fetch_one(f.state.db.reader())
            .await
            .unwrap();
        assert!(denied >= 2, "refusals are written to the user log");
    }
}

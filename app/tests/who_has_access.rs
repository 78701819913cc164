//! "Who has access" and the member pickers, on SQLite and PostgreSQL: system accounts and
//! disabled users are never offered and never listed as having access; Admins are listed
//! and marked; a restricted vault lists only Admins, Project Managers and its list.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use app::domain::ErrorCode;
use app::domain::ids::UserId;
use app::domain::org::{AccessHolder, UserOption};
use app::domain::permission::ProjectRole;
use app::server::repo::users::{self, NewUser, UserState};
use app::server::repo::{memberships, vaults as vault_repo};
use app::server::services::{projects, vaults};
use app::server::{AppState, Caller};

/// Inserts a user straight into the database (`system`: marked as a system account, like the
/// demo-data author, which is an active Admin no person signs in to).
async fn user(state: &AppState, email: &str, is_admin: bool, user_state: UserState, system: bool) -> UserId {
    let mut tx = state.db.begin().await.unwrap();
    let new = NewUser { email, name: email, password_hash: None, is_admin, state: user_state };
    let id = users::insert(&mut tx, new).await.unwrap();
    if system {
        users::mark_system(&mut tx, id).await.unwrap();
    }
    tx.commit().await.unwrap();
    id
}

fn emails(people: &[UserOption]) -> Vec<&str> {
    people.iter().map(|u| u.email.as_str()).collect()
}

/// Each holder as `email role [admin] [listed] [pending]`, in the order given.
fn rows(people: &[AccessHolder]) -> Vec<String> {
    people
        .iter()
        .map(|p| {
            let mut row = format!("{} {}", p.email, p.role.map_or("-", ProjectRole::as_str));
            for (on, word) in [(p.is_admin, "admin"), (p.listed, "listed"), (p.pending, "pending")] {
                if on {
                    row.push(' ');
                    row.push_str(word);
                }
            }
            row
        })
        .collect()
}

async fn put_on_list(state: &AppState, vault: app::domain::ids::VaultId, user: UserId) {
    let mut tx = state.db.begin().await.unwrap();
    vault_repo::add_member(&mut tx, vault, user).await.unwrap();
    tx.commit().await.unwrap();
}

async fn make_member(state: &AppState, project: app::domain::ids::ProjectId, user: UserId, role: ProjectRole) {
    let mut tx = state.db.begin().await.unwrap();
    memberships::insert(&mut tx, project, user, role).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn system_accounts_and_disabled_users_never_have_access_and_admins_are_marked() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let e = format!("{:?}", t.engine);
        let admin = testkit::person(&state, "admin@example.com", true).await;
        let pm = testkit::person(&state, "manager@example.com", false).await;
        let contributor = testkit::person(&state, "contributor@example.com", false).await;
        let reader = testkit::person(&state, "reader@example.com", false).await;
        let outsider = testkit::person(&state, "other@example.com", false).await;
        let invited = user(&state, "invited@example.com", false, UserState::Pending, false).await;
        // No access, whatever the rows say: a system Admin (like the demo-data author) on the
        // restricted list, a system member, a disabled member on the list, a disabled Admin,
        // and a disabled outsider.
        let system_admin = user(&state, "demo-data@secryn.invalid", true, UserState::Active, true).await;
        let system_member = user(&state, "robot@secryn.invalid", false, UserState::Active, true).await;
        let disabled_member = user(&state, "disabled@example.com", false, UserState::Disabled, false).await;
        user(&state, "former.admin@example.com", true, UserState::Disabled, false).await;
        user(&state, "gone@example.com", false, UserState::Disabled, false).await;

        let p = projects::create(&admin, "Payments", "").await.unwrap();
        for (who, role) in [
            (pm.user().id, ProjectRole::ProjectManager),
            (contributor.user().id, ProjectRole::Contributor),
            (reader.user().id, ProjectRole::ReadOnly),
            (invited, ProjectRole::ReadOnly),
        ] {
            projects::add_member(&admin, p, who, role).await.unwrap();
        }
        make_member(&state, p, system_member, ProjectRole::Contributor).await;
        make_member(&state, p, disabled_member, ProjectRole::Contributor).await;
        let open = vaults::create(&admin, p, "normal", "").await.unwrap();
        let restricted = vaults::create(&admin, p, "restricted", "").await.unwrap();
        vaults::set_settings(&admin, restricted, true, false).await.unwrap();
        vaults::set_listed(&pm, restricted, reader.user().id, true).await.unwrap();
        put_on_list(&state, restricted, disabled_member).await;
        put_on_list(&state, restricted, system_admin).await;

        // The pickers offer only people who can be given access.
        let offered = projects::who_has_access(&pm, p).await.unwrap().candidates;
        assert_eq!(emails(&offered), ["admin@example.com", "other@example.com"], "{e}: project candidates");
        let offered = projects::who_has_access(&reader, p).await.unwrap().candidates;
        assert!(offered.is_empty(), "{e}: nobody is offered to a member who may not add members");
        let list = vaults::access_list(&pm, restricted).await.unwrap();
        assert_eq!(
            emails(&list.candidates),
            ["contributor@example.com", "invited@example.com"],
            "{e}: vault candidates"
        );
        assert_eq!(emails(&list.members), ["reader@example.com"], "{e}: the list shows who can sign in");

        // The project: Admins first and marked, then members by role; invited people marked.
        let everyone = [
            "admin@example.com - admin",
            "manager@example.com project_manager",
            "contributor@example.com contributor",
            "invited@example.com read_only pending",
            "reader@example.com read_only",
        ];
        let project = projects::who_has_access(&reader, p).await.unwrap();
        assert_eq!(rows(&project.people), everyone, "{e}: who has access to the project");
        let disabled: Vec<&str> = project.disabled_members.iter().map(|m| m.email.as_str()).collect();
        assert_eq!(disabled, ["disabled@example.com"], "{e}: disabled members are apart, system accounts nowhere");

        // A normal vault: the same people, seen by a Read-only member too.
        let seen = vaults::who_has_access(&reader, open).await.unwrap();
        assert_eq!(rows(&seen), everyone, "{e}: who has access to a normal vault");

        // A restricted vault: Admins, Project Managers and the list (its listed member sees it).
        let seen = vaults::who_has_access(&reader, restricted).await.unwrap();
        let want =
            ["admin@example.com - admin", "manager@example.com project_manager", "reader@example.com read_only listed"];
        assert_eq!(rows(&seen), want, "{e}: who has access to a restricted vault");
        assert_eq!(rows(&vaults::who_has_access(&admin, restricted).await.unwrap()), want, "{e}: same for the Admin");

        // Those who may not see the thing learn nothing.
        let hidden = vaults::who_has_access(&contributor, restricted).await.unwrap_err();
        assert_eq!(hidden.code, ErrorCode::NotFound, "{e}: an unlisted Contributor");
        let hidden = projects::who_has_access(&outsider, p).await.unwrap_err();
        assert_eq!(hidden.code, ErrorCode::NotFound, "{e}: an outsider");

        // A system account or disabled user sent back anyway is refused.
        for who in [system_admin, disabled_member] {
            let refused = projects::add_member(&admin, p, who, ProjectRole::ReadOnly).await.unwrap_err();
            assert_eq!(refused.code, ErrorCode::ValidationFailed, "{e}: adding {who}");
        }
        remove_and_refuse_listing(&admin, restricted, system_member, disabled_member, &e).await;
    }
}

/// Members who are a system account or disabled cannot be put on a vault's list.
async fn remove_and_refuse_listing(
    admin: &Caller,
    vault: app::domain::ids::VaultId,
    system_member: UserId,
    disabled_member: UserId,
    engine: &str,
) {
    let refused = vaults::set_listed(admin, vault, system_member, true).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::ValidationFailed, "{engine}: listing a system account");
    vaults::set_listed(admin, vault, disabled_member, false).await.unwrap();
    let refused = vaults::set_listed(admin, vault, disabled_member, true).await.unwrap_err();
    assert_eq!(refused.code, ErrorCode::ValidationFailed, "{engine}: listing a disabled user");
}

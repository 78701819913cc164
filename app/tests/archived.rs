//! Access keys of an archived project, on both engines. Archiving makes a project read-only
//! for people; it does not take services offline. So machines keep reading with their keys,
//! and those who manage access keys (Admins, the project's Project Managers) can still list
//! and revoke them — revoking only takes access away, and it is how machines are cut off.
//! Creating a key is a new grant and stays refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::ErrorCode;
use app::domain::permission::ProjectRole;
use app::server::services::secrets;
use app::server::services::{access_keys, projects, vaults};
use app::server::{AppState, Caller};

async fn session(state: &AppState, email: &str, is_admin: bool) -> Caller {
    testkit::person(state, email, is_admin).await
}

#[tokio::test]
async fn archived_projects_keep_machines_reading_and_let_managers_list_and_revoke_keys() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = session(&state, "admin@example.com", true).await;
        let pm = session(&state, "pm@example.com", false).await;
        let contributor = session(&state, "contributor@example.com", false).await;
        let p = projects::create(&admin, "Legacy", "").await.unwrap();
        projects::add_member(&admin, p, pm.user().id, ProjectRole::ProjectManager).await.unwrap();
        projects::add_member(&admin, p, contributor.user().id, ProjectRole::Contributor).await.unwrap();
        let vault = vaults::create(&admin, p, "production", "").await.unwrap();
        let input = testkit::new_secret("DB_PASSWORD", "hunter2-archived");
        secrets::create(&admin, vault, input).await.unwrap();
        let by_admin = access_keys::create(&admin, vault, "old job", None).await.unwrap();
        let service = access_keys::create(&pm, vault, "service", None).await.unwrap();
        projects::set_archived(&admin, p, true).await.unwrap();

        // Machines keep reading while the project is archived.
        let machine = testkit::machine(&state, service.key.expose());
        let read = testkit::read_vault(&machine, vault, false, "").await.unwrap();
        assert_eq!(serde_json::to_value(&read).unwrap()["secrets"][0]["value"], "hunter2-archived", "{:?}", t.engine);
        let one = testkit::read_secret(&machine, vault, "DB_PASSWORD").await;
        assert_eq!(one.unwrap().value.expose(), "hunter2-archived");

        // Admins and Project Managers list the keys; a Contributor still may not.
        for who in [&admin, &pm] {
            let list = access_keys::list(who, vault).await.unwrap();
            assert_eq!(list.len(), 2, "{:?}: {}", t.engine, who.user().email);
        }
        let e = access_keys::list(&contributor, vault).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden, "{:?}", t.engine);
        let e = access_keys::revoke(&contributor, service.info.id).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);

        // Nobody creates a key in an archived project, Admins included.
        for who in [&admin, &pm] {
            let e = access_keys::create(who, vault, "new", None).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::Forbidden, "{:?}: {}", t.engine, who.user().email);
            assert!(e.message.contains("archived"), "{}", e.message);
        }

        // Both may revoke; the machine is refused from its very next request.
        access_keys::revoke(&admin, by_admin.info.id).await.unwrap();
        access_keys::revoke(&pm, service.info.id).await.unwrap();
        let e = testkit::read_vault(&machine, vault, false, "").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Unauthorized, "{:?}", t.engine);
        assert_eq!(e.code.status(), 401);
        let one = testkit::read_secret(&machine, vault, "DB_PASSWORD").await;
        assert_eq!(one.unwrap_err().code, ErrorCode::Unauthorized);
        let refused: i64 =
            sqlx::query_scalar("select count(*) from request_log where status = 401 and access_key_id is null")
                .fetch_one(state.db.reader())
                .await
                .unwrap();
        assert_eq!(refused, 2, "both refused reads are recorded, with no key");
        let revocations: i64 = sqlx::query_scalar("select count(*) from audit_log where action = 'access_key.revoke'")
            .fetch_one(state.db.reader())
            .await
            .unwrap();
        assert_eq!(revocations, 2, "each revocation is audited");
        let keys: i64 =
            sqlx::query_scalar("select count(*) from access_keys").fetch_one(state.db.reader()).await.unwrap();
        assert_eq!(keys, 2, "the refused creations made nothing");
    }
}

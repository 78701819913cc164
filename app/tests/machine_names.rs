//! `?secrets=names` on both engines: the answer is exactly what it was when it was cut down
//! from the full read (same secrets, same order, same bytes), and no value is opened for it.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::ErrorCode;
use app::domain::ids::SecretId;
use app::server::services::machine::{SecretList, SecretRef, VaultJson};
use app::server::services::secrets::{self, NewSecretInput};
use app::server::services::{access_keys, projects, vaults};
use app::server::{AppState, Caller, clock};

async fn admin(state: &AppState) -> Caller {
    testkit::person(state, "admin@example.com", true).await
}

fn input(name: &str, activation_at: Option<i64>, expiration_at: Option<i64>) -> NewSecretInput {
    NewSecretInput {
        tags: "a, b".into(),
        activation_at,
        expiration_at,
        ..testkit::new_secret(name, format!("value of {name}"))
    }
}

/// Proves that a names read opens no value. `secret_versions` refuses UPDATE (a trigger on
/// both engines), so the test cannot damage a stored value in place; instead it does what the
/// application does for a new version — insert a row — with bytes that are not a sealed value,
/// and points the secret at it. Opening that value now fails (the full read answers an
/// internal error), so a names read that still opened values would fail the same way; it
/// answers 200 with the same bytes as before.
#[tokio::test]
async fn a_names_read_opens_no_value_and_answers_the_same_bytes() {
    for t in testkit::engines().await {
        let state = testkit::state(&t.db).await;
        let admin = admin(&state).await;
        let p = projects::create(&admin, "Payments", "").await.unwrap();
        let vault = vaults::create(&admin, p, "production", "").await.unwrap();
        let day = 86_400_000_000;
        let now = clock::now();
        let mut ids: Vec<SecretId> = Vec::new();
        for (name, activation, expiration) in [
            ("ZETA", None, None),
            ("ALPHA", Some(now - day), None),
            ("LATER", Some(now + 365 * day), None),
            ("OLD", None, Some(now - day)),
            ("SOON", None, Some(now + day)),
            ("OFF", None, None),
        ] {
            ids.push(secrets::create(&admin, vault, input(name, activation, expiration)).await.unwrap());
        }
        secrets::set_enabled(&admin, ids[5], false).await.unwrap();
        let created = access_keys::create(&admin, vault, "ci", None).await.unwrap();
        let machine = testkit::machine(&state, created.key.expose());

        // The names answer is the full answer cut down to ids and names, byte for byte.
        let full = testkit::read_vault(&machine, vault, false, "keys").await.unwrap();
        let SecretList::Full(served) = &full.secrets else { panic!("a full read carries values") };
        let served_names: Vec<&str> = served.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(served_names, ["ALPHA", "OLD", "SOON", "ZETA"], "{:?}", t.engine);
        let cut_down = VaultJson {
            secrets: SecretList::Names(served.iter().map(|s| SecretRef { id: s.id, name: s.name.clone() }).collect()),
            ..full.clone()
        };
        let expected = serde_json::to_string(&cut_down).unwrap();
        let names = testkit::read_vault(&machine, vault, true, "keys").await.unwrap();
        assert_eq!(serde_json::to_string(&names).unwrap(), expected, "{:?}", t.engine);
        assert!(!expected.contains("value of"));

        // A current version whose stored bytes cannot be opened.
        let mut tx = state.db.begin().await.unwrap();
        sqlx::query(
            "insert into secret_versions (secret_id, version, ciphertext, note, created_by, created_at) \
             values ($1, 2, $2, '', $3, $4)",
        )
        .bind(ids[0].to_string())
        .bind(vec![0u8; 64])
        .bind(admin.user().id.to_string())
        .bind(clock::now())
        .execute(&mut *tx)
        .await
        .unwrap();
        sqlx::query("update secrets set current_version = 2 where id = $1")
            .bind(ids[0].to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        let e = testkit::read_vault(&machine, vault, false, "keys").await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Internal, "{:?}: the full read opens every value", t.engine);
        let names = testkit::read_vault(&machine, vault, true, "keys").await.unwrap();
        assert_eq!(serde_json::to_string(&names).unwrap(), expected, "{:?}: names need no value", t.engine);
    }
}

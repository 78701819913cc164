//! Master-key rotation in the service, on SQLite and PostgreSQL: every vault key moves to the
//! current key in batches, a second run has nothing to do, a key wrapped by a master key this
//! node lacks is reported and left as it was, and afterwards the current key alone opens all.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use app::server::AppState;
use app::server::audit::AuditKey;
use app::server::crypto::{MasterKey, MasterKeys, UnwrapFailure};
use app::server::services::master_keys::{self, BATCH, Standing};
use app::server::services::{access_keys, mail, projects, secrets, users, vaults};
use std::sync::Arc;

/// The same instance seen by a node holding `keys`.
async fn node(state: &AppState, keys: MasterKeys) -> AppState {
    let audit_key = AuditKey::load_or_create(&state.db, &keys).await.unwrap();
    AppState::new(app::server::state::Shared {
        master: Arc::new(keys),
        audit_key: Arc::new(audit_key),
        data_keys: Default::default(),
        ..(**state).clone()
    })
}

fn copy(key: &MasterKey) -> MasterKey {
    MasterKey::from_base64(&key.to_base64()).unwrap()
}

#[tokio::test]
async fn every_vault_key_moves_in_batches_and_the_old_key_can_then_go() {
    for t in testkit::engines().await {
        let old_node = testkit::state(&t.db).await;
        let (old, new, other) = (copy(old_node.master.current()), MasterKey::generate(), MasterKey::generate());
        let (old_id, new_id, other_id) = (old.id(), new.id(), other.id());
        let admin = testkit::person(&old_node, "admin@example.com", true).await;
        let project = projects::create(&admin, "Payments", "").await.unwrap();
        let count = BATCH as usize + 3;
        let mut made = Vec::with_capacity(count);
        for i in 0..count {
            made.push(vaults::create(&admin, project, &format!("v{i:03}"), "").await.unwrap());
        }
        let input = testkit::new_secret("DB_URL", "postgres://db");
        secrets::create(&admin, made[0], input).await.unwrap();
        let access = access_keys::create(&admin, made[0], "ci", None).await.unwrap().key.expose().to_owned();
        // E-mail on, with a password, and an invitation queued: two sealed values move too.
        mail::save(&admin, &testkit::smtp::settings(2525)).await.unwrap();
        users::invite(&admin, "Robin", "robin@example.com").await.unwrap();
        let vault_keys = count as i64 + 3;
        assert_eq!(master_keys::standing(&t.db).await.unwrap(), Standing(vec![(Some(old_id.clone()), vault_keys)]));

        // A node with the new key and the old one moves everything, one batch at a time.
        let both = node(&old_node, MasterKeys::new(copy(&new), vec![copy(&old)])).await;
        let mut progress = Vec::new();
        let done = master_keys::rotate(&both, |n| progress.push(n)).await.unwrap();
        assert_eq!(progress, vec![BATCH as u64, count as u64], "{:?}", t.engine);
        assert_eq!(done.moved, vault_keys as u64, "the vault keys, the sealed values and the chain key");
        assert!(done.stuck.is_empty());
        assert_eq!(done.after, Standing(vec![(Some(new_id.clone()), vault_keys)]));
        let again = master_keys::rotate(&both, |_| {}).await.unwrap();
        assert_eq!(again.moved, 0, "a second run has nothing to move");

        // The old key can go: the new one alone starts the instance and opens every vault.
        let only_new = MasterKeys::single(copy(&new));
        app::server::services::setup::ensure_instance(&t.db, &only_new).await.unwrap();
        let new_node = node(&old_node, only_new).await;
        let read = testkit::read_secret(&testkit::machine(&new_node, &access), made[0], "DB_URL").await.unwrap();
        assert_eq!(read.value.expose(), "postgres://db");
        let refused = app::server::services::setup::ensure_instance(&t.db, &MasterKeys::single(copy(&old))).await;
        assert!(refused.is_err(), "the old key alone no longer opens the instance");
        let verdict = app::server::audit::verify(&t.db, &new_node.audit_key).await.unwrap();
        assert!(verdict.first_broken.is_none(), "{verdict:?}");

        // A vault wrapped by a key this node lacks stays as it was, and is reported.
        let elsewhere = node(&old_node, MasterKeys::new(copy(&other), vec![copy(&new)])).await;
        let admin_elsewhere = testkit::caller(&elsewhere, admin.who.clone());
        let stranded = vaults::create(&admin_elsewhere, project, "elsewhere", "").await.unwrap();
        assert_eq!(master_keys::missing(&t.db, &new_node.master).await.unwrap(), vec![other_id.clone()]);
        let partial = master_keys::rotate(&new_node, |_| {}).await.unwrap();
        assert_eq!(partial.moved, 0);
        assert_eq!(partial.stuck.len(), 1, "{:?}", partial.stuck);
        assert!(partial.stuck[0].0.contains(&stranded.to_string()));
        assert!(matches!(&partial.stuck[0].1, UnwrapFailure::Missing(id) if *id == other_id));
        let remaining = partial.after.describe();
        assert!(remaining.contains(&format!("1 under {other_id}")), "{remaining}");
    }
}

//! Keys on both engines: every generated type checked by independent tools (`openssl pkey
//! -check`, `ssh-keygen -y`), uploads of every supported format made by those same tools,
//! bad input refused with a clear message and nothing stored, the permission rules, the audit
//! trail, the immutability trigger, and no private key bytes in the database.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use app::domain::ErrorCode;
use app::domain::ids::{KeyId, VaultId};
use app::domain::key::{KeyAlgorithm, Origin};
use app::domain::permission::ProjectRole;
use app::server::crypto::SecretText;
use app::server::db::Db;
use app::server::services::keys::{self, Download, NewKeyInput};
use app::server::services::{projects, vaults};
use app::server::{AppState, Caller};
use std::path::Path;
use std::process::Command;

struct World {
    state: AppState,
    admin: Caller,
    contributor: Caller,
    reader: Caller,
    vault: VaultId,
}

async fn world(db: &Db) -> World {
    let state = testkit::state(db).await;
    let admin = testkit::person(&state, "admin@example.com", true).await;
    let contributor = testkit::person(&state, "contributor@example.com", false).await;
    let reader = testkit::person(&state, "reader@example.com", false).await;
    let p = projects::create(&admin, "Payments", "").await.unwrap();
    projects::add_member(&admin, p, contributor.user().id, ProjectRole::Contributor).await.unwrap();
    projects::add_member(&admin, p, reader.user().id, ProjectRole::ReadOnly).await.unwrap();
    let vault = vaults::create(&admin, p, "production", "").await.unwrap();
    World { state, admin, contributor, reader, vault }
}

fn input(name: &str, algorithm: &str, format: &str) -> NewKeyInput {
    NewKeyInput {
        name: name.into(),
        algorithm: algorithm.into(),
        output_format: format.into(),
        tags: "deploy, ci".into(),
        activation_at: None,
        expiration_at: None,
    }
}

/// Runs a shell command; panics (a failed test, never a skip) when the tool is missing or fails.
fn sh(cmd: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(cmd).output().expect("sh runs");
    assert!(out.status.success(), "`{cmd}` failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

fn write_private(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    // ssh-keygen refuses a private key others can read.
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    path.display().to_string()
}

async fn download(w: &World, id: KeyId, format: Download) -> String {
    keys::download(&w.admin, id, format).await.unwrap().1.expose().to_owned()
}

#[tokio::test]
async fn every_generated_type_passes_openssl_and_ssh_keygen() {
    let dir = tempfile::tempdir().unwrap();
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        for algorithm in KeyAlgorithm::ALL {
            let name = format!("gen-{}", algorithm.as_str());
            let id = keys::generate(&w.admin, w.vault, input(&name, algorithm.as_str(), "both")).await.unwrap();
            let view = keys::get(&w.admin, id).await.unwrap();
            assert_eq!((view.meta.algorithm, view.meta.origin), (algorithm, Origin::Generated));

            let pem = download(&w, id, Download::Pem).await;
            assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "{name}: PKCS#8 PEM");
            let pem_path = write_private(dir.path(), &format!("{name}.pem"), &pem);
            let check = sh(&format!("openssl pkey -check -noout -in {pem_path} 2>&1"));
            assert!(check.contains("valid"), "{name}: openssl says {check}");
            let text = sh(&format!("openssl pkey -in {pem_path} -noout -text"));
            let expected = match algorithm {
                KeyAlgorithm::Rsa2048 => "2048 bit",
                KeyAlgorithm::Rsa3072 => "3072 bit",
                KeyAlgorithm::Rsa4096 => "4096 bit",
                KeyAlgorithm::EcP256 => "P-256",
                KeyAlgorithm::EcP384 => "P-384",
                KeyAlgorithm::Ed25519 => "ED25519",
            };
            assert!(text.contains(expected), "{name}: openssl describes {expected}");
            // The public half the page shows is the one openssl derives from the private key.
            assert_eq!(sh(&format!("openssl pkey -in {pem_path} -pubout")), view.public_pem, "{name}");

            let ssh = download(&w, id, Download::Openssh).await;
            assert!(ssh.starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"), "{name}");
            let ssh_path = write_private(dir.path(), &name, &ssh);
            let derived = sh(&format!("ssh-keygen -y -f {ssh_path}"));
            let shown = view.public_openssh.clone().expect("offered as OpenSSH");
            assert_eq!(
                derived.split_whitespace().take(2).collect::<Vec<_>>(),
                shown.split_whitespace().take(2).collect::<Vec<_>>(),
                "{name}"
            );
        }
        // A PEM-only key is not offered as OpenSSH.
        let id = keys::generate(&w.admin, w.vault, input("pem-only", "ed25519", "pem")).await.unwrap();
        assert!(keys::get(&w.admin, id).await.unwrap().public_openssh.is_none());
        let e = keys::download(&w.admin, id, Download::Openssh).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::ValidationFailed);
    }
}

/// Key files as other tools write them, each with the type Secryn must read from it.
fn uploads(dir: &Path) -> Vec<(&'static str, String, KeyAlgorithm)> {
    let ssh = |kind: &str, file: &str| {
        let path = dir.join(file);
        let _ = std::fs::remove_file(&path);
        sh(&format!("ssh-keygen -q -t {kind} -N '' -C upload -f {}", path.display()));
        std::fs::read_to_string(&path).unwrap()
    };
    vec![
        ("pkcs1", sh("openssl genrsa -traditional 2048 2>/dev/null"), KeyAlgorithm::Rsa2048),
        (
            "pkcs8-rsa",
            sh("openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 2>/dev/null"),
            KeyAlgorithm::Rsa3072,
        ),
        ("sec1-with-params", sh("openssl ecparam -name prime256v1 -genkey 2>/dev/null"), KeyAlgorithm::EcP256),
        ("sec1-p384", sh("openssl ecparam -name secp384r1 -genkey -noout 2>/dev/null"), KeyAlgorithm::EcP384),
        (
            "pkcs8-ec",
            sh("openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 2>/dev/null"),
            KeyAlgorithm::EcP256,
        ),
        ("pkcs8-ed25519", sh("openssl genpkey -algorithm ed25519 2>/dev/null"), KeyAlgorithm::Ed25519),
        ("openssh-rsa", ssh("rsa -b 2048", "up_rsa"), KeyAlgorithm::Rsa2048),
        ("openssh-ecdsa", ssh("ecdsa -b 384", "up_ecdsa"), KeyAlgorithm::EcP384),
        ("openssh-ed25519", ssh("ed25519", "up_ed25519"), KeyAlgorithm::Ed25519),
    ]
}

#[tokio::test]
async fn uploads_of_every_supported_format_keep_the_same_key() {
    let dir = tempfile::tempdir().unwrap();
    let files = uploads(dir.path());
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        for (name, text, algorithm) in &files {
            let id = keys::upload(&w.admin, w.vault, input(name, "", "both"), SecretText::new(text.clone()))
                .await
                .unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let view = keys::get(&w.admin, id).await.unwrap();
            assert_eq!((view.meta.algorithm, view.meta.origin), (*algorithm, Origin::Uploaded), "{name}");
            // Same key: openssl derives the same public half from what was uploaded.
            let upload_path = write_private(dir.path(), &format!("{name}.in"), text);
            let public = if name.starts_with("openssh") {
                let derived = sh(&format!("ssh-keygen -y -f {upload_path}"));
                let shown = view.public_openssh.clone().unwrap();
                assert_eq!(derived.split_whitespace().nth(1), shown.split_whitespace().nth(1), "{name}");
                continue;
            } else {
                sh(&format!("openssl pkey -in {upload_path} -pubout"))
            };
            assert_eq!(public, view.public_pem, "{name}");
        }
        assert_eq!(keys::list(&w.admin, w.vault).await.unwrap().len(), files.len());
    }
}

#[tokio::test]
async fn bad_input_is_refused_with_a_clear_message_and_stores_nothing() {
    let p521 = sh("openssl ecparam -name secp521r1 -genkey -noout 2>/dev/null");
    let ed448 = sh("openssl genpkey -algorithm ed448 2>/dev/null");
    let rsa1024 = sh("openssl genrsa 1024 2>/dev/null");
    let encrypted = sh("openssl genpkey -algorithm ed25519 -aes256 -pass pass:secret 2>/dev/null");
    let cert = sh("openssl req -x509 -newkey ed25519 -nodes -keyout /dev/null -subj /CN=x -days 1 2>/dev/null");
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        let upload =
            |name: &str, text: String| keys::upload(&w.admin, w.vault, input(name, "", "pem"), SecretText::new(text));
        let cases: Vec<(&str, String, &str, &str)> = vec![
            (
                "corrupt",
                "-----BEGIN PRIVATE KEY-----\nMIIB!!!\n-----END PRIVATE KEY-----\n".into(),
                "private_key",
                "corrupt",
            ),
            ("garbage", "hello".into(), "private_key", "No private key found"),
            ("p521", p521.clone(), "private_key", "P-256 and P-384"),
            ("ed448", ed448.clone(), "private_key", "not supported"),
            ("rsa1024", rsa1024.clone(), "private_key", "2048, 3072 or 4096"),
            ("encrypted", encrypted.clone(), "private_key", "passphrase"),
            ("certificate-only", cert.clone(), "private_key", "No private key found"),
            ("huge", "A".repeat(20 * 1024 * 1024), "private_key", "too large"),
            ("bad name!", sh("openssl genpkey -algorithm ed25519 2>/dev/null"), "name", "Use only"),
        ];
        for (name, text, field, says) in cases {
            let quoted = |m: &str| text.lines().any(|l| l.len() > 8 && m.contains(l));
            let e = upload(name, text.clone()).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::ValidationFailed, "{name}");
            assert_eq!(e.field.as_deref(), Some(field), "{name}: {}", e.message);
            assert!(e.message.contains(says), "{name}: {}", e.message);
            assert!(!quoted(&e.message), "{name}: the message never quotes the input");
        }
        let mut unsupported = input("x", "dsa_1024", "pem");
        let e = keys::generate(&w.admin, w.vault, unsupported).await.unwrap_err();
        assert_eq!(e.field.as_deref(), Some("algorithm"));
        unsupported = input("x", "ed25519", "pkcs12");
        assert_eq!(
            keys::generate(&w.admin, w.vault, unsupported).await.unwrap_err().field.as_deref(),
            Some("output_format")
        );
        let mut backwards = input("dates", "ed25519", "pem");
        backwards.activation_at = Some(2_000_000_000_000_000);
        backwards.expiration_at = Some(1_900_000_000_000_000);
        assert_eq!(
            keys::generate(&w.admin, w.vault, backwards).await.unwrap_err().field.as_deref(),
            Some("expiration_at")
        );
        assert!(keys::list(&w.admin, w.vault).await.unwrap().is_empty(), "nothing was stored");

        keys::generate(&w.admin, w.vault, input("deploy", "ed25519", "pem")).await.unwrap();
        let e = keys::generate(&w.admin, w.vault, input("deploy", "ec_p256", "pem")).await.unwrap_err();
        assert_eq!((e.field.as_deref(), e.message.contains("already exists")), (Some("name"), true));
        assert_eq!(keys::list(&w.admin, w.vault).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn roles_audit_and_immutability() {
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        // Contributors create keys only where the vault allows it; Read-only users never.
        let e = keys::generate(&w.contributor, w.vault, input("c1", "ed25519", "pem")).await.unwrap_err();
        assert_eq!(e.code, ErrorCode::Forbidden);
        vaults::set_settings(&w.admin, w.vault, false, true).await.unwrap();
        let id = keys::generate(&w.contributor, w.vault, input("c1", "ed25519", "pem")).await.unwrap();
        assert_eq!(
            keys::generate(&w.reader, w.vault, input("r1", "ed25519", "pem")).await.unwrap_err().code,
            ErrorCode::Forbidden
        );
        // Read-only users see the key and its public half, never the private half.
        assert_eq!(keys::get(&w.reader, id).await.unwrap().meta.name, "c1");
        assert_eq!(keys::download(&w.reader, id, Download::Pem).await.unwrap_err().code, ErrorCode::Forbidden);
        assert_eq!(keys::set_public(&w.reader, id, true).await.unwrap_err().code, ErrorCode::Forbidden);

        let pem = download(&w, id, Download::Pem).await;
        keys::set_enabled(&w.admin, id, false).await.unwrap();
        keys::set_enabled(&w.admin, id, false).await.unwrap(); // a no-op, not audited twice
        let token = keys::set_public(&w.admin, id, true).await.unwrap().unwrap();
        assert!(token.expose().starts_with("secryn_pub_"));
        assert!(keys::set_public(&w.admin, id, false).await.unwrap().is_none());
        let seen = keys::get(&w.admin, id).await.unwrap().meta.updated_at;
        let meta = keys::KeyMetaInput {
            tags: "rotated".into(),
            activation_at: None,
            expiration_at: None,
            seen_updated_at: seen,
        };
        keys::update_meta(&w.admin, id, meta).await.unwrap();
        let stale = keys::KeyMetaInput {
            tags: "again".into(),
            activation_at: None,
            expiration_at: None,
            seen_updated_at: seen,
        };
        assert_eq!(keys::update_meta(&w.admin, id, stale).await.unwrap_err().code, ErrorCode::Conflict);

        let actions: Vec<String> =
            sqlx::query_scalar("select action from audit_log where resource_type = 'key' order by seq")
                .fetch_all(t.db.reader())
                .await
                .unwrap();
        assert_eq!(
            actions,
            ["key.create", "key.download", "key.disable", "key.publish", "key.unpublish", "key.update"]
        );
        let audit_text: Vec<String> =
            sqlx::query_scalar("select coalesce(changes, '') from audit_log").fetch_all(t.db.reader()).await.unwrap();
        assert!(audit_text.iter().all(|c| !c.contains("PRIVATE") && !c.contains(token.expose())));

        // The key itself never changes and is never deleted, whatever a query tries.
        let mut tx = t.db.begin().await.unwrap();
        assert!(
            sqlx::query("update keys set public_der = $1 where id = $2")
                .bind(vec![0u8])
                .bind(id)
                .execute(&mut *tx)
                .await
                .is_err()
        );
        drop(tx);
        let mut tx = t.db.begin().await.unwrap();
        assert!(sqlx::query("delete from keys where id = $1").bind(id).execute(&mut *tx).await.is_err());
        drop(tx);

        // No private key bytes in the database: the DER inside the PEM appears in no column.
        let der = pem_body(&pem);
        let sealed: Vec<Vec<u8>> =
            sqlx::query_scalar("select private_sealed from keys").fetch_all(t.db.reader()).await.unwrap();
        assert!(sealed.iter().all(|s| !s.windows(32).any(|w| der.windows(32).any(|d| d == w))));
    }
}

fn pem_body(pem: &str) -> Vec<u8> {
    use base64::Engine as _;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD.decode(b64).unwrap()
}

/// Eight RSA-4096 generations asked for at once, half of them abandoned: at most the pool's
/// bound run together, every slot comes back, and the pool answers afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generation_is_bounded_and_cancel_safe() {
    let t = testkit::sqlite().await;
    let w = world(&t.db).await;
    let mut tasks = Vec::new();
    for i in 0..8u64 {
        let admin = w.admin.clone();
        let vault = w.vault;
        tasks.push(tokio::spawn(async move {
            let work = keys::generate(&admin, vault, input(&format!("big-{i}"), "rsa_4096", "pem"));
            if i % 2 == 0 {
                let _ = tokio::time::timeout(std::time::Duration::from_millis(50), work).await;
            } else {
                work.await.unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert!(w.state.keygen.peak_running() <= 1, "one core short of two: {}", w.state.keygen.peak_running());
    assert_eq!(w.state.keygen.queued(), 0, "every queue place was given back");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while w.state.keygen.running() > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(w.state.keygen.running(), 0, "abandoned generations end and free their slot");
    keys::generate(&w.admin, w.vault, input("after", "ed25519", "pem")).await.unwrap();
}

//! Certificates on both engines: self-signed ones checked by `openssl` (`x509 -text`,
//! `verify`, the key matching the certificate), uploads made by `openssl` in every supported
//! form (PEM with and without a key, a chain, DER, PFX), the facts shown equal to what
//! `openssl` reads, and bad input (wrong PFX password, a key of another certificate, corrupt or
//! oversized files) refused with a clear message and nothing stored.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

use app::domain::ErrorCode;
use app::domain::ids::VaultId;
use app::domain::key::{KeyAlgorithm, Origin};
use app::server::Caller;
use app::server::crypto::SecretText;
use app::server::db::Db;
use app::server::services::certificates::{self, NewCertInput};
use app::server::services::{projects, vaults};
use std::path::Path;
use std::process::Command;

struct World {
    admin: Caller,
    vault: VaultId,
}

async fn world(db: &Db) -> World {
    let state = testkit::state(db).await;
    let admin = testkit::person(&state, "admin@example.com", true).await;
    let p = projects::create(&admin, "Web", "").await.unwrap();
    let vault = vaults::create(&admin, p, "tls", "").await.unwrap();
    World { admin, vault }
}

/// Runs a shell command in `dir`; panics (a failed test, never a skip) when it fails.
fn sh(dir: &Path, cmd: &str) -> String {
    let out = Command::new("sh").arg("-c").arg(cmd).current_dir(dir).output().expect("sh runs");
    assert!(out.status.success(), "`{cmd}` failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn self_signed(name: &str, algorithm: KeyAlgorithm) -> NewCertInput {
    NewCertInput {
        name: name.into(),
        tags: "tls".into(),
        common_name: "api.example.com".into(),
        organization: "Example Ltd".into(),
        unit: "Platform".into(),
        country: "de".into(),
        state: "Berlin".into(),
        locality: "Berlin".into(),
        email: "ops@example.com".into(),
        algorithm: algorithm.as_str().into(),
        validity_days: "90".into(),
        alt_names: "api.example.com, www.example.com 10.0.0.7".into(),
    }
}

async fn upload(
    w: &World,
    name: &str,
    file: Vec<u8>,
    password: &str,
) -> Result<app::domain::ids::CertificateId, app::domain::AppError> {
    certificates::upload(&w.admin, w.vault, (name, ""), file, SecretText::new(password.into())).await
}

#[tokio::test]
async fn self_signed_certificates_pass_openssl_for_every_key_type() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        for algorithm in KeyAlgorithm::ALL {
            let name = format!("self-{}", algorithm.as_str());
            let id = certificates::generate(&w.admin, w.vault, self_signed(&name, algorithm)).await.unwrap();
            let view = certificates::get(&w.admin, id).await.unwrap();
            assert_eq!(
                (view.meta.origin, view.meta.key_algorithm, view.meta.has_private_key),
                (Origin::Generated, Some(algorithm), true)
            );
            let (_, bundle) = certificates::download(&w.admin, id).await.unwrap();
            std::fs::write(d.join("bundle.pem"), bundle.expose()).unwrap();
            std::fs::write(d.join("chain.pem"), &view.chain_pem).unwrap();
            let text = sh(d, "openssl x509 -in chain.pem -noout -text").replace(" = ", "=");
            for expected in [
                "CN=api.example.com",
                "O=Example Ltd",
                "OU=Platform",
                "C=DE",
                "DNS:www.example.com",
                "IP Address:10.0.0.7",
                "ops@example.com",
            ] {
                assert!(text.contains(expected), "{name}: openssl shows {expected}:\n{text}");
            }
            assert!(
                sh(d, "openssl verify -CAfile chain.pem chain.pem").contains("OK"),
                "{name}: a valid self-signed chain"
            );
            assert!(sh(d, "openssl pkey -in bundle.pem -check -noout 2>&1").contains("valid"), "{name}");
            assert_eq!(
                sh(d, "openssl x509 -in chain.pem -noout -pubkey"),
                sh(d, "openssl pkey -in bundle.pem -pubout"),
                "{name}: the key is the certificate's"
            );
            let fingerprint = sh(d, "openssl x509 -in chain.pem -noout -fingerprint -sha256");
            assert_eq!(fingerprint.trim().rsplit('=').next().unwrap(), view.meta.fingerprint_sha256, "{name}");
            let days = (view.meta.not_after - view.meta.not_before) / 86_400_000_000;
            assert_eq!(days, 90, "{name}: the validity asked for");
        }
    }
}

/// A CA, a leaf it signed (with its key), and a second unrelated key, made by openssl.
fn openssl_files(d: &Path) {
    sh(
        d,
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.pem -subj '/CN=Example CA' -days 30 2>/dev/null",
    );
    sh(
        d,
        "openssl req -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr -subj '/CN=shop.example.com/O=Shop' 2>/dev/null",
    );
    sh(d, "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out leaf.pem -days 20 2>/dev/null");
    sh(d, "openssl genpkey -algorithm ed25519 -out other.key 2>/dev/null");
    sh(d, "openssl x509 -in leaf.pem -outform DER -out leaf.der");
    sh(d, "openssl pkcs12 -export -in leaf.pem -inkey leaf.key -certfile ca.pem -passout pass:s3cret -out leaf.pfx");
    sh(
        d,
        "openssl pkcs12 -export -legacy -in leaf.pem -inkey leaf.key -passout pass:old -out legacy.pfx 2>/dev/null || openssl pkcs12 -export -in leaf.pem -inkey leaf.key -passout pass:old -out legacy.pfx",
    );
}

#[tokio::test]
async fn uploads_in_every_form_read_their_facts_from_the_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl_files(d);
    let read = |f: &str| std::fs::read(d.join(f)).unwrap();
    let cat = |fs: &[&str]| fs.iter().flat_map(|f| read(f)).collect::<Vec<u8>>();
    let serial = sh(d, "openssl x509 -in leaf.pem -noout -serial").trim().trim_start_matches("serial=").to_owned();
    let fingerprint =
        sh(d, "openssl x509 -in leaf.pem -noout -fingerprint -sha256").trim().rsplit('=').next().unwrap().to_owned();
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        // (name, file, password, chain length, private key kept)
        let cases: Vec<(&str, Vec<u8>, &str, i64, bool)> = vec![
            ("cert-only", read("leaf.pem"), "", 1, false),
            ("key-then-chain", cat(&["leaf.key", "ca.pem", "leaf.pem"]), "", 2, true),
            ("der", read("leaf.der"), "", 1, false),
            ("pfx", read("leaf.pfx"), "s3cret", 2, true),
            ("legacy-pfx", read("legacy.pfx"), "old", 1, true),
        ];
        for (name, file, password, chain, keyed) in cases {
            let id = upload(&w, name, file, password).await.unwrap_or_else(|e| panic!("{name}: {e:?}"));
            let view = certificates::get(&w.admin, id).await.unwrap();
            let m = &view.meta;
            assert_eq!(
                (m.common_name.as_str(), m.chain_length, m.has_private_key),
                ("shop.example.com", chain, keyed),
                "{name}"
            );
            assert_eq!((m.origin, m.key_algorithm), (Origin::Uploaded, Some(KeyAlgorithm::Rsa2048)), "{name}");
            assert!(
                m.subject.contains("CN=shop.example.com") && m.issuer.contains("CN=Example CA"),
                "{name}: {} / {}",
                m.subject,
                m.issuer
            );
            assert_eq!(
                m.serial.replace(':', "").to_uppercase().trim_start_matches('0'),
                serial.trim_start_matches('0'),
                "{name}"
            );
            assert_eq!(m.fingerprint_sha256, fingerprint, "{name}");
            // Leaf first; with the CA behind it, openssl verifies the stored chain.
            std::fs::write(d.join("stored.pem"), &view.chain_pem).unwrap();
            assert_eq!(
                sh(d, "openssl x509 -in stored.pem -noout -subject").replace(" = ", "=").trim(),
                "subject=CN=shop.example.com, O=Shop",
                "{name}"
            );
            assert!(sh(d, "openssl verify -CAfile ca.pem stored.pem").contains("OK"), "{name}");
            let (_, bundle) = certificates::download(&w.admin, id).await.unwrap();
            assert_eq!(bundle.expose().contains("PRIVATE KEY"), keyed, "{name}");
            if keyed {
                std::fs::write(d.join("bundle.pem"), bundle.expose()).unwrap();
                assert_eq!(
                    sh(d, "openssl pkey -in bundle.pem -pubout"),
                    sh(d, "openssl x509 -in leaf.pem -noout -pubkey"),
                    "{name}"
                );
            }
        }
        assert_eq!(certificates::list(&w.admin, w.vault).await.unwrap().len(), 5);
    }
}

#[tokio::test]
async fn bad_uploads_are_refused_with_a_clear_message_and_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    openssl_files(d);
    let read = |f: &str| std::fs::read(d.join(f)).unwrap();
    let cat = |fs: &[&str]| fs.iter().flat_map(|f| read(f)).collect::<Vec<u8>>();
    for t in testkit::engines().await {
        let w = world(&t.db).await;
        let cases: Vec<(&str, Vec<u8>, &str, &str, &str)> = vec![
            ("wrong-password", read("leaf.pfx"), "guess", "password", "password does not open"),
            ("no-password", read("leaf.pfx"), "", "password", "password does not open"),
            ("mismatched-key", cat(&["other.key", "leaf.pem"]), "", "file", "does not belong"),
            (
                "corrupt",
                b"-----BEGIN CERTIFICATE-----\nMIIB!!!\n-----END CERTIFICATE-----\n".to_vec(),
                "",
                "file",
                "corrupt",
            ),
            (
                "not-x509",
                b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".to_vec(),
                "",
                "file",
                "not valid X.509",
            ),
            ("key-only", read("leaf.key"), "", "file", "No certificate"),
            ("garbage", b"hello".to_vec(), "guess", "file", "not a PEM bundle, a DER certificate or a PFX"),
            ("binary", vec![0x30, 0x03, 0x02, 0x01, 0x05], "", "file", "not a PEM bundle"),
            ("huge", vec![b'A'; 20 * 1024 * 1024], "", "file", "too large"),
            ("empty", Vec::new(), "", "file", "Choose a certificate file"),
        ];
        for (name, file, password, field, says) in cases {
            let e = upload(&w, name, file, password).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::ValidationFailed, "{name}");
            assert_eq!(e.field.as_deref(), Some(field), "{name}: {}", e.message);
            assert!(e.message.contains(says), "{name}: {}", e.message);
        }
        let mut bad = self_signed("bad", KeyAlgorithm::EcP256);
        for (field, tweak) in [
            ("common_name", (|i: &mut NewCertInput| i.common_name.clear()) as fn(&mut NewCertInput)),
            ("country", |i| i.country = "Germany".into()),
            ("validity_days", |i| i.validity_days = "0".into()),
            ("validity_days", |i| i.validity_days = "99999999".into()),
            ("alt_names", |i| i.alt_names = "bad name!".into()),
            ("email", |i| i.email = "not-an-address".into()),
            ("algorithm", |i| i.algorithm = "rsa_1024".into()),
        ] {
            let mut input = self_signed("bad", KeyAlgorithm::EcP256);
            tweak(&mut input);
            let e = certificates::generate(&w.admin, w.vault, input).await.unwrap_err();
            assert_eq!(e.field.as_deref(), Some(field), "{}", e.message);
        }
        assert!(certificates::list(&w.admin, w.vault).await.unwrap().is_empty(), "nothing was stored");
        bad.name = "ok".into();
        certificates::generate(&w.admin, w.vault, bad).await.unwrap();
        let again =
            certificates::generate(&w.admin, w.vault, self_signed("ok", KeyAlgorithm::Ed25519)).await.unwrap_err();
        assert_eq!(again.field.as_deref(), Some("name"), "{again:?}");
    }
}

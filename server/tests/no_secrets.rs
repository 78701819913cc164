//! Never a secret: the real binary, logging at debug, is driven through every flow that
//! handles a secret value, private key, password or token — including the ways a careless
//! client leaks one (a token in the query string, a wrong key, a link page's URL). Then the
//! server's stdout and stderr, the whole database file and the CSV exports of every log are
//! searched for each of them: zero hits.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

mod common;

use common::{PASSWORD, Server, client, post_setup, secryn, session_cookie, temp_dir};
use reqwest::StatusCode;
use serde_json::Value;
use std::process::{Command, Stdio};

const WRONG_PASSWORD: &str = "wrong-password-probe-7781";
const MEMBER_PASSWORD: &str = "member-password-probe-6620";
const VALUE_1: &str = "secret-value-probe-1a2b3c4d";
const VALUE_2: &str = "secret-value-probe-v2-5e6f7a";
const IMPORTED: &str = "import-value-probe-9918";
const PFX_PASSWORD: &str = "pfx-password-probe-3344";
const FAKE_KEY: &str = "secryn_ak_fakeprobeAAAABBBBCCCCDDDDEEEEFFFF0000111122223333";

struct Session {
    base: String,
    cookie: String,
}

impl Session {
    async fn rpc(&self, endpoint: &str, form: &[(&str, &str)]) -> Value {
        let res = client()
            .post(format!("{}/rpc/{endpoint}", self.base))
            .header("Cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        let text = res.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{endpoint}: {text}");
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }

    async fn get(&self, path: &str) -> String {
        let res = client().get(format!("{}{path}", self.base)).header("Cookie", &self.cookie).send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        res.text().await.unwrap()
    }
}

fn sh(dir: &std::path::Path, script: &str) {
    let out = Command::new("sh").arg("-c").arg(script).current_dir(dir).output().unwrap();
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
}

/// The PEM body lines of `pem` (what would show if any part of the key leaked).
fn pem_lines(pem: &str) -> Vec<String> {
    pem.lines().filter(|l| !l.starts_with("-----") && l.len() >= 40).map(str::to_owned).collect()
}

/// The same reads by an agent over MCP: the key in the header and in the arguments, a wrong
/// key, a public fetch, and a malformed call that quotes a key.
async fn mcp_reads(base: &str, vault: &str, key: &str, key_id: &str, token: &str) {
    use rmcp::ServiceExt as _;
    use rmcp::model::{CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation};
    use rmcp::transport::StreamableHttpClientTransport;
    use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
    let cfg = StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp")).auth_header(key);
    let info = ClientConfig::new(ClientCapabilities::default(), Implementation::new("probe", "0"));
    let c = info.serve(StreamableHttpClientTransport::from_config(cfg)).await.unwrap();
    let call = |tool: &'static str, args: Value| {
        c.call_tool(CallToolRequestParams::new(tool).with_arguments(args.as_object().unwrap().clone()))
    };
    let read = call("get_secret", serde_json::json!({"name": "DB_PASSWORD"})).await.unwrap();
    assert!(read.structured_content.unwrap()["value"] == VALUE_2);
    call("list_secrets", serde_json::json!({"includeValues": true})).await.unwrap();
    let wrong = serde_json::json!({"name": "DB_PASSWORD", "vault": {"vaultId": vault, "accessKey": FAKE_KEY}});
    assert_eq!(call("get_secret", wrong).await.unwrap().is_error, Some(true));
    call("get_key", serde_json::json!({"keyId": key_id})).await.unwrap();
    call("get_key", serde_json::json!({"keyId": key_id, "preferPublic": true, "code": token})).await.unwrap();
    assert!(call("list_secrets", serde_json::json!({"includeValues": FAKE_KEY})).await.is_err());
    c.cancel().await.unwrap();
}

#[tokio::test]
async fn no_secret_reaches_a_log_an_output_or_an_export() {
    let dir = temp_dir();
    let stderr_path = dir.path().join("stderr.log");
    let mut cmd = secryn(dir.path());
    cmd.env("SECRYN_LOG", "debug");
    let mut server = Server::start_with_stderr(cmd, Stdio::from(std::fs::File::create(&stderr_path).unwrap()));
    let code = server.setup_code();
    let res = post_setup(&server.base, &code).await;
    let cookie = session_cookie(&res).unwrap();
    let admin = Session { base: server.base.clone(), cookie: cookie.clone() };
    let mut probes: Vec<String> =
        [PASSWORD, WRONG_PASSWORD, MEMBER_PASSWORD, VALUE_1, VALUE_2, IMPORTED, PFX_PASSWORD, FAKE_KEY]
            .iter()
            .map(|s| s.to_string())
            .collect();
    probes.push(cookie.split_once('=').unwrap().1.split(';').next().unwrap().to_owned());

    // A failed sign-in with a known wrong password.
    let res = client()
        .post(format!("{}/rpc/login", server.base))
        .form(&[("email", "admin@example.com"), ("password", WRONG_PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Secrets: create, new version, reveal, import, export.
    let project = admin.rpc("projects_create", &[("name", "Payments"), ("description", "")]).await;
    let project = project.as_str().unwrap().to_owned();
    let vault = admin.rpc("vaults_create", &[("project_id", &project), ("name", "prod"), ("description", "")]).await;
    let vault = vault.as_str().unwrap().to_owned();
    let form = [
        ("vault_id", vault.as_str()),
        ("name", "DB_PASSWORD"),
        ("value", VALUE_1),
        ("content_type", ""),
        ("description", ""),
        ("tags", ""),
        ("activation_at", ""),
        ("expiration_at", ""),
    ];
    let secret = admin.rpc("secrets_create", &form).await.as_str().unwrap().to_owned();
    admin
        .rpc("secrets_version", &[("id", &secret), ("value", VALUE_2), ("note", "rotate"), ("seen_version", "1")])
        .await;
    let shown = admin.rpc("secrets_reveal", &[("id", &secret), ("version", "1"), ("kind", "reveal")]).await;
    assert!(shown.to_string().contains(VALUE_1));
    let import = format!("IMPORTED_PROBE={IMPORTED}\n");
    admin
        .rpc("secrets_import", &[("vault_id", &vault), ("text", &import), ("new_versions", "false"), ("apply", "true")])
        .await;
    assert!(admin.get(&format!("/vaults/{vault}/export.env")).await.contains(VALUE_2));

    // An access key, used right, wrong, and in the query string (refused).
    let created = admin.rpc("access_keys_create", &[("vault_id", &vault), ("name", "ci"), ("expires_at", "")]).await;
    let key = created["key"].as_str().unwrap().to_owned();
    probes.push(key.clone());
    let api = |path: String, bearer: Option<String>| {
        let mut req = client().get(format!("{}{path}", server.base));
        if let Some(b) = bearer {
            req = req.header("Authorization", format!("Bearer {b}"));
        }
        req.send()
    };
    let read = api(format!("/api/v1/vaults/{vault}/secrets/DB_PASSWORD"), Some(key.clone())).await.unwrap();
    assert!(read.text().await.unwrap().contains(VALUE_2));
    let wrong = api(format!("/api/v1/vaults/{vault}"), Some(FAKE_KEY.into())).await.unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    let in_query = api(format!("/api/v1/vaults/{vault}?access_key={key}&token={key}"), None).await.unwrap();
    assert!(in_query.status().is_client_error());

    // Keys: generate and download the private half; upload a known one; publish and fetch by token.
    let form = [
        ("vault_id", vault.as_str()),
        ("name", "deploy"),
        ("algorithm", "ed25519"),
        ("output_format", "both"),
        ("tags", ""),
        ("activation_at", ""),
        ("expiration_at", ""),
    ];
    let generated = admin.rpc("keys_generate", &form).await.as_str().unwrap().to_owned();
    let private = admin.get(&format!("/keys/{generated}/download?format=openssh")).await;
    probes.extend(pem_lines(&private));
    sh(dir.path(), "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out up.pem 2>/dev/null");
    let uploaded = std::fs::read_to_string(dir.path().join("up.pem")).unwrap();
    probes.extend(pem_lines(&uploaded));
    let form = [
        ("vault_id", vault.as_str()),
        ("name", "uploaded"),
        ("output_format", "pem"),
        ("tags", ""),
        ("activation_at", ""),
        ("expiration_at", ""),
        ("private_key", uploaded.as_str()),
    ];
    admin.rpc("keys_upload", &form).await;
    let token =
        admin.rpc("keys_public", &[("id", &generated), ("public", "true")]).await["token"].as_str().unwrap().to_owned();
    probes.push(token.clone());
    let fetched = api(format!("/api/v1/keys/{generated}?code={token}"), None).await.unwrap();
    assert_eq!(fetched.status(), StatusCode::OK);
    mcp_reads(&server.base, &vault, &key, &generated, &token).await;

    // A certificate uploaded as a PFX with a known password.
    sh(
        dir.path(),
        &format!(
            "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout c.key -out c.crt \
             -days 30 -subj /CN=probe.example.com 2>/dev/null && \
             openssl pkcs12 -export -inkey c.key -in c.crt -out c.pfx -passout pass:{PFX_PASSWORD}"
        ),
    );
    probes.extend(pem_lines(&std::fs::read_to_string(dir.path().join("c.key")).unwrap()));
    use base64::Engine as _;
    let pfx = base64::engine::general_purpose::STANDARD.encode(std::fs::read(dir.path().join("c.pfx")).unwrap());
    let form = [
        ("vault_id", vault.as_str()),
        ("name", "web"),
        ("tags", ""),
        ("file_base64", pfx.as_str()),
        ("password", PFX_PASSWORD),
    ];
    admin.rpc("certificates_upload", &form).await;

    // People: an invitation and a reset link, their pages opened by URL, and both accepted.
    let invite = admin.rpc("users_invite", &[("name", "Invited Member"), ("email", "member@example.com")]).await;
    let invite_token = invite["path"].as_str().unwrap().trim_start_matches("/invite/").to_owned();
    probes.push(invite_token.clone());
    let page = client().get(format!("{}/invite/{invite_token}", server.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let accept = [
        ("token", invite_token.as_str()),
        ("name", "Invited Member"),
        ("password", MEMBER_PASSWORD),
        ("password_confirm", MEMBER_PASSWORD),
    ];
    let res = client().post(format!("{}/rpc/invitation_accept", server.base)).form(&accept).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());
    let member = invite["user_id"].as_str().unwrap().to_owned();
    let reset = admin.rpc("users_reset_link", &[("user_id", &member)]).await;
    let reset_token = reset["path"].as_str().unwrap().trim_start_matches("/reset/").to_owned();
    probes.push(reset_token.clone());
    let page = client().get(format!("{}/reset/{reset_token}", server.base)).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let accept = [("token", reset_token.as_str()), ("password", PASSWORD), ("password_confirm", PASSWORD)];
    let res = client().post(format!("{}/rpc/reset_accept", server.base)).form(&accept).send().await.unwrap();
    assert!(res.status().is_success(), "{}", res.text().await.unwrap());

    // The logs, exported, and everything the server printed.
    let mut haystacks: Vec<(String, String)> = Vec::new();
    for kind in ["audit", "requests", "users", "mcp"] {
        let csv = admin.get(&format!("/admin/logs/{kind}/export.csv")).await;
        assert!(csv.lines().count() > 1, "{kind} has rows");
        haystacks.push((format!("{kind} CSV export"), csv));
    }
    let printed = server.drain().into_iter().filter(|l| !l.contains("Setup code:")).collect::<Vec<_>>().join("\n");
    server.stop();
    haystacks.push(("stdout".into(), printed));
    haystacks.push(("stderr".into(), std::fs::read_to_string(&stderr_path).unwrap()));
    assert!(haystacks.last().unwrap().1.contains("DEBUG"), "the server logged at debug");
    for file in ["secryn.db", "secryn.db-wal"] {
        if let Ok(bytes) = std::fs::read(dir.path().join(file)) {
            haystacks.push((file.into(), String::from_utf8_lossy(&bytes).into_owned()));
        }
    }

    let mut hits = Vec::new();
    for (name, text) in &haystacks {
        for probe in &probes {
            if let Some(line) = text.lines().find(|l| l.contains(probe.as_str())) {
                let line: String = line.replace(probe.as_str(), "<PROBE>").chars().take(300).collect();
                hits.push(format!("{name}: {line}"));
            }
        }
    }
    assert!(probes.len() > 15, "{} probes", probes.len());
    assert!(hits.is_empty(), "secrets found:\n{}", hits.join("\n"));
}

//! The MCP endpoint against the real `secryn` binary with the `rmcp` client, on both engines:
//! the handshake, `tools/list`, every tool with good and bad credentials, `preferPublic` with
//! right and wrong codes, a secret never fetchable by a public code, missing, forged, ended and
//! expired session ids, malformed messages, and an MCP log that records every event and never
//! a value. The stdio bridge is driven the same way over a pipe.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test.

mod common;

use app::server::db::Db;
use common::{Server, client, post_setup, secryn, session_cookie, temp_dir};
use rmcp::ServiceExt;
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ClientCapabilities, ClientConfig, Implementation, ProtocolVersion,
};
use rmcp::service::{RoleClient, RunningService, ServiceError};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

type Client = RunningService<RoleClient, ClientConfig>;

/// Seconds an idle session lives in these tests.
const IDLE: u64 = 4;

struct World {
    server: Server,
    db: Db,
    /// What `demo-data` printed for the vault the tests read, and for another one.
    a: Value,
    b: Value,
    cookie: String,
}

fn demo_data(data: &Path, env: &[(&str, String)], secrets: &str, keys: &str) -> Value {
    let mut cmd = secryn(data);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(["demo-data", "--secrets", secrets, "--keys", keys, "--certificates", keys]).output().unwrap();
    assert!(out.status.success(), "demo-data failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

async fn world(data: &Path, mut env: Vec<(&str, String)>, db_url: String) -> World {
    env.push(("SECRYN_MCP_IDLE_SECONDS", IDLE.to_string()));
    // Many refusals come from one address here on purpose; the per-address bound has its own tests.
    env.push(("SECRYN_ANONYMOUS_PER_MINUTE", "1000".to_owned()));
    let mut cmd = secryn(data);
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let mut server = Server::start(cmd);
    let code = server.setup_code();
    let a = demo_data(data, &env, "3", "1");
    let b = demo_data(data, &env, "1", "0");
    let res = post_setup(&server.base, &code).await;
    let cookie = session_cookie(&res).expect("setup signs the Admin in");
    let db = Db::connect(&db_url).await.unwrap();
    World { server, db, a, b, cookie }
}

fn str_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v[k].as_str().unwrap_or_else(|| panic!("{k} in {v}"))
}

/// How the test client introduces itself (a fixed protocol version keeps runs alike).
fn client_info() -> ClientConfig {
    ClientConfig::new(ClientCapabilities::default(), Implementation::new("secryn-tests", "0"))
        .with_protocol_version(ProtocolVersion::V_2025_11_25)
}

/// A client that has done the handshake, with `key` as `Authorization: Bearer` if given.
async fn connect(base: &str, key: Option<&str>) -> Client {
    let mut cfg = StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp")).reinit_on_expired_session(false);
    if let Some(k) = key {
        cfg = cfg.auth_header(k);
    }
    client_info().serve(StreamableHttpClientTransport::from_config(cfg)).await.expect("handshake")
}

async fn call(c: &Client, tool: &'static str, args: Value) -> Result<CallToolResult, ServiceError> {
    let args = args.as_object().unwrap().clone();
    c.call_tool(CallToolRequestParams::new(tool).with_arguments(args)).await
}

/// A successful call's structured content.
async fn ok(c: &Client, tool: &'static str, args: Value) -> (Value, String) {
    let r = call(c, tool, args.clone()).await.unwrap_or_else(|e| panic!("{tool} {args}: {e}"));
    assert_ne!(r.is_error, Some(true), "{tool} {args}: {r:?}");
    let text = r.content[0].as_text().unwrap().text.clone();
    (r.structured_content.unwrap(), text)
}

/// A refused call's status (the REST API's for the same refusal).
async fn refused(c: &Client, tool: &'static str, args: Value) -> u64 {
    let r = call(c, tool, args.clone()).await.unwrap_or_else(|e| panic!("{tool} {args}: {e}"));
    assert_eq!(r.is_error, Some(true), "{tool} {args} should be refused: {r:?}");
    let s = r.structured_content.unwrap();
    assert!(s["message"].as_str().is_some_and(|m| !m.is_empty()), "{s}");
    s["status"].as_u64().unwrap()
}

/// A call answered with a JSON-RPC error: its code.
async fn rpc_error(c: &Client, tool: &'static str, args: Value) -> i32 {
    match call(c, tool, args).await {
        Err(ServiceError::McpError(e)) => e.code.0,
        other => panic!("a JSON-RPC error was expected, got {other:?}"),
    }
}

/// A raw POST to `/mcp` (what a client library cannot send): status and JSON body.
async fn raw(base: &str, body: String, session: Option<&str>, origin: Option<&str>) -> (u16, Value) {
    let mut req = client()
        .post(format!("{base}/mcp"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(body);
    if let Some(s) = session {
        req = req.header("Mcp-Session-Id", s);
    }
    if let Some(o) = origin {
        req = req.header("Origin", o);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Opens a session by hand and returns its id.
async fn raw_session(base: &str) -> String {
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}}});
    let res = client()
        .post(format!("{base}/mcp"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(init.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.headers()["mcp-session-id"].to_str().unwrap().to_owned()
}

async fn set_public(w: &World, endpoint: &str, id: &str) -> String {
    let res = client()
        .post(format!("{}/rpc/{endpoint}", w.server.base))
        .header("Cookie", &w.cookie)
        .form(&[("id", id), ("public", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned()
}

async fn the_tools_follow_the_rules(w: &World) {
    let base = &w.server.base;
    let (vault, key) = (str_of(&w.a, "vault_id"), str_of(&w.a, "access_key"));
    let (other_vault, other_key) = (str_of(&w.b, "vault_id"), str_of(&w.b, "access_key"));
    let names: Vec<String> =
        w.a["secret_names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap().into()).collect();
    let key_id = w.a["key_ids"][0].as_str().unwrap();
    let cert_id = w.a["certificate_ids"][0].as_str().unwrap();

    // The handshake and the catalogue: six read-only tools, each with a schema an agent reads.
    let c = connect(base, Some(key)).await;
    assert_eq!(c.peer_info().unwrap().server_info.as_ref().unwrap().name, "secryn");
    let tools = c.list_all_tools().await.unwrap();
    let listed: Vec<&str> = tools.iter().map(|t| t.name.as_ref()).collect();
    assert_eq!(listed, ["list_secrets", "get_secret", "list_keys", "get_key", "list_certificates", "get_certificate"]);
    for t in &tools {
        assert!(t.description.as_ref().is_some_and(|d| d.len() > 40), "{}", t.name);
        assert_eq!(t.input_schema["type"], "object", "{}", t.name);
        assert_eq!(t.annotations.as_ref().unwrap().read_only_hint, Some(true));
    }
    let get_secret = tools.iter().find(|t| t.name == "get_secret").unwrap();
    assert_eq!(get_secret.input_schema["required"], json!(["name"]));

    // Secrets with the key in the header: names only unless values are asked for.
    let (names_only, text) = ok(&c, "list_secrets", json!({})).await;
    assert_eq!(names_only["id"], vault);
    let secrets = names_only["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 3);
    assert!(secrets.iter().all(|s| s.get("value").is_none()), "{names_only}");
    assert!(names.iter().all(|n| text.contains(n.as_str())));
    let (full, text) = ok(&c, "list_secrets", json!({"includeValues": true})).await;
    let first = &full["secrets"][0];
    let value = str_of(first, "value").to_owned();
    assert!(text.contains(&format!("{}={value}", str_of(first, "name"))));
    let (one, text) = ok(&c, "get_secret", json!({"name": str_of(first, "name")})).await;
    assert_eq!(one["value"], value.as_str());
    assert_eq!(text, format!("{}={value}", str_of(first, "name")));
    // The same read through REST gives the same secret.
    let rest: Value = client()
        .get(format!("{base}/api/v1/vaults/{vault}/secrets/{}", str_of(first, "name")))
        .bearer_auth(key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rest, one);

    // Refusals carry the REST API's status.
    assert_eq!(refused(&c, "get_secret", json!({"name": "no-such-secret"})).await, 404);
    assert_eq!(refused(&c, "list_secrets", json!({"vault": {"vaultId": other_vault}})).await, 403);
    assert_eq!(refused(&c, "get_secret", json!({"name": names[0], "vault": {"vaultId": "not-a-uuid"}})).await, 404);

    // Credentials in the arguments (`vault` or `credentials`), with no header at all.
    let bare = connect(base, None).await;
    assert_eq!(refused(&bare, "list_secrets", json!({})).await, 401);
    let creds = json!({"vaultId": vault, "accessKey": key});
    ok(&bare, "get_secret", json!({"name": names[0], "vault": creds})).await;
    ok(&bare, "get_secret", json!({"name": names[0], "credentials": creds})).await;
    let other = json!({"vaultId": other_vault, "accessKey": other_key});
    assert_eq!(ok(&bare, "list_secrets", json!({"vault": other})).await.0["id"], other_vault);
    let wrong = json!({"vaultId": vault, "accessKey": "secryn_ak_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"});
    assert_eq!(refused(&bare, "get_secret", json!({"name": names[0], "vault": wrong})).await, 401);
    let mixed = json!({"vaultId": vault, "accessKey": other_key});
    assert_eq!(refused(&bare, "get_secret", json!({"name": names[0], "vault": mixed})).await, 403);

    // Keys and certificates: lists, private material with the access key.
    let (keys, _) = ok(&c, "list_keys", json!({})).await;
    assert_eq!(keys["data"][0]["id"], key_id);
    let (private, text) = ok(&c, "get_key", json!({"keyId": key_id})).await;
    assert!(str_of(&private, "pem").contains("PRIVATE KEY") && text.contains("PRIVATE KEY"));
    let (certs, _) = ok(&c, "list_certificates", json!({})).await;
    assert_eq!(certs["data"][0]["id"], cert_id);
    let (bundle, _) = ok(&c, "get_certificate", json!({"certificateId": cert_id})).await;
    assert!(str_of(&bundle, "pem").contains("BEGIN CERTIFICATE"));
    // Every tool refuses a call without a usable key, as the REST API does (401).
    for (tool, args) in [
        ("list_secrets", json!({})),
        ("get_secret", json!({"name": names[0]})),
        ("list_keys", json!({})),
        ("get_key", json!({"keyId": key_id})),
        ("list_certificates", json!({})),
        ("get_certificate", json!({"certificateId": cert_id})),
    ] {
        assert_eq!(refused(&bare, tool, args.clone()).await, 401, "{tool} without a key");
        let mut with_wrong = args;
        with_wrong["vault"] = wrong.clone();
        assert_eq!(refused(&bare, tool, with_wrong).await, 401, "{tool} with a wrong key");
    }

    // preferPublic with the resource's public token: public material only, no access key.
    let key_token = set_public(w, "keys_public", key_id).await;
    let cert_token = set_public(w, "certificates_public", cert_id).await;
    let (public, _) = ok(&bare, "get_key", json!({"keyId": key_id, "preferPublic": true, "code": key_token})).await;
    assert!(str_of(&public, "pem").starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(!str_of(&public, "pem").contains("PRIVATE"));
    let args = json!({"certificateId": cert_id, "preferPublic": true, "code": cert_token});
    let (chain, _) = ok(&bare, "get_certificate", args).await;
    assert!(str_of(&chain, "pem").contains("BEGIN CERTIFICATE") && !str_of(&chain, "pem").contains("PRIVATE"));
    // A public fetch reads the code only, even beside a header key.
    ok(&c, "get_key", json!({"keyId": key_id, "preferPublic": true, "code": key_token})).await;
    let wrong_code = json!({"keyId": key_id, "preferPublic": true, "code": cert_token});
    assert_eq!(refused(&bare, "get_key", wrong_code).await, 401);
    assert_eq!(refused(&bare, "get_key", json!({"keyId": key_id, "preferPublic": true, "code": key})).await, 401);
    // Secrets never open with a public code: not as an argument, not as the access key.
    assert_eq!(rpc_error(&bare, "get_secret", json!({"name": names[0], "code": key_token})).await, -32602);
    let as_key = json!({"name": names[0], "vault": {"vaultId": vault, "accessKey": key_token}});
    assert_eq!(refused(&bare, "get_secret", as_key).await, 401);
    assert_eq!(rpc_error(&bare, "get_key", json!({"keyId": key_id, "preferPublic": true})).await, -32602);

    // An expired key is 410 fetched directly and a stub in its list, as over REST.
    let mut tx = w.db.begin().await.unwrap();
    sqlx::query("update keys set expiration_at = 1 where id = $1").bind(key_id).execute(&mut *tx).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(refused(&c, "get_key", json!({"keyId": key_id})).await, 410);
    let code_args = json!({"keyId": key_id, "preferPublic": true, "code": key_token});
    assert_eq!(refused(&bare, "get_key", code_args).await, 410);
    assert_eq!(ok(&c, "list_keys", json!({})).await.0["data"][0]["message"], "Resource expired");

    // Bad input: JSON-RPC errors, never a panic.
    assert_eq!(rpc_error(&c, "get_secret", json!({"name": 5})).await, -32602);
    assert_eq!(rpc_error(&c, "get_secret", json!({})).await, -32602);
    assert_eq!(rpc_error(&c, "list_secrets", json!({"includeValues": "yes"})).await, -32602);
    assert_eq!(rpc_error(&c, "no_such_tool", json!({})).await, -32602);

    the_endpoint_guards_its_sessions(base, &c).await;
    c.cancel().await.unwrap();
    bare.cancel().await.unwrap();
    the_mcp_log_has_every_event_and_no_value(w, &[key, &key_token, &cert_token, &value]).await;
}

/// Sessions and the protocol's edge, with raw requests a client library would not send.
async fn the_endpoint_guards_its_sessions(base: &str, c: &Client) {
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).to_string();
    let (status, body) = raw(base, list.clone(), None, None).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (400, Some(-32600)), "{body}");
    let (status, body) = raw(base, list.clone(), Some("forged"), None).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (404, Some(-32001)), "{body}");
    // The newer protocol's per-request metadata does not stand in for a session.
    let stateless = json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "list_secrets",
        "_meta": {"io.modelcontextprotocol/protocolVersion": "2025-06-18",
                  "io.modelcontextprotocol/clientCapabilities": {},
                  "io.modelcontextprotocol/clientInfo": {"name": "x", "version": "1"}}}});
    assert_eq!(raw(base, stateless.to_string(), None, None).await.0, 400);

    let session = raw_session(base).await;
    let (status, body) = raw(base, format!("[{list}]"), Some(&session), None).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (400, Some(-32600)), "batches: {body}");
    let (status, body) = raw(base, "{\"jsonrpc\": \"2.0\", \"id\":".into(), Some(&session), None).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (400, Some(-32700)), "{body}");
    let (status, _) = raw(base, json!({"id": 4, "method": "tools/list"}).to_string(), Some(&session), None).await;
    assert_eq!(status, 400, "not JSON-RPC 2.0");
    let big = json!({"jsonrpc": "2.0", "id": 5, "method": "tools/list", "params": {"x": "a".repeat(100_000)}});
    let (status, body) = raw(base, big.to_string(), Some(&session), None).await;
    assert_eq!(status, 413, "{body}");
    let (status, body) = raw(base, list.clone(), Some(&session), Some("http://evil.example")).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (403, Some(-32600)), "{body}");
    let unknown = json!({"jsonrpc": "2.0", "id": 6, "method": "no/such"}).to_string();
    let (status, _) = raw(base, unknown, Some(&session), None).await;
    assert_eq!(status, 200, "an unknown method is a JSON-RPC error inside the session's answer");

    // DELETE ends a session; a forged one is 404; the ended one is gone.
    let delete = |id: &str| client().delete(format!("{base}/mcp")).header("Mcp-Session-Id", id.to_owned()).send();
    assert_eq!(delete("forged").await.unwrap().status(), 404);
    assert!(delete(&session).await.unwrap().status().is_success());
    assert_eq!(raw(base, list.clone(), Some(&session), None).await.0, 404);

    // An idle session expires; the client hears so rather than being served.
    let idle = raw_session(base).await;
    tokio::time::sleep(Duration::from_secs(IDLE + 2)).await;
    assert_eq!(raw(base, list, Some(&idle), None).await.0, 404, "expired after {IDLE}s idle");
    assert!(call(c, "list_secrets", json!({})).await.is_err(), "the client's idle session expired too");
}

async fn the_mcp_log_has_every_event_and_no_value(w: &World, never: &[&str]) {
    use sqlx::Row;
    let rows = sqlx::query(
        "select event, coalesce(session_id, ''), coalesce(tool, ''), coalesce(resource, ''), status, \
         coalesce(message, ''), coalesce(access_key_id, ''), coalesce(vault_id, '') from mcp_log",
    )
    .fetch_all(w.db.reader())
    .await
    .unwrap();
    let rows: Vec<[String; 8]> = rows
        .iter()
        .map(|r| {
            let status: i64 = r.get(4);
            [r.get(0), r.get(1), r.get(2), r.get(3), status.to_string(), r.get(5), r.get(6), r.get(7)]
        })
        .collect();
    let has = |f: &dyn Fn(&[String; 8]) -> bool| rows.iter().any(f);
    assert!(has(&|r| r[0] == "handshake" && !r[1].is_empty()), "handshakes with their session id");
    assert!(has(&|r| r[0] == "tool_call"
        && r[2] == "get_secret"
        && r[4] == "200"
        && !r[6].is_empty()
        && !r[7].is_empty()));
    assert!(has(&|r| r[0] == "tool_call" && r[2] == "get_secret" && r[3] == "no-such-secret" && r[4] == "404"));
    assert!(has(&|r| r[0] == "tool_call" && r[2] == "get_key" && r[4] == "410"));
    assert!(has(&|r| r[0] == "rejected" && r[1] == "forged" && r[4] == "404"), "forged sessions");
    assert!(has(&|r| r[0] == "rejected" && r[2] == "no_such_tool"), "unknown tools");
    assert!(has(&|r| r[0] == "rejected" && r[4] == "403"), "foreign origins");
    assert!(has(&|r| r[0] == "rejected" && r[5].starts_with("Batch")), "batches");
    assert!(has(&|r| r[0] == "rejected" && r[5] == "Parse error."), "malformed JSON");
    assert!(has(&|r| r[0] == "rejected" && r[4] == "413"), "oversized bodies");
    assert!(has(&|r| r[0] == "rejected" && r[5] == "Unknown or malformed method."), "unknown methods");
    assert!(has(&|r| r[0] == "rejected" && r[4] == "400" && r[1].is_empty()), "requests without a session");
    assert!(has(&|r| r[0] == "session_end"), "ended sessions");
    for row in &rows {
        for cell in row {
            for secret in never {
                assert!(!cell.contains(secret), "the MCP log holds a credential or value: {row:?}");
            }
        }
    }
}

/// The stdio bridge over a pipe: the same tools, forwarded to the REST API.
async fn the_stdio_bridge_forwards_to_the_api(w: &World) {
    use rmcp::transport::{ConfigureCommandExt, TokioChildProcess};
    let (vault, key) = (str_of(&w.b, "vault_id"), str_of(&w.b, "access_key"));
    let name = w.b["secret_names"][0].as_str().unwrap();
    let base = w.server.base.clone();
    let cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_secryn")).configure(|c| {
        c.args(["mcp-stdio", "--base-url", &format!("{base}/api")])
            .env("SECRYN_VAULT_ID", vault)
            .env("SECRYN_ACCESS_KEY", key)
            .env("SECRYN_LOG", "warn");
    });
    let bridge = client_info().serve(TokioChildProcess::new(cmd).unwrap()).await.expect("handshake over the pipe");
    assert_eq!(bridge.list_all_tools().await.unwrap().len(), 6);
    let (names, _) = ok(&bridge, "list_secrets", json!({})).await;
    assert_eq!(names["secrets"][0]["name"], name);
    assert!(names["secrets"][0].get("value").is_none());
    let (one, text) = ok(&bridge, "get_secret", json!({"name": name})).await;
    assert!(text.starts_with(&format!("{name}=")) && one["value"].is_string());
    assert_eq!(refused(&bridge, "get_secret", json!({"name": "missing"})).await, 404);
    let wrong = json!({"vaultId": vault, "accessKey": "secryn_ak_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"});
    assert_eq!(refused(&bridge, "get_secret", json!({"name": name, "vault": wrong})).await, 401);
    let elsewhere = json!({"vaultId": str_of(&w.a, "vault_id")});
    assert_eq!(refused(&bridge, "list_secrets", json!({"vault": elsewhere})).await, 403);
    assert_eq!(rpc_error(&bridge, "get_secret", json!({"name": 1})).await, -32602);
    bridge.cancel().await.unwrap();
}

#[tokio::test]
async fn mcp_on_sqlite() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.path().join("secryn.db").display());
    let w = world(dir.path(), vec![], url).await;
    the_tools_follow_the_rules(&w).await;
    the_stdio_bridge_forwards_to_the_api(&w).await;
    w.server.stop();
}

#[tokio::test]
async fn mcp_on_postgres() {
    let t = testkit::postgres().await;
    t.db.close().await;
    let dir = temp_dir();
    let w = world(dir.path(), vec![("SECRYN_DATABASE_URL", t.url.clone())], t.url.clone()).await;
    the_tools_follow_the_rules(&w).await;
    w.server.stop();
}

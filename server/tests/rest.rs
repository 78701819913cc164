//! The REST API against the real `secryn` binary on both engines: demo data made by
//! `secryn demo-data` while the server runs, every status rule of SPEC §3, tokens in the
//! query refused, revocation and expiry counting at once, the request log row of every call,
//! and a request log that cannot be written answering 503 with no secret.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

mod common;

use app::server::db::Db;
use common::{Server, client, post_setup, secryn, session_cookie, temp_dir};
use reqwest::StatusCode;
use serde_json::Value;
use std::path::Path;

/// A started server plus what `demo-data` printed for two vaults.
struct World {
    server: Server,
    db: Db,
    a: Value,
    b: Value,
    cookie: String,
}

fn demo_data(data: &Path, env: &[(&str, String)], base: &str, secrets: &str, keys: &str) -> Value {
    let mut cmd = secryn(data);
    cmd.env("SECRYN_PUBLIC_URL", base);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.args(["demo-data", "--secrets", secrets, "--keys", keys, "--certificates", keys]).output().unwrap();
    assert!(out.status.success(), "demo-data failed: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("demo-data prints one JSON object")
}

async fn world(data: &Path, env: Vec<(&str, String)>, db_url: String) -> World {
    let mut cmd = secryn(data);
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let mut server = Server::start(cmd);
    let code = server.setup_code();
    let a = demo_data(data, &env, &server.base, "3", "2");
    assert_eq!(a["base_url"], format!("{}/api", server.base));
    assert_eq!(a["secret_names"].as_array().unwrap().len(), 3);
    let b = demo_data(data, &env, &server.base, "1", "0");
    // The instance can still be set up: the demo author is not a person.
    let res = post_setup(&server.base, &code).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = session_cookie(&res).expect("setup signs the Admin in");
    // A person now exists, so demo-data wants --force.
    let mut refused = secryn(data);
    for (k, v) in &env {
        refused.env(k, v);
    }
    let out = refused.args(["demo-data", "--secrets", "1"]).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--force"));
    let db = Db::connect(&db_url).await.unwrap();
    World { server, db, a, b, cookie }
}

impl World {
    async fn get(&self, path: &str, key: Option<&str>) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let mut req = client().get(format!("{}{path}", self.server.base)).header("Accept", "application/json");
        if let Some(k) = key {
            req = req.header("Authorization", format!("Bearer {k}"));
        }
        let res = req.send().await.unwrap();
        let (status, headers) = (res.status(), res.headers().clone());
        (status, headers, res.text().await.unwrap())
    }

    async fn rpc(&self, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        client()
            .post(format!("{}/rpc/{endpoint}", self.server.base))
            .header("Cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Changes the database behind the server's back (another node, an operator).
    async fn exec(&self, sql: &str, arg: Option<&str>) {
        let mut tx = self.db.begin().await.unwrap();
        let mut q = sqlx::query(sql);
        if let Some(a) = arg {
            q = q.bind(a.to_owned());
        }
        q.execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }

    async fn log_rows(&self) -> Vec<(String, String, i64)> {
        use sqlx::Row;
        sqlx::query("select method, path, status from request_log order by at")
            .fetch_all(self.db.reader())
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()
    }
}

/// Checks `v` against `schema` from the OpenAPI document `doc`, as a JSON Schema validator
/// would (the subset the document uses: `$ref`, `oneOf` — exactly one branch —, `anyOf`,
/// `type` (one or several), `properties` with `required` and `additionalProperties: false`,
/// `items`, and the `uuid` and `date-time` formats), and stricter in one way: every field of
/// `v` must be documented, even where the schema would allow more.
fn conforms(doc: &Value, schema: &Value, v: &Value) -> Result<(), String> {
    check(doc, schema, v, true)
}

/// [`conforms`]; with `documented_only` false, exactly the JSON Schema rules (how a branch of
/// `oneOf`/`anyOf` is chosen: a client's validator knows nothing of the stricter rule).
fn check(doc: &Value, schema: &Value, v: &Value, documented_only: bool) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let name = r.rsplit('/').next().unwrap();
        return check(doc, &doc["components"]["schemas"][name], v, documented_only);
    }
    if let Some(branches) = schema.get("oneOf").and_then(Value::as_array) {
        let matching: Vec<&Value> = branches.iter().filter(|s| check(doc, s, v, false).is_ok()).collect();
        return match matching.as_slice() {
            [one] => check(doc, one, v, documented_only),
            [] => Err(format!("{v} matches no alternative")),
            many => Err(format!("{v} matches {} alternatives of a oneOf (exactly one must match)", many.len())),
        };
    }
    if let Some(any) = schema.get("anyOf").and_then(Value::as_array) {
        return if any.iter().any(|s| check(doc, s, v, documented_only).is_ok()) {
            Ok(())
        } else {
            Err(format!("{v} matches no alternative"))
        };
    }
    let kinds: Vec<&str> = match &schema["type"] {
        Value::String(k) => vec![k.as_str()],
        Value::Array(ks) => ks.iter().filter_map(Value::as_str).collect(),
        _ => return Ok(()),
    };
    let kind = match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    };
    let allowed = kinds.contains(&kind) || (kind == "integer" && kinds.contains(&"number"));
    if !allowed {
        return Err(format!("{v} is {kind}, the schema says {kinds:?}"));
    }
    match (v, schema["format"].as_str()) {
        (Value::String(t), Some("uuid")) if uuid::Uuid::parse_str(t).is_err() => return Err(format!("{t} is no uuid")),
        (Value::String(t), Some("date-time")) if chrono::DateTime::parse_from_rfc3339(t).is_err() => {
            return Err(format!("{t} is no date-time"));
        }
        _ => {}
    }
    if let Value::Object(fields) = v {
        let props = schema["properties"].as_object();
        for name in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !fields.contains_key(name) {
                return Err(format!("{name} is missing from {v}"));
            }
        }
        let closed = documented_only || schema["additionalProperties"] == Value::Bool(false);
        for (name, value) in fields {
            match props.and_then(|p| p.get(name)) {
                Some(p) => check(doc, p, value, documented_only)?,
                None if closed => return Err(format!("{name} is not in the schema")),
                None => {}
            }
        }
    }
    if let (Value::Array(items), Some(item)) = (v, schema.get("items")) {
        for i in items {
            check(doc, item, i, documented_only)?;
        }
    }
    Ok(())
}

/// The checker follows JSON Schema where a client's validator would: a `oneOf` with two
/// matching branches is refused (the old vault-read shape, an array of full secrets or an
/// array of names, matched a full read twice), and `additionalProperties: false` closes an
/// object even where the stricter "everything documented" rule does not apply.
#[test]
fn the_schema_check_wants_exactly_one_branch_of_a_one_of() {
    let doc = serde_json::json!({ "components": { "schemas": {
        "Full": { "type": "object", "required": ["id", "name", "value"], "properties": {
            "id": { "type": "string" }, "name": { "type": "string" }, "value": { "type": "string" } } },
        "Name": { "type": "object", "required": ["id", "name"], "properties": {
            "id": { "type": "string" }, "name": { "type": "string" } } },
        "ClosedName": { "type": "object", "required": ["id", "name"], "additionalProperties": false,
            "properties": { "id": { "type": "string" }, "name": { "type": "string" } } },
    } } });
    let full = serde_json::json!([{ "id": "1", "name": "A", "value": "v" }]);
    let names = serde_json::json!([{ "id": "1", "name": "A" }]);
    let empty = serde_json::json!([]);
    let old = serde_json::json!({ "oneOf": [
        { "type": "array", "items": { "$ref": "#/components/schemas/Full" } },
        { "type": "array", "items": { "$ref": "#/components/schemas/Name" } },
    ] });
    let e = conforms(&doc, &old, &full).unwrap_err();
    assert!(e.contains("2 alternatives"), "{e}");
    assert!(conforms(&doc, &old, &names).is_ok(), "only the names branch requires no value");
    assert!(conforms(&doc, &old, &empty).is_err(), "an empty list matches both arrays");
    let new = serde_json::json!({ "type": "array", "items": { "oneOf": [
        { "$ref": "#/components/schemas/Full" }, { "$ref": "#/components/schemas/ClosedName" } ] } });
    for ok in [&full, &names, &empty] {
        assert_eq!(conforms(&doc, &new, ok), Ok(()));
    }
    let closed = serde_json::json!({ "$ref": "#/components/schemas/ClosedName" });
    let extra = serde_json::json!({ "id": "1", "name": "A", "value": "v" });
    assert!(check(&doc, &closed, &extra, false).is_err(), "additionalProperties: false is honoured");
    let open = serde_json::json!({ "$ref": "#/components/schemas/Name" });
    assert!(check(&doc, &open, &extra, false).is_ok(), "JSON Schema allows undeclared fields by default");
    assert!(conforms(&doc, &open, &extra).is_err(), "the project's own rule: every field is documented");
}

/// Asserts that `body` is what the document promises for `path` and `status` (GET).
fn documented(doc: &Value, path: &str, status: u16, body: &str) {
    let schema = &doc["paths"][path]["get"]["responses"][status.to_string()]["content"]["application/json"]["schema"];
    assert!(!schema.is_null(), "the document describes {status} for {path}");
    let v: Value = serde_json::from_str(body).unwrap();
    if let Err(e) = conforms(doc, schema, &v) {
        panic!("{path} {status}: {e}");
    }
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap()
}

/// Asserts a status, the error body and (for 401) the Bearer challenge.
fn refused(got: &(StatusCode, reqwest::header::HeaderMap, String), status: StatusCode, code: &str) {
    assert_eq!(got.0, status, "{}", got.2);
    let body: Value = serde_json::from_str(&got.2).expect("error body is JSON");
    assert_eq!(body["error"], code, "{}", got.2);
    assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(got.1["www-authenticate"], "Bearer");
    }
    assert_eq!(got.1["cache-control"], "no-store");
    assert_eq!(body["request_id"], got.1["x-request-id"].to_str().unwrap(), "the body names its request");
}

async fn the_api_follows_the_contract(w: World) {
    let (vault, key) = (s(&w.a["vault_id"]), s(&w.a["access_key"]));
    let first = s(&w.a["secret_names"][0]);
    let doc: Value = serde_json::from_str(&w.get("/api/v1/openapi.json", None).await.2).unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    assert_eq!(doc["components"]["securitySchemes"]["access_key"]["scheme"], "bearer");
    let docs_page = w.get("/api/docs", None).await;
    assert_eq!(docs_page.0, StatusCode::OK);
    assert!(docs_page.2.contains("/api/v1/vaults/{vault_id}/secrets/{name}") && !docs_page.2.contains("<script"));
    let (vault_path, secret_path) = ("/api/v1/vaults/{vault_id}", "/api/v1/vaults/{vault_id}/secrets/{name}");
    let secret_schema = serde_json::json!({ "$ref": "#/components/schemas/SecretJson" });
    assert!(
        conforms(&doc, &secret_schema, &serde_json::json!({ "id": "x", "name": "A" })).is_err(),
        "the check can fail"
    );
    let before = w.log_rows().await.len();

    // Full vault read: exact fields, no-store.
    let got = w.get(&format!("/api/v1/vaults/{vault}"), Some(key)).await;
    assert_eq!(got.0, StatusCode::OK, "{}", got.2);
    assert_eq!(got.1["cache-control"], "no-store");
    documented(&doc, vault_path, 200, &got.2);
    let body: Value = serde_json::from_str(&got.2).unwrap();
    assert_eq!(body["id"], vault);
    let secrets = body["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 3);
    let mut fields: Vec<&str> = secrets[0].as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort();
    assert_eq!(
        fields,
        ["content_type", "expired", "expires_at", "id", "name", "tags", "updated_at", "value", "version"]
    );
    assert!(s(&secrets[0]["updated_at"]).ends_with('Z') && s(&secrets[0]["updated_at"]).len() == 27);

    let names = w.get(&format!("/api/v1/vaults/{vault}?secrets=names&unknown=1&include=keys"), Some(key)).await;
    documented(&doc, vault_path, 200, &names.2);
    let names: Value = serde_json::from_str(&names.2).unwrap();
    assert_eq!(names["keys"].as_array().unwrap().len(), 2, "the demo vault's two keys");
    assert_eq!(names["secrets"][0].as_object().unwrap().len(), 2, "names carry only id and name");
    // A vault with nothing served answers an empty list, which the document allows as well.
    documented(&doc, vault_path, 200, &serde_json::json!({ "id": vault, "name": "x", "secrets": [] }).to_string());
    let by_id = w.get(&format!("/api/v1/vaults/{vault}?resource={}", s(&secrets[0]["id"])), Some(key)).await;
    assert_eq!(serde_json::from_str::<Value>(&by_id.2).unwrap()["name"], secrets[0]["name"]);
    let one = w.get(&format!("/api/v1/vaults/{vault}/secrets/{first}"), Some(key)).await;
    assert_eq!(one.0, StatusCode::OK);
    documented(&doc, secret_path, 200, &one.2);
    assert!(s(&serde_json::from_str::<Value>(&one.2).unwrap()["value"]).starts_with(&format!("value of {first}")));

    // The status rules; error bodies as the document describes them.
    documented(&doc, vault_path, 401, &w.get(&format!("/api/v1/vaults/{vault}"), None).await.2);
    let other_vault = format!("/api/v1/vaults/{}", s(&w.b["vault_id"]));
    documented(&doc, vault_path, 403, &w.get(&other_vault, Some(key)).await.2);
    documented(&doc, secret_path, 404, &w.get(&format!("/api/v1/vaults/{vault}/secrets/NOPE"), Some(key)).await.2);
    refused(&w.get(&format!("/api/v1/vaults/{vault}"), None).await, StatusCode::UNAUTHORIZED, "unauthorized");
    refused(
        &w.get(&format!("/api/v1/vaults/{vault}"), Some("garbage")).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    );
    // One character changed (to one it is not: a key may end in `x`).
    let swap = if key.ends_with('x') { 'y' } else { 'x' };
    let wrong = format!("{}{swap}", &key[..key.len() - 1]);
    refused(&w.get(&format!("/api/v1/vaults/{vault}"), Some(&wrong)).await, StatusCode::UNAUTHORIZED, "unauthorized");
    let in_query = w.get(&format!("/api/v1/vaults/{vault}?access_key={key}"), None).await;
    refused(&in_query, StatusCode::UNAUTHORIZED, "unauthorized");
    // Percent-encoded names and values are read as the server would decode them: refused
    // even beside a valid header (which alone would be served).
    let encoded_value = format!("x=%73{}", &key[1..]);
    for query in ["access%5Fkey=x", "Access%5fKey=x", encoded_value.as_str()] {
        let got = w.get(&format!("/api/v1/vaults/{vault}?secrets=names&{query}"), Some(key)).await;
        refused(&got, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    let other = s(&w.b["vault_id"]);
    refused(&w.get(&format!("/api/v1/vaults/{other}"), Some(key)).await, StatusCode::FORBIDDEN, "forbidden");
    refused(&w.get("/api/v1/vaults/not-a-uuid", Some(key)).await, StatusCode::NOT_FOUND, "not_found");
    refused(
        &w.get(&format!("/api/v1/vaults/{vault}/secrets/NOPE"), Some(key)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    refused(
        &w.get(&format!("/api/v1/vaults/{vault}?resource=zzz"), Some(key)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    refused(&w.get("/api/v1/vaults/..%2F..%2Fetc%2Fpasswd", Some(key)).await, StatusCode::NOT_FOUND, "not_found");
    refused(&w.get("/api/v1/secrets/..%2Fx", Some(key)).await, StatusCode::NOT_FOUND, "not_found");
    let post = client()
        .post(format!("{}/api/v1/vaults/{vault}", w.server.base))
        .header("Authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), StatusCode::METHOD_NOT_ALLOWED);
    let bad_header = client()
        .get(format!("{}/api/v1/vaults/{vault}", w.server.base))
        .header("Authorization", reqwest::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(bad_header.status(), StatusCode::UNAUTHORIZED);

    // Oversized requests are refused by the HTTP layer itself (status only, nothing run).
    let status_of_raw = |request: Vec<u8>| {
        use std::io::{Read, Write};
        let mut conn = std::net::TcpStream::connect(w.server.base.trim_start_matches("http://")).unwrap();
        let _ = conn.write_all(&request);
        let mut head = [0u8; 12];
        conn.read_exact(&mut head).map(|_| String::from_utf8_lossy(&head[9..12]).into_owned()).unwrap_or_default()
    };
    let huge = [b"GET /api/v1/vaults/x?q=".as_slice(), &vec![b'a'; 10 << 20], b" HTTP/1.1\r\nHost: x\r\n\r\n"].concat();
    assert!(matches!(status_of_raw(huge).as_str(), "414" | "431"));
    let raw_header = b"GET /api/v1/vaults/x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\r\n\r\n".to_vec();
    assert!(status_of_raw(raw_header).starts_with('4'));
    let options = client()
        .request(reqwest::Method::OPTIONS, format!("{}/api/v1/vaults/{vault}", w.server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(options.status(), StatusCode::METHOD_NOT_ALLOWED);
    let head = client()
        .head(format!("{}/api/v1/vaults/{vault}", w.server.base))
        .header("Authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert!(head.text().await.unwrap().is_empty(), "HEAD sends no body");

    // Disabled and scheduled secrets are 404; an expired one is served, marked.
    let secret_id = s(&secrets[1]["id"]).to_owned();
    let res = w.rpc("secrets_enabled", &[("id", &secret_id), ("enabled", "false")]).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    let disabled_name = s(&secrets[1]["name"]);
    refused(
        &w.get(&format!("/api/v1/vaults/{vault}/secrets/{disabled_name}"), Some(key)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    for (name, activation, expiration) in [("LATER", "2999-01-01T00:00", ""), ("OLD", "", "2001-01-01T00:00")] {
        let form = [
            ("vault_id", vault),
            ("name", name),
            ("value", "v"),
            ("content_type", ""),
            ("description", ""),
            ("tags", ""),
            ("activation_at", activation),
            ("expiration_at", expiration),
        ];
        let res = w.rpc("secrets_create", &form).await;
        assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    }
    refused(
        &w.get(&format!("/api/v1/vaults/{vault}/secrets/LATER"), Some(key)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let old: Value =
        serde_json::from_str(&w.get(&format!("/api/v1/vaults/{vault}/secrets/OLD"), Some(key)).await.2).unwrap();
    assert_eq!(old["expired"], true);
    assert_eq!(old["expires_at"], "2001-01-01T00:00:00.000000Z");

    // Every call so far is in the request log, by path template, never the raw query.
    let rows = w.log_rows().await;
    assert_eq!(rows.len() - before, 28, "{rows:?}");
    assert!(rows.iter().all(|(_, path, _)| !path.contains("secryn_ak_") && !path.contains('?')));
    let refusals = rows.iter().filter(|(_, path, status)| path == "(token in query refused)" && *status == 401);
    assert_eq!(refusals.count(), 4, "each token in a query is logged under its label only");
    assert!(rows.contains(&("GET".into(), "/api/v1/vaults/{vault_id}/secrets/{name}".into(), 404)));
    assert!(rows.contains(&("POST".into(), "/api/v1/vaults/{vault_id}".into(), 405)));
    let last_used: Option<i64> = sqlx::query_scalar("select last_used_at from access_keys where vault_id = $1")
        .bind(vault)
        .fetch_one(w.db.reader())
        .await
        .unwrap();
    assert!(last_used.is_some(), "last used at moves with the log");

    // A log that cannot be written: 503 and no secret.
    w.exec("alter table request_log rename to request_log_away", None).await;
    let blocked = w.get(&format!("/api/v1/vaults/{vault}/secrets/{first}"), Some(key)).await;
    refused(&blocked, StatusCode::SERVICE_UNAVAILABLE, "unavailable");
    assert!(!blocked.2.contains("value of"), "no secret leaves without its record");
    w.exec("alter table request_log_away rename to request_log", None).await;
    assert_eq!(w.get(&format!("/api/v1/vaults/{vault}/secrets/{first}"), Some(key)).await.0, StatusCode::OK);

    keys_follow_the_contract(&w, &doc).await;
    certificates_follow_the_contract(&w, &doc).await;

    // Expiry and revocation count on the very next request.
    let key_b = s(&w.b["access_key"]);
    let vault_b = s(&w.b["vault_id"]);
    assert_eq!(w.get(&format!("/api/v1/vaults/{vault_b}"), Some(key_b)).await.0, StatusCode::OK);
    w.exec("update access_keys set expires_at = 1 where vault_id = $1", Some(vault_b)).await;
    refused(&w.get(&format!("/api/v1/vaults/{vault_b}"), Some(key_b)).await, StatusCode::UNAUTHORIZED, "unauthorized");
    let key_id: String = sqlx::query_scalar("select id from access_keys where vault_id = $1")
        .bind(vault)
        .fetch_one(w.db.reader())
        .await
        .unwrap();
    let res = w.rpc("access_keys_revoke", &[("id", &key_id)]).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap());
    refused(&w.get(&format!("/api/v1/vaults/{vault}"), Some(key)).await, StatusCode::UNAUTHORIZED, "unauthorized");
    w.db.close().await;
    w.server.stop();
}

/// A PEM answer: the status, `application/x-pem-file`, `no-store`, and the body.
fn pem_answer(got: &(StatusCode, reqwest::header::HeaderMap, String)) -> &str {
    assert_eq!(got.0, StatusCode::OK, "{}", got.2);
    assert_eq!(got.1["content-type"], "application/x-pem-file");
    assert_eq!(got.1["cache-control"], "no-store");
    &got.2
}

/// Turns a key's public visibility on or off through the UI's server function; the token
/// issued, if any.
async fn set_public(w: &World, key: &str, public: bool) -> Option<String> {
    set_public_at(w, "keys_public", key, public).await
}

/// [`set_public`] through the server function `endpoint` (keys or certificates).
async fn set_public_at(w: &World, endpoint: &str, id: &str, public: bool) -> Option<String> {
    let res = w.rpc(endpoint, &[("id", id), ("public", if public { "true" } else { "false" })]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    body["token"].as_str().map(str::to_owned)
}

/// The key rows of SPEC §3: lists, downloads, `?resource=`, `?format=`, the status matrix
/// (valid, disabled, scheduled, expired), and public fetches by token (Bearer or `?code=`),
/// re-issued and revoked, each recorded under its resource and never with the token.
async fn keys_follow_the_contract(w: &World, doc: &Value) {
    let (vault, key) = (s(&w.a["vault_id"]), s(&w.a["access_key"]));
    let (k1, k2) = (s(&w.a["key_ids"][0]), s(&w.a["key_ids"][1]));
    let keys_path = "/api/v1/vaults/{vault_id}/keys";
    let list = w.get(&format!("/api/v1/vaults/{vault}/keys"), Some(key)).await;
    assert_eq!(list.0, StatusCode::OK, "{}", list.2);
    documented(doc, keys_path, 200, &list.2);
    let data: Value = serde_json::from_str(&list.2).unwrap();
    let mut fields: Vec<&str> = data["data"][0].as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort();
    let expected =
        ["activation_date", "created_at", "expiration_date", "id", "key_type", "name", "output_format", "tags", "type"];
    assert_eq!(fields, expected, "Ed25519 has neither key_size nor key_curve");
    assert_eq!((&data["data"][0]["key_type"], &data["data"][0]["type"]), (&"Ed25519".into(), &"generated".into()));

    // Downloads: PEM whatever Accept says, OpenSSH on request, by `?resource=` too.
    let download = |id: &str, q: &str| format!("/api/v1/vaults/{vault}/keys/{id}/download{q}");
    let pem = w.get(&download(k1, ""), Some(key)).await;
    assert!(pem_answer(&pem).starts_with("-----BEGIN PRIVATE KEY-----"));
    let ssh = w.get(&download(k1, "?format=openssh"), Some(key)).await;
    assert!(pem_answer(&ssh).starts_with("-----BEGIN OPENSSH PRIVATE KEY-----"));
    refused(
        &w.get(&download(k1, "?format=xml"), Some(key)).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    );
    let by_resource = w.get(&format!("/api/v1/vaults/{vault}?resource={k1}"), Some(key)).await;
    assert_eq!(pem_answer(&by_resource), pem.2);
    refused(&w.get(&download(k1, ""), None).await, StatusCode::UNAUTHORIZED, "unauthorized");
    refused(&w.get(&download(k1, ""), Some(s(&w.b["access_key"]))).await, StatusCode::FORBIDDEN, "forbidden");
    refused(
        &w.get(&download(&uuid::Uuid::new_v4().to_string(), ""), Some(key)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );

    // Public visibility: the token opens this key's public half only, as Bearer or `?code=`.
    let public_path = |id: &str| format!("/api/v1/keys/{id}");
    refused(&w.get(&public_path(k1), None).await, StatusCode::UNAUTHORIZED, "unauthorized");
    let t1 = set_public(w, k1, true).await.expect("a token is issued");
    let t2 = set_public(w, k2, true).await.expect("a token is issued");
    let public = w.get(&public_path(k1), Some(&t1)).await;
    assert!(pem_answer(&public).starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(!public.2.contains("PRIVATE KEY"), "a public fetch never carries a private key");
    assert_eq!(pem_answer(&w.get(&format!("{}?code={t1}", public_path(k1)), None).await), public.2);
    refused(&w.get(&public_path(k1), Some(&t2)).await, StatusCode::UNAUTHORIZED, "unauthorized");
    refused(&w.get(&public_path(k1), Some(key)).await, StatusCode::UNAUTHORIZED, "unauthorized");
    let access_key_as_code = w.get(&format!("{}?code={key}", public_path(k1)), None).await;
    refused(&access_key_as_code, StatusCode::UNAUTHORIZED, "unauthorized");
    let t1_again = set_public(w, k1, true).await.expect("a new token");
    refused(&w.get(&public_path(k1), Some(&t1)).await, StatusCode::UNAUTHORIZED, "unauthorized");
    pem_answer(&w.get(&public_path(k1), Some(&t1_again)).await);
    assert_eq!(set_public(w, k1, false).await, None);
    refused(&w.get(&public_path(k1), Some(&t1_again)).await, StatusCode::UNAUTHORIZED, "unauthorized");

    // The status matrix, on k2: disabled 404, not active yet 403, expired 410 (listed as a stub).
    let res = w.rpc("keys_enabled", &[("id", k2), ("enabled", "false")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    refused(&w.get(&download(k2, ""), Some(key)).await, StatusCode::NOT_FOUND, "not_found");
    refused(&w.get(&public_path(k2), Some(&t2)).await, StatusCode::NOT_FOUND, "not_found");
    let listed = |body: &str| serde_json::from_str::<Value>(body).unwrap()["data"].as_array().unwrap().len();
    assert_eq!(listed(&w.get(&format!("/api/v1/vaults/{vault}/keys"), Some(key)).await.2), 1);
    w.exec("update keys set enabled = 1, activation_at = 32503680000000000 where id = $1", Some(k2)).await;
    refused(&w.get(&download(k2, ""), Some(key)).await, StatusCode::FORBIDDEN, "forbidden");
    refused(&w.get(&public_path(k2), Some(&t2)).await, StatusCode::FORBIDDEN, "forbidden");
    w.exec("update keys set activation_at = null, expiration_at = 1 where id = $1", Some(k2)).await;
    refused(&w.get(&download(k2, ""), Some(key)).await, StatusCode::GONE, "gone");
    refused(&w.get(&public_path(k2), Some(&t2)).await, StatusCode::GONE, "gone");
    let list = w.get(&format!("/api/v1/vaults/{vault}/keys"), Some(key)).await;
    documented(doc, keys_path, 200, &list.2);
    let data: Value = serde_json::from_str(&list.2).unwrap();
    assert!(data["data"].as_array().unwrap().contains(&serde_json::json!({ "id": k2, "message": "Resource expired" })));

    // Public fetches are recorded under the key they opened; no token reaches the log.
    use sqlx::Row;
    let rows = sqlx::query("select path, status, public_resource, access_key_id from request_log where path = $1")
        .bind("/api/v1/keys/{key_id}")
        .fetch_all(w.db.reader())
        .await
        .unwrap();
    assert!(rows.iter().any(|r| r.get::<i64, _>(1) == 200 && r.get::<Option<String>, _>(2).as_deref() == Some(k1)));
    assert!(rows.iter().all(|r| r.get::<Option<String>, _>(3).is_none()));
    let everything: Vec<String> = sqlx::query_scalar("select path || coalesce(public_resource, '') from request_log")
        .fetch_all(w.db.reader())
        .await
        .unwrap();
    assert!(everything.iter().all(|p| !p.contains("secryn_")), "no token in the request log");
}

/// The certificate rows of SPEC §3: list shape, the PEM bundle (chain, then the key kept with
/// it), `?include=` and `?resource=`, the status matrix, and public fetches of the chain only.
async fn certificates_follow_the_contract(w: &World, doc: &Value) {
    let (vault, key) = (s(&w.a["vault_id"]), s(&w.a["access_key"]));
    let (c1, c2) = (s(&w.a["certificate_ids"][0]), s(&w.a["certificate_ids"][1]));
    let list_path = format!("/api/v1/vaults/{vault}/certificates");
    let list = w.get(&list_path, Some(key)).await;
    assert_eq!(list.0, StatusCode::OK, "{}", list.2);
    documented(doc, "/api/v1/vaults/{vault_id}/certificates", 200, &list.2);
    let data: Value = serde_json::from_str(&list.2).unwrap();
    let mut fields: Vec<&str> = data["data"][0].as_object().unwrap().keys().map(String::as_str).collect();
    fields.sort();
    let expected = [
        "activation_date",
        "common_name",
        "created_at",
        "expires_at",
        "fingerprint_sha256",
        "id",
        "issuer",
        "name",
        "serial",
        "tags",
        "type",
    ];
    assert_eq!(fields, expected);
    let included = w.get(&format!("/api/v1/vaults/{vault}?secrets=names&include=keys,certificates"), Some(key)).await;
    documented(doc, "/api/v1/vaults/{vault_id}", 200, &included.2);
    assert_eq!(serde_json::from_str::<Value>(&included.2).unwrap()["certificates"].as_array().unwrap().len(), 2);

    let download = |id: &str| format!("/api/v1/vaults/{vault}/certificates/{id}/download");
    let bundle = w.get(&download(c1), Some(key)).await;
    let text = pem_answer(&bundle).to_owned();
    assert!(text.starts_with("-----BEGIN CERTIFICATE-----") && text.contains("-----BEGIN PRIVATE KEY-----"));
    assert_eq!(pem_answer(&w.get(&format!("/api/v1/vaults/{vault}?resource={c1}"), Some(key)).await), text);
    refused(&w.get(&download(c1), Some(s(&w.b["access_key"]))).await, StatusCode::FORBIDDEN, "forbidden");

    // Public: the chain only, with this certificate's token and no other.
    let public = |id: &str| format!("/api/v1/certificates/{id}");
    let t1 = set_public_at(w, "certificates_public", c1, true).await.unwrap();
    let t2 = set_public_at(w, "certificates_public", c2, true).await.unwrap();
    let chain = w.get(&format!("{}?code={t1}", public(c1)), None).await;
    assert!(pem_answer(&chain).starts_with("-----BEGIN CERTIFICATE-----"));
    assert!(!chain.2.contains("PRIVATE KEY"), "a public fetch never carries a private key");
    refused(&w.get(&public(c1), Some(&t2)).await, StatusCode::UNAUTHORIZED, "unauthorized");
    refused(&w.get(&public(c1), Some(key)).await, StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(set_public_at(w, "certificates_public", c1, false).await, None);
    refused(&w.get(&public(c1), Some(&t1)).await, StatusCode::UNAUTHORIZED, "unauthorized");

    // Disabled 404; not valid yet 403; expired 410 and the stub in lists. Validity is read
    // from the certificate and never changes, so the test moves it behind the trigger's back.
    let res = w.rpc("certificates_enabled", &[("id", c2), ("enabled", "false")]).await;
    assert_eq!(res.status(), StatusCode::OK);
    refused(&w.get(&download(c2), Some(key)).await, StatusCode::NOT_FOUND, "not_found");
    refused(&w.get(&public(c2), Some(&t2)).await, StatusCode::NOT_FOUND, "not_found");
    let drop_trigger = match w.db.engine() {
        app::server::db::Engine::Sqlite => "drop trigger certificates_immutable",
        app::server::db::Engine::Postgres => "drop trigger certificates_immutable on certificates",
    };
    w.exec(drop_trigger, None).await;
    w.exec("update certificates set enabled = 1, not_before = 32503680000000000 where id = $1", Some(c2)).await;
    refused(&w.get(&download(c2), Some(key)).await, StatusCode::FORBIDDEN, "forbidden");
    refused(&w.get(&public(c2), Some(&t2)).await, StatusCode::FORBIDDEN, "forbidden");
    w.exec("update certificates set not_before = 0, not_after = 1 where id = $1", Some(c2)).await;
    refused(&w.get(&download(c2), Some(key)).await, StatusCode::GONE, "gone");
    refused(&w.get(&public(c2), Some(&t2)).await, StatusCode::GONE, "gone");
    let list = w.get(&list_path, Some(key)).await;
    documented(doc, "/api/v1/vaults/{vault_id}/certificates", 200, &list.2);
    let data: Value = serde_json::from_str(&list.2).unwrap();
    assert!(data["data"].as_array().unwrap().contains(&serde_json::json!({ "id": c2, "message": "Resource expired" })));
}

#[tokio::test]
async fn rest_api_on_sqlite() {
    let dir = temp_dir();
    let url = format!("sqlite://{}", dir.path().join("secryn.db").display());
    let w = world(dir.path(), vec![], url).await;
    the_api_follows_the_contract(w).await;
}

#[tokio::test]
async fn rest_api_on_postgres() {
    let t = testkit::postgres().await;
    t.db.close().await;
    let dir = temp_dir();
    let w = world(dir.path(), vec![("SECRYN_DATABASE_URL", t.url.clone())], t.url.clone()).await;
    the_api_follows_the_contract(w).await;
}

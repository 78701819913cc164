//! The limit reference of `make bench`: a bare axum server doing what Secryn's audited secret
//! read does, with nothing else, so Secryn's REST figures can be printed as a ratio to what
//! this machine can do in the same minute. Not part of the product.
//!
//! Three reads, on SQLite or PostgreSQL:
//! - `GET /static`: a constant answer (the floor of HTTP itself; Secryn's `/readyz`);
//! - `GET /read/{id}`: one row by primary key;
//! - `GET /secret/{id}`: that row, decrypted with AES-256-GCM, answered only after one log row
//!   for the call is committed (group commit: whatever queued up, in one transaction).
//!
//! Usage: `secryn-reference LISTEN DATABASE` where DATABASE is a SQLite file path or a
//! `postgres://` URL. Its tables (`ref_secrets`, `ref_log`) are made anew with 1,000 rows.

mod store;

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;
use store::Store;

/// Rows made at start; the bench reads row 500.
const ROWS: i64 = 1000;

/// What every handler shares.
struct Reference {
    store: Store,
    cipher: Aes256Gcm,
}

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("secryn-reference: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [listen, database] = args.as_slice() else {
        return Err("usage: secryn-reference LISTEN DATABASE (a SQLite file or a postgres:// URL)".into());
    };
    let key: [u8; 32] = rand::random();
    let cipher = Aes256Gcm::new(&key.into());
    let rows = (1..=ROWS).map(|id| seal(&cipher, id)).collect::<Result<Vec<_>, _>>()?;
    let store = Store::open(database, &rows).await.map_err(|e| format!("database: {e}"))?;
    let state = Arc::new(Reference { store, cipher });
    let app = Router::new()
        .route("/static", get(|| async { r#"{"status":"ready"}"# }))
        .route("/read/{id}", get(read))
        .route("/secret/{id}", get(secret))
        .with_state(state);
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| format!("listen on {listen}: {e}"))?;
    println!("secryn-reference listening on {listen}");
    axum::serve(listener, app).await.map_err(|e| e.to_string())
}

/// Row `id` as stored: its nonce and the ciphertext of a 32-character value.
fn seal(cipher: &Aes256Gcm, id: i64) -> Result<(i64, Vec<u8>, Vec<u8>), String> {
    let nonce: [u8; 12] = rand::random();
    let value = format!("value-of-secret-{id:05}-0123456789");
    let sealed = cipher.encrypt(Nonce::from_slice(&nonce), value.as_bytes()).map_err(|_| "encrypt".to_owned())?;
    Ok((id, nonce.to_vec(), sealed))
}

async fn read(State(r): State<Arc<Reference>>, Path(id): Path<i64>) -> Response {
    match r.store.row(id).await {
        Ok(Some((_, sealed))) => format!(r#"{{"id":{id},"sealed":"{}"}}"#, hex::encode(sealed)).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => unavailable(&e),
    }
}

async fn secret(State(r): State<Arc<Reference>>, Path(id): Path<i64>) -> Response {
    let (nonce, sealed) = match r.store.row(id).await {
        Ok(Some(row)) => row,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return unavailable(&e),
    };
    let Ok(value) = r.cipher.decrypt(Nonce::from_slice(&nonce), sealed.as_slice()) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if !r.store.log(id, 200).await {
        return unavailable("the log row was not committed");
    }
    let body = serde_json::json!({ "id": id, "value": String::from_utf8_lossy(&value) });
    ([("content-type", "application/json")], body.to_string()).into_response()
}

fn unavailable(e: &str) -> Response {
    eprintln!("secryn-reference: {e}");
    StatusCode::SERVICE_UNAVAILABLE.into_response()
}

//! How answers travel between Secryn's server and its own browser code: postcard, a compact
//! binary form of the same serde types, for server-function answers and for the data a page's
//! resources carry from the server's render into hydration.
//!
//! Why not JSON: the browser bundle compiles a deserializer for every answer type, and
//! serde_json's are large; postcard's are a fraction of the size (the bundle is 10% smaller,
//! see "Assets" in `docs/decisions.md`). Every other caller of `/rpc/` (scripts, tests, a
//! person with curl) still gets JSON: the server answers postcard only to a request whose
//! `Accept` names [`WIRE_TYPE`], which is what the browser code sends.

use leptos::prelude::*;
use leptos::server_fn::codec::Post;
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;

/// The media type of a postcard answer.
pub const WIRE_TYPE: &str = "application/x-postcard";

/// The encoding: postcard for Secryn's browser code, JSON for everyone else (server side).
pub struct Wire;

/// The output encoding of every server function: `#[server(…, output = WirePost)]`.
pub type WirePost = Post<Wire>;

/// True when a request asked for postcard (`Accept` names [`WIRE_TYPE`]).
pub fn asks_for_wire(headers: &http::HeaderMap) -> bool {
    headers.get_all(http::header::ACCEPT).iter().any(|v| v.to_str().is_ok_and(|v| v.contains(WIRE_TYPE)))
}

impl ContentType for Wire {
    const CONTENT_TYPE: &'static str = WIRE_TYPE;
}

impl FormatType for Wire {
    const FORMAT_TYPE: Format = Format::Binary;
}

impl<T: Serialize> Encodes<T> for Wire {
    type Error = WireError;

    fn encode(value: &T) -> Result<leptos::server_fn::Bytes, WireError> {
        #[cfg(feature = "ssr")]
        if with_context::<http::request::Parts, _>(|p| asks_for_wire(&p.headers)) != Some(true) {
            return serde_json::to_vec(value).map(Into::into).map_err(|_| WireError);
        }
        pack(value).map(Into::into)
    }
}

impl<T: DeserializeOwned> Decodes<T> for Wire {
    type Error = WireError;

    fn decode(bytes: leptos::server_fn::Bytes) -> Result<T, WireError> {
        unpack(&bytes)
    }
}

/// A value that did not encode or decode. It names nothing of the value: an answer may hold a
/// secret.
#[derive(Debug, thiserror::Error)]
#[error("the answer could not be encoded or read")]
pub struct WireError;

/// Resources carry their server-side result into hydration as base64 of postcard (Leptos
/// base64-encodes binary codecs into the page).
impl<T: Serialize> codee::Encoder<T> for Wire {
    type Error = WireError;
    type Encoded = Vec<u8>;

    fn encode(value: &T) -> Result<Vec<u8>, WireError> {
        pack(value)
    }
}

impl<T: DeserializeOwned> codee::Decoder<T> for Wire {
    type Error = WireError;
    type Encoded = [u8];

    fn decode(bytes: &[u8]) -> Result<T, WireError> {
        unpack(bytes)
    }
}

/// The one postcard writer and reader both routes (answers, hydration data) use.
fn pack<T: Serialize>(value: &T) -> Result<Vec<u8>, WireError> {
    postcard::to_allocvec(value).map_err(|_| WireError)
}

fn unpack<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, WireError> {
    postcard::from_bytes(bytes).map_err(|_| WireError)
}

/// A resource whose value travels as [`Wire`]; the page renders around it while it loads.
#[track_caller]
pub fn resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Wire>
where
    S: Send + Sync + Clone + PartialEq + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}

/// A resource whose value travels as [`Wire`] and that holds the response until it has loaded
/// (the page's own subject: its title and main content are in the server's HTML).
#[track_caller]
pub fn blocking_resource<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T, Wire>
where
    S: Send + Sync + Clone + PartialEq + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::AppError;
    use crate::domain::logs::FieldChange;

    fn round_trip<T: Serialize + DeserializeOwned>(v: &T) -> T {
        <Wire as codee::Decoder<T>>::decode(&<Wire as codee::Encoder<T>>::encode(v).unwrap()).unwrap()
    }

    #[test]
    fn optional_fields_survive_postcard() {
        let plain = AppError::not_found("No such vault.");
        let mut beside = AppError::validation("name", "Name is required.");
        beside.request_id = Some("r-1".into());
        assert_eq!(round_trip(&plain), plain);
        assert_eq!(round_trip(&beside), beside);
        let answer: Result<Vec<u8>, AppError> = Err(beside);
        assert_eq!(round_trip(&answer), answer);
        let change = FieldChange { field: "name".into(), old: None, new: Some("b".into()) };
        assert_eq!(round_trip(&change), change);
    }

    #[test]
    fn json_still_leaves_out_what_is_absent() {
        let json = serde_json::to_value(AppError::not_found("No such vault.")).unwrap();
        assert_eq!(json, serde_json::json!({ "code": "not_found", "message": "No such vault." }));
        let change = FieldChange { field: "name".into(), old: None, new: Some("b".into()) };
        assert_eq!(serde_json::to_value(change).unwrap(), serde_json::json!({ "field": "name", "new": "b" }));
    }

    /// A server function left on the default JSON output would put a serde_json reader for
    /// its answer back into the bundle, and fail in the browser, which reads postcard.
    #[test]
    fn every_server_function_answers_as_wire() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for attr in text.lines().filter(|l| l.trim_start().starts_with("#[server(")) {
                assert!(attr.contains("output = WirePost"), "{}: {attr}", path.display());
                seen += 1;
            }
        }
        assert!(seen > 80, "found only {seen} server functions");
    }

    #[test]
    fn only_a_request_naming_postcard_gets_it() {
        let mut h = http::HeaderMap::new();
        assert!(!asks_for_wire(&h));
        h.insert(http::header::ACCEPT, http::HeaderValue::from_static("application/json"));
        assert!(!asks_for_wire(&h));
        h.insert(http::header::ACCEPT, http::HeaderValue::from_static(WIRE_TYPE));
        assert!(asks_for_wire(&h));
    }
}

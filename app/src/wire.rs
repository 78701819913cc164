//! How answers travel between Secryn's server and its own browser code: postcard, a compact
//! binary form of the same serde types, for server-function answers and for the data a page's
//! resources carry from the server's render into hydration.
//!
//! Why not JSON: the browser bundle compiles a deserializer for every answer type, and
//! serde_json's are large; postcard's are a fraction of the size (the bundle is 10% smaller,
//! see "Assets" in `docs/decisions.md`). Every other caller of `/rpc/` (scripts, tests, a
//! person with curl) still gets JSON: the server answers postcard only to a request whose
//! `Accept` names [`WIRE_TYPE`], which is what the browser code sends.

use crate::domain::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::{FromReq, FromRes, IntoReq, IntoRes, Post, PostUrl};
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::{ContentType, Decodes, Encodes, Format, FormatType, Http, Protocol};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::future::Future;

/// The media type of a postcard answer.
pub const WIRE_TYPE: &str = "application/x-postcard";

/// The encoding: postcard for Secryn's browser code, JSON for everyone else (server side).
pub struct Wire;

/// The answer encoding of every server function: [`WireProtocol`]'s, and the output of the
/// few that take a file (`input = MultipartFormData, output = WirePost`).
pub type WirePost = Post<Wire>;

/// The protocol of every server function that takes form fields:
/// `#[server(…, protocol = WireProtocol)]`. The server reads and answers exactly as
/// `Http<PostUrl, WirePost>` would; the browser code sends every call through [`post_form`],
/// so the bundle holds one call path instead of one per server function.
pub struct WireProtocol;

impl<Input, Output, Client, Server> Protocol<Input, Output, Client, Server, AppError> for WireProtocol
where
    Input: IntoReq<PostUrl, Client::Request, AppError> + FromReq<PostUrl, Server::Request, AppError> + Serialize + Send,
    Output: IntoRes<WirePost, Server::Response, AppError>
        + FromRes<WirePost, Client::Response, AppError>
        + DeserializeOwned
        + Send,
    Client: leptos::server_fn::client::Client<AppError>,
    Server: leptos::server_fn::server::Server<AppError>,
{
    const METHOD: http::Method = http::Method::POST;

    fn run_server<F, Fut>(
        request: Server::Request,
        server_fn: F,
    ) -> impl Future<Output = Result<Server::Response, AppError>> + Send
    where
        F: Fn(Input) -> Fut + Send,
        Fut: Future<Output = Result<Output, AppError>> + Send,
    {
        <Http<PostUrl, WirePost> as Protocol<Input, Output, Client, Server, AppError>>::run_server(request, server_fn)
    }

    fn run_client(path: &str, input: Input) -> impl Future<Output = Result<Output, AppError>> + Send {
        let fields = form_fields(&input);
        async move { post_form(path, fields?).await }
    }
}

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

/// A server function's typed input as the form fields the server reads (`a=1&b=2`). A failure
/// keeps none of serde_qs's words: the input may hold a secret.
pub fn form_fields<T: Serialize>(input: &T) -> Result<String, AppError> {
    serde_qs::to_string(input)
        .map_err(|_| AppError::from_server_fn_error(ServerFnErrorErr::Serialization(String::new())))
}

/// Posts form fields (`a=1&b=2`) to the server function at `path` and reads its answer. Every
/// call of the browser code goes through here ([`WireProtocol`], `ui::components::action`),
/// so the bundle holds one call path and, per answer type, only a postcard reader.
pub async fn post_form<T: DeserializeOwned>(path: &str, fields: String) -> Result<T, AppError> {
    let bytes = send_form(path, fields).await?;
    unpack(&bytes).map_err(|_| AppError::unavailable("The server's answer could not be read; please reload the page."))
}

/// Sends the fields and returns the answer's bytes; an error status becomes the server's
/// [`AppError`], a redirect is followed the way server functions follow one.
#[cfg(feature = "hydrate")]
async fn send_form(path: &str, fields: String) -> Result<leptos::server_fn::Bytes, AppError> {
    use leptos::server_fn::client::{Client, browser::BrowserClient};
    use leptos::server_fn::request::{ClientReq, browser::BrowserRequest};
    use leptos::server_fn::response::ClientRes;
    let req = <BrowserRequest as ClientReq<AppError>>::try_new_post(path, FORM_TYPE, WIRE_TYPE, fields)?;
    let res = <BrowserClient as Client<AppError>>::send(req).await?;
    let status = ClientRes::<AppError>::status(&res);
    let location = ClientRes::<AppError>::location(&res);
    let redirect = (300..=399).contains(&status) || ClientRes::<AppError>::has_redirect(&res);
    let bytes = ClientRes::<AppError>::try_into_bytes(res).await?;
    if (400..=599).contains(&status) {
        return Err(AppError::de(bytes));
    }
    if redirect {
        leptos::server_fn::redirect::call_redirect_hook(&location);
    }
    Ok(bytes)
}

/// The server renders actions but never sends them.
#[cfg(not(feature = "hydrate"))]
async fn send_form(_: &str, _: String) -> Result<leptos::server_fn::Bytes, AppError> {
    Err(AppError::unavailable("Forms are sent from the browser."))
}

/// How form fields travel: what a browser posts for a plain `<form method="post">`.
#[cfg(feature = "hydrate")]
const FORM_TYPE: &str = "application/x-www-form-urlencoded";

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
    /// its answer and its own call path back into the bundle, and fail in the browser, which
    /// reads postcard.
    #[test]
    fn every_server_function_answers_as_wire() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/api");
        let mut seen = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            for attr in text.lines().filter(|l| l.trim_start().starts_with("#[server(")) {
                let wire = attr.contains("protocol = WireProtocol") || attr.contains("output = WirePost");
                assert!(wire, "{}: {attr}", path.display());
                seen += 1;
            }
        }
        assert!(seen > 80, "found only {seen} server functions");
    }

    /// What `FormAction::call` and every browser call send is what the server's form reader
    /// takes back, characters that mean something in a form included.
    #[test]
    fn typed_input_travels_as_the_fields_the_server_reads() {
        use crate::api::projects::SetProjectArchived;
        let input = SetProjectArchived { id: "a b&c=d%e+ü".into(), archived: true };
        let fields = form_fields(&input).unwrap();
        let back: SetProjectArchived = serde_qs::from_str(&fields).unwrap();
        assert_eq!((back.id, back.archived), (input.id, input.archived));
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

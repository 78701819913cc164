//! The request being served: its id, carried through everything that runs for it.
//!
//! Every request gets an id — a trusted proxy's `X-Request-Id` when it sends a sane one, else
//! a fresh UUIDv7 — that comes back in the `X-Request-Id` header and in every error body, is
//! the `request_id` of the tracing span all of the request's log lines carry, and is stored
//! with its request-log record and with every audit entry and user-log line it writes. A
//! person quoting an error, a log line at 3 a.m. and the rows the request wrote can so be
//! tied together.

use std::future::Future;
use std::sync::Arc;

tokio::task_local! {
    static REQUEST_ID: Arc<str>;
}

/// The request's id as a request extension, for work that runs outside the request's task
/// (an MCP tool call runs on its session's task): it re-enters [`scope`] with it.
#[derive(Clone, Debug)]
pub struct RequestId(pub Arc<str>);

/// The header the id travels in, both ways.
pub const HEADER: &str = "x-request-id";

/// The id of the request this task is serving, if any.
pub fn current_id() -> Option<String> {
    REQUEST_ID.try_with(|id| id.to_string()).ok()
}

/// Runs `f` as the request `id`: [`current_id`] answers `id` inside it.
pub async fn scope<F: Future>(id: &str, f: F) -> F::Output {
    REQUEST_ID.scope(Arc::from(id), f).await
}

/// The id for a request: the proxy's (only when `from_trusted_proxy`, and only when it is 1–64
/// characters of letters, digits, `-`, `_`, `.`, `:`), else a new one.
pub fn id_for(proxied: Option<&str>, from_trusted_proxy: bool) -> String {
    let sane = |s: &&str| {
        !s.is_empty()
            && s.len() <= 64
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    };
    match proxied.filter(|_| from_trusted_proxy).filter(sane) {
        Some(id) => id.to_owned(),
        None => uuid::Uuid::now_v7().simple().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_come_from_trusted_proxies_only_and_only_when_sane() {
        assert_eq!(id_for(Some("edge-42.a"), true), "edge-42.a");
        assert_ne!(id_for(Some("edge-42.a"), false), "edge-42.a");
        for bad in ["", "has space", "new\nline", &"x".repeat(65)] {
            assert_ne!(id_for(Some(bad), true), bad);
        }
        assert_eq!(id_for(None, false).len(), 32);
    }

    #[tokio::test]
    async fn the_id_is_seen_inside_its_scope_only() {
        assert_eq!(current_id(), None);
        assert_eq!(scope("abc", async { current_id() }).await.as_deref(), Some("abc"));
    }
}

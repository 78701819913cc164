//! The stdio bridge's backend: each tool call becomes one call to a Secryn instance's REST API
//! (SPEC §3), so the instance applies its own rules and keeps its own request log; nothing is
//! stored here. Credentials come from the call's `vault` argument, else from
//! `SECRYN_VAULT_ID` / `SECRYN_ACCESS_KEY`.

use super::tools::{Answer, Refusal, ToolCall, VaultCreds};
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

/// Longest answer read from the API (a vault with many large values stays well below).
const ANSWER_LIMIT: usize = 16 * 1024 * 1024;

/// A Secryn instance's REST API and the credentials given to the process.
pub struct Remote {
    api: String,
    client: reqwest::Client,
    vault_id: Option<String>,
    access_key: Option<String>,
}

impl Remote {
    /// `base_url` is the instance's API (`https://host/api`; `/api` is added when missing).
    pub fn new(base_url: &str, vault_id: Option<String>, access_key: Option<String>) -> Result<Self, String> {
        let api = api_base(base_url)?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .user_agent(concat!("secryn-mcp-stdio/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot start the HTTP client: {e}"))?;
        let nonempty = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        Ok(Remote { api, client, vault_id: nonempty(vault_id), access_key: nonempty(access_key) })
    }

    /// Runs one tool call through the REST API.
    pub async fn run(&self, call: ToolCall) -> Result<Answer, Refusal> {
        let creds = call.creds();
        let (base, vault, key) = self.credentials(creds)?;
        let public = matches!(&call, ToolCall::GetKey(a) if a.prefer_public)
            || matches!(&call, ToolCall::GetCertificate(a) if a.prefer_public);
        if vault.is_empty() && !public {
            let m = "Give the vault's id: SECRYN_VAULT_ID, or vaultId in the vault argument.";
            return Err(refusal(400, "bad_request", m));
        }
        let v = |rest: &str| format!("{base}/v1/vaults/{}{rest}", segment(&vault));
        match call {
            ToolCall::ListSecrets(a) => {
                let url = if a.include_values { v("") } else { v("?secrets=names") };
                self.json(&url, key.as_deref()).await
            }
            ToolCall::GetSecret(a) => self.json(&v(&format!("/secrets/{}", segment(&a.name))), key.as_deref()).await,
            ToolCall::ListKeys(_) => self.json(&v("/keys"), key.as_deref()).await,
            ToolCall::ListCertificates(_) => self.json(&v("/certificates"), key.as_deref()).await,
            ToolCall::GetKey(a) if a.prefer_public => {
                let url = format!("{base}/v1/keys/{}", segment(&a.key_id));
                self.pem(&url, a.code.as_deref(), a.key_id).await
            }
            ToolCall::GetKey(a) => {
                let format = a.format.as_deref().map(|f| format!("?format={}", segment(f))).unwrap_or_default();
                let url = v(&format!("/keys/{}/download{format}", segment(&a.key_id)));
                self.pem(&url, key.as_deref(), a.key_id).await
            }
            ToolCall::GetCertificate(a) if a.prefer_public => {
                let url = format!("{base}/v1/certificates/{}", segment(&a.certificate_id));
                self.pem(&url, a.code.as_deref(), a.certificate_id).await
            }
            ToolCall::GetCertificate(a) => {
                let url = v(&format!("/certificates/{}/download", segment(&a.certificate_id)));
                self.pem(&url, key.as_deref(), a.certificate_id).await
            }
        }
    }

    /// The API base, vault id and access key for a call: its arguments first, then the
    /// process's. A public fetch needs no vault; the REST API still answers 401 without a key.
    fn credentials(&self, creds: Option<&VaultCreds>) -> Result<(String, String, Option<String>), Refusal> {
        let base = match creds.and_then(|c| c.base_url.as_deref()) {
            Some(url) => api_base(url).map_err(|m| refusal(400, "bad_request", &m))?,
            None => self.api.clone(),
        };
        let vault = creds.and_then(|c| c.vault_id.clone()).or_else(|| self.vault_id.clone()).unwrap_or_default();
        let key = creds.and_then(|c| c.access_key.clone()).or_else(|| self.access_key.clone());
        Ok((base, vault, key))
    }

    async fn send(&self, url: &str, token: Option<&str>) -> Result<(StatusCode, Vec<u8>), Refusal> {
        let mut req = self.client.get(url).header(reqwest::header::ACCEPT, "application/json");
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let unreachable = |_| refusal(502, "unavailable", "The Secryn API could not be reached.");
        let mut res = req.send().await.map_err(unreachable)?;
        let status = res.status();
        let mut body = Vec::new();
        while let Some(chunk) = res.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > ANSWER_LIMIT {
                return Err(refusal(502, "unavailable", "The Secryn API's answer is too large."));
            }
            body.extend_from_slice(&chunk);
        }
        if status.is_success() { Ok((status, body)) } else { Err(api_refusal(status, &body)) }
    }

    async fn json(&self, url: &str, token: Option<&str>) -> Result<Answer, Refusal> {
        let (_, body) = self.send(url, token).await?;
        serde_json::from_slice(&body)
            .map(Answer::Json)
            .map_err(|_| refusal(502, "unavailable", "The Secryn API answered something that is not JSON."))
    }

    async fn pem(&self, url: &str, token: Option<&str>, id: String) -> Result<Answer, Refusal> {
        let (_, body) = self.send(url, token).await?;
        let pem = String::from_utf8(body)
            .map_err(|_| refusal(502, "unavailable", "The Secryn API answered something that is not PEM."))?;
        Ok(Answer::Pem { id, pem })
    }
}

/// `https://host/api` from `https://host`, `https://host/` or `https://host/api/`.
fn api_base(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.contains(char::is_whitespace) {
        return Err("The base URL must be an http:// or https:// URL, like https://secryn.example.com/api.".into());
    }
    Ok(if url.ends_with("/api") { url.to_owned() } else { format!("{url}/api") })
}

/// One path segment, percent-encoded (names may hold `/`, `?`, `#` or spaces).
fn segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn refusal(status: u16, error: &str, message: &str) -> Refusal {
    Refusal { status, error: error.to_owned(), message: message.to_owned() }
}

/// The REST API's refusal (`{"error","message"}`) as the tool's.
fn api_refusal(status: StatusCode, body: &[u8]) -> Refusal {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let field = |k: &str| parsed.as_ref().and_then(|v| v.get(k)).and_then(Value::as_str).map(str::to_owned);
    Refusal {
        status: status.as_u16(),
        error: field("error").unwrap_or_else(|| "error".to_owned()),
        message: field("message").unwrap_or_else(|| format!("The Secryn API answered {status}.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_and_names_become_safe_urls() {
        assert_eq!(api_base("https://s.example/").unwrap(), "https://s.example/api");
        assert_eq!(api_base("https://s.example/api/").unwrap(), "https://s.example/api");
        assert!(api_base("ftp://s.example").is_err());
        assert_eq!(segment("db/pass word?#"), "db%2Fpass%20word%3F%23");
    }
}

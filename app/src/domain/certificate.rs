//! Certificates as both sides see them (SPEC §1): what is read from an X.509 certificate, the
//! fields a self-signed one is made from, and its status. The private key, when one is kept,
//! never enters these types.

use super::ids::{CertificateId, VaultId};
use super::key::{KeyAlgorithm, Origin};
use super::secret::SecretStatus;
use super::time::Micros;
use serde::{Deserialize, Serialize};

/// Largest certificate upload (PEM bundle, CRT or PFX), in bytes: a chain of a few
/// certificates with a key is a few KiB, so anything far bigger is refused before parsing.
/// Its base64 form (as the web form sends it) stays inside the 256 KiB request limit.
pub const UPLOAD_MAX: usize = 160 * 1024;
/// Most certificates one bundle may carry.
pub const CHAIN_MAX: usize = 16;
/// Longest validity a self-signed certificate may be given, in days (about 100 years).
pub const VALIDITY_MAX_DAYS: i64 = 36_500;

/// A certificate's metadata (never a private key).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertMeta {
    pub id: CertificateId,
    pub vault_id: VaultId,
    pub name: String,
    pub common_name: String,
    /// The subject's distinguished name as text (`CN=…, O=…`).
    pub subject: String,
    pub issuer: String,
    /// Colon-separated hex, as `openssl x509 -serial` shows it.
    pub serial: String,
    /// SHA-256 of the DER, colon-separated upper-case hex.
    pub fingerprint_sha256: String,
    /// Not valid before (the certificate's `notBefore`).
    pub not_before: Micros,
    /// Not valid after (`notAfter`).
    pub not_after: Micros,
    /// The leaf's key type, when Secryn knows it.
    pub key_algorithm: Option<KeyAlgorithm>,
    /// Whether a private key is stored with the chain.
    pub has_private_key: bool,
    /// How many certificates the chain holds (leaf first).
    pub chain_length: i64,
    pub origin: Origin,
    pub tags: Vec<String>,
    pub enabled: bool,
    /// Whether a public token is live (the token itself is never kept).
    pub public: bool,
    pub created_at: Micros,
    pub created_by: String,
    pub updated_at: Micros,
}

impl CertMeta {
    /// Where the certificate stands at `now`: its validity period is its activation and
    /// expiration.
    pub fn status(&self, now: Micros) -> SecretStatus {
        SecretStatus::at(self.enabled, Some(self.not_before), Some(self.not_after), now)
    }
}

/// A certificate as its detail page shows it: metadata and the chain (public).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertView {
    pub meta: CertMeta,
    pub status: SecretStatus,
    pub chain_pem: String,
}

/// One certificate in a vault's table, with its status now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertRow {
    pub meta: CertMeta,
    pub status: SecretStatus,
}

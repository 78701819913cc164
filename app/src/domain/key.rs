//! Keys as both sides see them (SPEC §1): the algorithms Secryn makes and keeps, the formats a
//! key is served in, and its metadata. Private material never enters these types; it lives
//! only on the server, sealed like a secret value.

use super::ids::{KeyId, VaultId};
use super::secret::SecretStatus;
use super::time::Micros;
use serde::{Deserialize, Serialize};

/// Largest key upload, in bytes: a 4096-bit RSA key in PEM is about 3.3 KiB, so anything far
/// bigger is refused before it is parsed.
pub const UPLOAD_MAX: usize = 16 * 1024;

/// The key types Secryn generates and accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyAlgorithm {
    Rsa2048,
    Rsa3072,
    Rsa4096,
    EcP256,
    EcP384,
    Ed25519,
}

impl KeyAlgorithm {
    /// Every algorithm, strongest-default first for pickers.
    pub const ALL: [KeyAlgorithm; 6] = [
        KeyAlgorithm::Ed25519,
        KeyAlgorithm::EcP256,
        KeyAlgorithm::EcP384,
        KeyAlgorithm::Rsa2048,
        KeyAlgorithm::Rsa3072,
        KeyAlgorithm::Rsa4096,
    ];

    /// The stored and submitted form.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 => "rsa_2048",
            KeyAlgorithm::Rsa3072 => "rsa_3072",
            KeyAlgorithm::Rsa4096 => "rsa_4096",
            KeyAlgorithm::EcP256 => "ec_p256",
            KeyAlgorithm::EcP384 => "ec_p384",
            KeyAlgorithm::Ed25519 => "ed25519",
        }
    }

    pub fn parse(s: &str) -> Option<KeyAlgorithm> {
        KeyAlgorithm::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The family as the REST API names it: `RSA`, `EC` or `Ed25519`.
    pub fn key_type(self) -> &'static str {
        match self {
            KeyAlgorithm::Rsa2048 | KeyAlgorithm::Rsa3072 | KeyAlgorithm::Rsa4096 => "RSA",
            KeyAlgorithm::EcP256 | KeyAlgorithm::EcP384 => "EC",
            KeyAlgorithm::Ed25519 => "Ed25519",
        }
    }

    /// RSA only: the modulus size in bits.
    pub fn key_size(self) -> Option<u32> {
        match self {
            KeyAlgorithm::Rsa2048 => Some(2048),
            KeyAlgorithm::Rsa3072 => Some(3072),
            KeyAlgorithm::Rsa4096 => Some(4096),
            _ => None,
        }
    }

    /// EC only: the curve's name.
    pub fn key_curve(self) -> Option<&'static str> {
        match self {
            KeyAlgorithm::EcP256 => Some("P-256"),
            KeyAlgorithm::EcP384 => Some("P-384"),
            _ => None,
        }
    }

    /// What people read: "RSA 4096", "EC P-256", "Ed25519".
    pub fn label(self) -> String {
        match (self.key_size(), self.key_curve()) {
            (Some(bits), _) => format!("RSA {bits}"),
            (_, Some(curve)) => format!("EC {curve}"),
            _ => "Ed25519".to_owned(),
        }
    }
}

/// The formats a key is offered in; PEM is always available for the private key, so `both`
/// adds OpenSSH beside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputFormat {
    Pem,
    Openssh,
    Both,
}

impl OutputFormat {
    pub const ALL: [OutputFormat; 3] = [OutputFormat::Pem, OutputFormat::Openssh, OutputFormat::Both];

    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Pem => "pem",
            OutputFormat::Openssh => "openssh",
            OutputFormat::Both => "both",
        }
    }

    pub fn parse(s: &str) -> Option<OutputFormat> {
        OutputFormat::ALL.into_iter().find(|f| f.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            OutputFormat::Pem => "PEM",
            OutputFormat::Openssh => "OpenSSH",
            OutputFormat::Both => "PEM and OpenSSH",
        }
    }

    /// Whether the key may be served as OpenSSH (`?format=openssh`).
    pub fn offers_openssh(self) -> bool {
        self != OutputFormat::Pem
    }
}

/// How a key or certificate came to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    Generated,
    Uploaded,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Generated => "generated",
            Origin::Uploaded => "uploaded",
        }
    }

    pub fn parse(s: &str) -> Option<Origin> {
        [Origin::Generated, Origin::Uploaded].into_iter().find(|o| o.as_str() == s)
    }
}

/// A key's metadata (never its private half).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyMeta {
    pub id: KeyId,
    pub vault_id: VaultId,
    pub name: String,
    pub algorithm: KeyAlgorithm,
    pub output_format: OutputFormat,
    pub origin: Origin,
    pub tags: Vec<String>,
    pub activation_at: Option<Micros>,
    pub expiration_at: Option<Micros>,
    pub enabled: bool,
    /// Whether a public token is live (the token itself is never kept).
    pub public: bool,
    pub created_at: Micros,
    pub created_by: String,
    pub updated_at: Micros,
}

impl KeyMeta {
    /// Where the key stands at `now` (the same statuses as a secret).
    pub fn status(&self, now: Micros) -> SecretStatus {
        SecretStatus::at(self.enabled, self.activation_at, self.expiration_at, now)
    }
}

/// A key as its detail page shows it: metadata and the public half in each offered form.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyView {
    pub meta: KeyMeta,
    pub status: SecretStatus,
    /// `-----BEGIN PUBLIC KEY-----`.
    pub public_pem: String,
    /// The `authorized_keys` line, when the key is offered as OpenSSH.
    pub public_openssh: Option<String>,
}

/// One key in a vault's table, with its status now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRow {
    pub meta: KeyMeta,
    pub status: SecretStatus,
}

/// A public token just issued: shown exactly once, with the URL that fetches the public half.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedToken {
    pub token: super::secret::SecretValue,
    /// The path under the instance's address (`/api/v1/keys/{id}`).
    pub path: String,
}

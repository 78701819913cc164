//! The crypto core: the master key, per-vault data keys wrapped by it, and AES-256-GCM
//! sealing with associated data. Associated data binds each ciphertext to where it belongs
//! (vault, resource, version), so rows cannot be swapped. Key bytes are wiped on drop and
//! never printed.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::RngCore;
use std::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

const NONCE_LEN: usize = 12;
/// First byte of every sealed blob: lets a later format coexist with this one.
const FORMAT_V1: u8 = 1;

/// Why a key or a sealed blob was refused. Never carries key or plaintext bytes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the key must be 32 bytes encoded as base64 (for example the output of `openssl rand -base64 32`)")]
    BadKeyEncoding,
    #[error("the data could not be opened: wrong key, altered data or data that belongs elsewhere")]
    OpenFailed,
}

/// 32 bytes of key material that wipe themselves and never print.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
struct KeyBytes([u8; 32]);

impl KeyBytes {
    fn random() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        Self(k)
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&self.0).into())
    }

    fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        seal_with(&self.cipher(), plaintext, aad)
    }

    fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open_with(&self.cipher(), sealed, aad)
    }
}

/// Seals with a fresh random nonce: format byte, nonce, ciphertext and tag.
#[allow(clippy::expect_used, reason = "AES-GCM fails only past 64 GiB, and values are at most 64 KiB")]
fn seal_with(cipher: &Aes256Gcm, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let ct = cipher
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad })
        .expect("AES-GCM encryption cannot fail for in-memory buffers");
    let mut out = Vec::with_capacity(1 + NONCE_LEN + ct.len());
    out.push(FORMAT_V1);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    out
}

/// Opens what [`seal_with`] sealed under the same key and `aad`.
fn open_with(cipher: &Aes256Gcm, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
    if sealed.len() < 1 + NONCE_LEN + 16 || sealed[0] != FORMAT_V1 {
        return Err(CryptoError::OpenFailed);
    }
    let (nonce, ct) = sealed[1..].split_at(NONCE_LEN);
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| CryptoError::OpenFailed)
}

/// The instance master key. It only wraps data keys; it comes from the environment or a key
/// file, never from the database.
#[derive(Clone)]
pub struct MasterKey(KeyBytes);

impl MasterKey {
    /// A fresh random master key (first start with no key configured).
    pub fn generate() -> Self {
        Self(KeyBytes::random())
    }

    /// Reads the base64 form used by `SECRYN_MASTER_KEY` and key files.
    pub fn from_base64(text: &str) -> Result<Self, CryptoError> {
        let bytes = Zeroizing::new(STANDARD.decode(text.trim()).map_err(|_| CryptoError::BadKeyEncoding)?);
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| CryptoError::BadKeyEncoding)?;
        Ok(Self(KeyBytes(arr)))
    }

    /// The base64 form, for writing the key file once. Wiped when dropped.
    pub fn to_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(STANDARD.encode(self.0.0))
    }

    /// Seals a known value so that start-up can tell a wrong master key from a right one.
    pub fn key_check(&self) -> Vec<u8> {
        self.0.seal(b"secryn-master-key-check", b"key-check")
    }

    /// True when `check` was made by this key.
    pub fn verifies(&self, check: &[u8]) -> bool {
        self.0.open(check, b"key-check").is_ok()
    }

    /// Wraps a data key for storage; `aad` names its owner (for example the vault id).
    pub fn wrap(&self, key: &DataKey, aad: &[u8]) -> Vec<u8> {
        self.0.seal(&key.bytes.0, aad)
    }

    /// Unwraps a stored data key; fails if the key, the blob or the owner differ.
    pub fn unwrap(&self, wrapped: &[u8], aad: &[u8]) -> Result<DataKey, CryptoError> {
        let bytes = self.0.open(wrapped, aad)?;
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| CryptoError::OpenFailed)?;
        Ok(DataKey::from_bytes(KeyBytes(arr)))
    }
}

/// The audit chain's MAC key. Stored only wrapped by the master key, so whoever can write the
/// database alone cannot recompute the chain after rewriting an entry. Wiped on drop.
#[derive(Clone)]
pub struct ChainKey(KeyBytes);

impl ChainKey {
    pub fn generate() -> Self {
        Self(KeyBytes::random())
    }

    /// HMAC-SHA256 over `parts`, each preceded by its length so no two splits collide.
    pub fn mac(&self, parts: &[&[u8]]) -> [u8; 32] {
        use hmac::{Hmac, Mac};
        #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
        let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0.0).expect("any key length");
        for part in parts {
            m.update(&(part.len() as u64).to_be_bytes());
            m.update(part);
        }
        m.finalize().into_bytes().into()
    }
}

impl MasterKey {
    /// Moves a key wrapped by this key (a vault key, the chain key) to `to`, for the same owner
    /// `aad`, without its bytes leaving this module: backups and master-key rotation.
    pub fn rewrap(&self, wrapped: &[u8], aad: &[u8], to: &MasterKey) -> Result<Vec<u8>, CryptoError> {
        let plain = self.0.open(wrapped, aad)?;
        Ok(to.0.seal(&plain, aad))
    }

    /// A wrapping key derived from other key material for one `purpose` (HMAC-SHA256), so the
    /// material's own use (a backup's chunks) and this one never share a key.
    pub fn derived(material: &[u8], purpose: &str) -> Self {
        use hmac::{Hmac, Mac};
        #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
        let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(material).expect("any key length");
        m.update(purpose.as_bytes());
        MasterKey(KeyBytes(m.finalize().into_bytes().into()))
    }

    /// Wraps the audit chain key; `aad` binds it to where the keyed chain starts.
    pub fn wrap_chain_key(&self, key: &ChainKey, aad: &[u8]) -> Vec<u8> {
        self.0.seal(&key.0.0, aad)
    }

    /// Unwraps the audit chain key; fails on another master key, altered bytes or `aad`.
    pub fn unwrap_chain_key(&self, wrapped: &[u8], aad: &[u8]) -> Result<ChainKey, CryptoError> {
        let bytes = self.0.open(wrapped, aad)?;
        let arr: [u8; 32] = bytes.as_slice().try_into().map_err(|_| CryptoError::OpenFailed)?;
        Ok(ChainKey(KeyBytes(arr)))
    }
}

impl MasterKey {
    /// Seals a small value the instance itself must read back (the SMTP password, a queued
    /// e-mail's body, which may carry a link); `aad` names the row, so it cannot be moved.
    pub fn seal_value(&self, plain: &[u8], aad: &[u8]) -> Vec<u8> {
        self.0.seal(plain, aad)
    }

    /// Opens what [`MasterKey::seal_value`] sealed for the same `aad`. Wiped when dropped.
    pub fn open_value(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        self.0.open(sealed, aad)
    }
}

impl MasterKey {
    /// A public name for this key, recorded beside everything it wraps so a node can say which
    /// key it lacks: 16 hex characters of an HMAC under the key (it reveals nothing of it).
    pub fn id(&self) -> String {
        use hmac::{Hmac, Mac};
        #[allow(clippy::expect_used, reason = "HMAC takes a key of any length")]
        let mut m = <Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.0.0).expect("any key length");
        m.update(b"secryn master key id v1");
        hex::encode(&m.finalize().into_bytes()[..8])
    }
}

/// The master keys a node holds: the current one, which wraps everything new, and previous
/// ones, which still open what they wrapped until `secryn master-key rotate` moves it on.
#[derive(Clone)]
pub struct MasterKeys {
    current: MasterKey,
    current_id: String,
    previous: Vec<(String, MasterKey)>,
}

impl MasterKeys {
    pub fn new(current: MasterKey, previous: Vec<MasterKey>) -> Self {
        let current_id = current.id();
        let previous = previous.into_iter().map(|k| (k.id(), k)).filter(|(id, _)| *id != current_id).collect();
        MasterKeys { current, current_id, previous }
    }

    /// Only one key (a fresh instance, tests).
    pub fn single(current: MasterKey) -> Self {
        Self::new(current, Vec::new())
    }

    pub fn current(&self) -> &MasterKey {
        &self.current
    }

    pub fn current_id(&self) -> &str {
        &self.current_id
    }

    /// The key named `id`, if this node holds it.
    pub fn by_id(&self, id: &str) -> Option<&MasterKey> {
        if id == self.current_id {
            return Some(&self.current);
        }
        self.previous.iter().find(|(i, _)| i == id).map(|(_, k)| k)
    }

    /// Every key with its id, the current one first.
    pub fn all(&self) -> impl Iterator<Item = (&str, &MasterKey)> {
        std::iter::once((self.current_id.as_str(), &self.current))
            .chain(self.previous.iter().map(|(i, k)| (i.as_str(), k)))
    }

    /// Opens a key wrapped by the key `id` names, or, with no id (wrapped before ids were
    /// recorded), by whichever key opens it. Also says which key that was.
    pub fn unwrap_by<T>(
        &self,
        id: Option<&str>,
        open: impl Fn(&MasterKey) -> Result<T, CryptoError>,
    ) -> Result<(T, String), UnwrapFailure> {
        match id {
            Some(id) => {
                let key = self.by_id(id).ok_or_else(|| UnwrapFailure::Missing(id.to_owned()))?;
                Ok((open(key).map_err(|_| UnwrapFailure::Failed)?, id.to_owned()))
            }
            None => {
                self.all().find_map(|(id, k)| open(k).ok().map(|d| (d, id.to_owned()))).ok_or(UnwrapFailure::Failed)
            }
        }
    }

    /// True when one of the keys made `check` (the instance's key check).
    pub fn verifies(&self, check: &[u8]) -> bool {
        self.all().any(|(_, k)| k.verifies(check))
    }
}

impl fmt::Debug for MasterKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MasterKeys(current {}, previous {:?})",
            self.current_id,
            self.previous.iter().map(|(i, _)| i).collect::<Vec<_>>()
        )
    }
}

/// Why a wrapped key could not be opened with the keys at hand.
#[derive(Debug, thiserror::Error)]
pub enum UnwrapFailure {
    #[error("it is wrapped by master key {0}, which this node does not have")]
    Missing(String),
    #[error("no master key of this node opens it (altered, or wrapped by a key not configured)")]
    Failed,
}

/// A per-vault data key: encrypts the vault's values. Wiped on drop, its AES key schedule
/// too. The cipher is built once when the key is opened: a whole-vault read opens a hundred
/// values with it, and the key schedule was a tenth of that work when built per value.
#[derive(Clone)]
pub struct DataKey {
    bytes: KeyBytes,
    cipher: Aes256Gcm,
}

impl DataKey {
    fn from_bytes(bytes: KeyBytes) -> Self {
        let cipher = bytes.cipher();
        DataKey { bytes, cipher }
    }

    pub fn generate() -> Self {
        Self::from_bytes(KeyBytes::random())
    }

    /// Encrypts `plaintext`, bound to `aad` (vault, resource and version).
    pub fn seal(&self, plaintext: &[u8], aad: &[u8]) -> Vec<u8> {
        seal_with(&self.cipher, plaintext, aad)
    }

    /// Decrypts; fails on a wrong key, altered bytes or different associated data.
    pub fn open(&self, sealed: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, CryptoError> {
        open_with(&self.cipher, sealed, aad)
    }
}

macro_rules! redacted_debug {
    ($($t:ty),*) => {$(
        impl fmt::Debug for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }
        impl fmt::Display for $t {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[redacted]")
            }
        }
    )*};
}
redacted_debug!(MasterKey, DataKey, ChainKey, KeyBytes, SecretText);

/// Secret material in memory (a secret value, a token, a private key in PEM): prints as
/// `[redacted]`, wiped on drop. Read it with `expose` only where it must leave.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct SecretText(String);

impl SecretText {
    pub fn new(s: String) -> Self {
        Self(s)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip() {
        let k = DataKey::generate();
        let sealed = k.seal(b"hunter2", b"vault:1/secret:2/v1");
        assert!(!sealed.windows(7).any(|w| w == b"hunter2"));
        assert_eq!(k.open(&sealed, b"vault:1/secret:2/v1").unwrap().as_slice(), b"hunter2");
    }

    #[test]
    fn wrong_key_altered_ciphertext_and_swapped_aad_fail() {
        let k = DataKey::generate();
        let sealed = k.seal(b"value", b"a");
        assert_eq!(DataKey::generate().open(&sealed, b"a").unwrap_err(), CryptoError::OpenFailed);
        for i in 0..sealed.len() {
            let mut altered = sealed.clone();
            altered[i] ^= 0x01;
            assert!(k.open(&altered, b"a").is_err(), "flip at byte {i} must be caught");
        }
        assert!(k.open(&sealed, b"b").is_err());
        assert!(k.open(&sealed[..sealed.len() - 1], b"a").is_err());
        assert!(k.open(&[], b"a").is_err());
    }

    #[test]
    fn data_keys_are_wrapped_by_the_master_key_and_bound_to_their_owner() {
        let master = MasterKey::generate();
        let dk = DataKey::generate();
        let wrapped = master.wrap(&dk, b"vault:1");
        let back = master.unwrap(&wrapped, b"vault:1").unwrap();
        let sealed = dk.seal(b"x", b"");
        assert_eq!(back.open(&sealed, b"").unwrap().as_slice(), b"x");
        assert!(master.unwrap(&wrapped, b"vault:2").is_err());
        assert!(MasterKey::generate().unwrap(&wrapped, b"vault:1").is_err());
    }

    #[test]
    fn master_key_encoding_and_check() {
        let m = MasterKey::generate();
        let again = MasterKey::from_base64(&m.to_base64()).unwrap();
        assert!(again.verifies(&m.key_check()));
        assert!(!MasterKey::generate().verifies(&m.key_check()));
        assert_eq!(MasterKey::from_base64("not base64!").unwrap_err(), CryptoError::BadKeyEncoding);
        assert_eq!(MasterKey::from_base64("c2hvcnQ=").unwrap_err(), CryptoError::BadKeyEncoding);
    }

    #[test]
    fn key_material_never_prints() {
        let m = MasterKey::generate();
        let s = SecretText::new("hunter2".into());
        assert_eq!(
            format!("{m:?} {m} {:?} {s:?} {s}", DataKey::generate()),
            "[redacted] [redacted] [redacted] [redacted] [redacted]"
        );
    }
}

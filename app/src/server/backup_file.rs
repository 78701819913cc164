//! The backup file's envelope (SPEC §6, docs/backup-format.md): a versioned header, then the
//! content cut into chunks, each sealed with AES-256-GCM under a fresh one-time key. Each
//! chunk's nonce is the file's random prefix, the chunk's number and a "last chunk" flag (the
//! STREAM construction), and every chunk authenticates the header too, so a flipped bit, a
//! chunk moved, dropped or repeated, a file cut short at any byte, or a header edited are all
//! refused. A key check in the header tells a wrong key apart from a damaged file.
//!
//! Both sides are push-based: give them bytes as they come (a file, an upload, a download
//! stream) and take out what is ready, so memory stays at one chunk whatever the size.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

/// First bytes of every backup.
const MAGIC: &[u8; 8] = b"SECRYNBK";
/// The format this build writes and reads.
pub const VERSION: u16 = 1;
/// Plaintext bytes per chunk.
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const PREFIX: usize = 7;
const CHECK: usize = 16;
/// Magic, version, chunk size, nonce prefix, key check.
const HEADER: usize = MAGIC.len() + 2 + 4 + PREFIX + CHECK;
/// How the one-time key is written for people: `secryn_bk_` and base64url of 32 bytes.
const KEY_PREFIX: &str = "secryn_bk_";

/// Why a backup cannot be opened. Never carries key or content bytes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BackupFileError {
    #[error("this is not a Secryn backup file")]
    NotABackup,
    #[error("this backup has format version {0}; this Secryn reads version {VERSION}")]
    UnsupportedVersion(u16),
    #[error("the key is not a backup key (it starts with secryn_bk_)")]
    MalformedKey,
    #[error("this key does not open this backup")]
    WrongKey,
    #[error("the backup is damaged or was altered (chunk {0})")]
    Damaged(u64),
    #[error("the backup is cut short (it ends before its last chunk)")]
    Truncated,
}

/// A backup's one-time key: shown once, never stored; wipes itself and never prints.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct BackupKey([u8; 32]);

impl std::fmt::Debug for BackupKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackupKey([redacted])")
    }
}

impl BackupKey {
    pub fn random() -> Self {
        let mut k = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut k);
        BackupKey(k)
    }

    /// The key as people copy it.
    pub fn to_text(&self) -> Zeroizing<String> {
        Zeroizing::new(format!("{KEY_PREFIX}{}", URL_SAFE_NO_PAD.encode(self.0)))
    }

    pub fn parse(text: &str) -> Result<Self, BackupFileError> {
        let body = text.trim().strip_prefix(KEY_PREFIX).ok_or(BackupFileError::MalformedKey)?;
        let bytes = Zeroizing::new(URL_SAFE_NO_PAD.decode(body).map_err(|_| BackupFileError::MalformedKey)?);
        let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| BackupFileError::MalformedKey)?;
        Ok(BackupKey(key))
    }

    fn cipher(&self) -> Aes256Gcm {
        Aes256Gcm::new((&self.0).into())
    }

    /// What wraps the vault keys and the chain key inside this backup.
    pub fn wrapping_key(&self) -> crate::server::crypto::MasterKey {
        crate::server::crypto::MasterKey::derived(&self.0, "secryn backup key wrapping v1")
    }

    /// What the header carries to tell a wrong key from a damaged file (a MAC of the prefix,
    /// which says nothing about the key).
    fn check(&self, prefix: &[u8]) -> [u8; CHECK] {
        let mut out = [0u8; CHECK];
        if let Ok(mut mac) = <Hmac<Sha256> as Mac>::new_from_slice(&self.0) {
            mac.update(b"secryn backup key check v1");
            mac.update(prefix);
            out.copy_from_slice(&mac.finalize().into_bytes()[..CHECK]);
        }
        out
    }
}

fn nonce(prefix: &[u8; PREFIX], counter: u32, last: bool) -> [u8; 12] {
    let mut n = [0u8; 12];
    n[..PREFIX].copy_from_slice(prefix);
    n[PREFIX..PREFIX + 4].copy_from_slice(&counter.to_be_bytes());
    n[11] = u8::from(last);
    n
}

/// Writes a backup: [`Sealer::push`] content as it comes, then [`Sealer::finish`].
pub struct Sealer {
    cipher: Aes256Gcm,
    prefix: [u8; PREFIX],
    header: Vec<u8>,
    counter: u32,
    pending: Zeroizing<Vec<u8>>,
    started: bool,
}

impl Sealer {
    pub fn new(key: &BackupKey) -> Self {
        let mut prefix = [0u8; PREFIX];
        rand::rngs::OsRng.fill_bytes(&mut prefix);
        let mut header = Vec::with_capacity(HEADER);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&VERSION.to_be_bytes());
        header.extend_from_slice(&u32::try_from(CHUNK).unwrap_or(u32::MAX).to_be_bytes());
        header.extend_from_slice(&prefix);
        header.extend_from_slice(&key.check(&prefix));
        Sealer {
            cipher: key.cipher(),
            prefix,
            header,
            counter: 0,
            pending: Zeroizing::new(Vec::with_capacity(CHUNK)),
            started: false,
        }
    }

    #[allow(clippy::expect_used, reason = "AES-GCM fails only past 64 GiB per message; a chunk is 64 KiB")]
    fn seal(&mut self, last: bool) -> Result<Vec<u8>, BackupFileError> {
        let n = nonce(&self.prefix, self.counter, last);
        let ct = self
            .cipher
            .encrypt(Nonce::from_slice(&n), Payload { msg: &self.pending, aad: &self.header })
            .expect("AES-GCM encryption cannot fail for a 64 KiB chunk");
        // 2^32 chunks of 64 KiB is 256 TiB: a backup never gets there, and the counter never wraps.
        self.counter = self.counter.checked_add(1).ok_or(BackupFileError::Damaged(u64::from(u32::MAX)))?;
        self.pending.clear();
        Ok(ct)
    }

    /// Takes more content; returns the file bytes ready so far (the header first).
    pub fn push(&mut self, mut data: &[u8]) -> Result<Vec<u8>, BackupFileError> {
        let mut out = Vec::new();
        if !self.started {
            out.extend_from_slice(&self.header);
            self.started = true;
        }
        while !data.is_empty() {
            let take = (CHUNK - self.pending.len()).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            data = &data[take..];
            // A full chunk is sealed only once more content shows it is not the last.
            if self.pending.len() == CHUNK && !data.is_empty() {
                out.extend(self.seal(false)?);
            }
        }
        Ok(out)
    }

    /// Seals what is left as the last chunk (possibly empty) and ends the file.
    pub fn finish(mut self) -> Result<Vec<u8>, BackupFileError> {
        let mut out = Vec::new();
        if !self.started {
            out.extend_from_slice(&self.header);
        }
        if self.pending.len() == CHUNK {
            // Full and no more came: it is sealed as a middle chunk, then an empty last one.
            out.extend(self.seal(false)?);
        }
        out.extend(self.seal(true)?);
        Ok(out)
    }
}

/// Reads a backup: [`Opener::push`] file bytes as they come, then [`Opener::finish`]. Content
/// comes out only once its chunk is proven intact.
pub struct Opener {
    key: BackupKey,
    cipher: Option<(Aes256Gcm, [u8; PREFIX], Vec<u8>)>,
    counter: u32,
    buffer: Vec<u8>,
}

impl Opener {
    pub fn new(key: &BackupKey) -> Self {
        Opener { key: key.clone(), cipher: None, counter: 0, buffer: Vec::new() }
    }

    /// Checks the header once enough bytes are in.
    fn header(&mut self) -> Result<bool, BackupFileError> {
        if self.cipher.is_some() {
            return Ok(true);
        }
        if self.buffer.len() < MAGIC.len() {
            return if MAGIC.starts_with(&self.buffer) { Ok(false) } else { Err(BackupFileError::NotABackup) };
        }
        if &self.buffer[..MAGIC.len()] != MAGIC {
            return Err(BackupFileError::NotABackup);
        }
        if self.buffer.len() < HEADER {
            return Ok(false);
        }
        let h: Vec<u8> = self.buffer.drain(..HEADER).collect();
        let version = u16::from_be_bytes([h[8], h[9]]);
        if version != VERSION {
            return Err(BackupFileError::UnsupportedVersion(version));
        }
        if u32::from_be_bytes([h[10], h[11], h[12], h[13]]) as usize != CHUNK {
            return Err(BackupFileError::Damaged(0));
        }
        let mut prefix = [0u8; PREFIX];
        prefix.copy_from_slice(&h[14..14 + PREFIX]);
        let check = &h[14 + PREFIX..HEADER];
        if !bool::from(subtle::ConstantTimeEq::ct_eq(check, &self.key.check(&prefix)[..])) {
            return Err(BackupFileError::WrongKey);
        }
        self.cipher = Some((self.key.cipher(), prefix, h));
        Ok(true)
    }

    fn open(&mut self, sealed: &[u8], last: bool) -> Result<Zeroizing<Vec<u8>>, BackupFileError> {
        let counter = self.counter;
        let Some((cipher, prefix, header)) = &self.cipher else { return Err(BackupFileError::Truncated) };
        let n = nonce(prefix, counter, last);
        let plain = cipher
            .decrypt(Nonce::from_slice(&n), Payload { msg: sealed, aad: header })
            .map_err(|_| BackupFileError::Damaged(u64::from(counter)))?;
        self.counter = counter.checked_add(1).ok_or(BackupFileError::Damaged(u64::from(counter)))?;
        Ok(Zeroizing::new(plain))
    }

    /// Takes more file bytes; returns the content proven so far.
    pub fn push(&mut self, data: &[u8]) -> Result<Zeroizing<Vec<u8>>, BackupFileError> {
        self.buffer.extend_from_slice(data);
        let mut out = Zeroizing::new(Vec::new());
        if !self.header()? {
            return Ok(out);
        }
        // A chunk is opened as a middle one only when bytes after it show it is not the last.
        while self.buffer.len() > CHUNK + TAG {
            let sealed: Vec<u8> = self.buffer.drain(..CHUNK + TAG).collect();
            out.extend_from_slice(&self.open(&sealed, false)?);
        }
        Ok(out)
    }

    /// Opens the last chunk; an error if the file ends anywhere else.
    pub fn finish(mut self) -> Result<Zeroizing<Vec<u8>>, BackupFileError> {
        if !self.header()? {
            return Err(if self.buffer.is_empty() { BackupFileError::NotABackup } else { BackupFileError::Truncated });
        }
        if self.buffer.len() < TAG {
            return Err(BackupFileError::Truncated);
        }
        let sealed = std::mem::take(&mut self.buffer);
        // A file cut at a chunk boundary ends with a middle chunk: it does not open as a last one.
        self.open(&sealed, true).map_err(|e| match e {
            BackupFileError::Damaged(_) if sealed.len() == CHUNK + TAG => BackupFileError::Truncated,
            e => e,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seal(key: &BackupKey, content: &[u8], piece: usize) -> Vec<u8> {
        let mut s = Sealer::new(key);
        let mut file = Vec::new();
        for part in content.chunks(piece.max(1)) {
            file.extend(s.push(part).unwrap());
        }
        file.extend(s.finish().unwrap());
        file
    }

    fn open(key: &BackupKey, file: &[u8], piece: usize) -> Result<Vec<u8>, BackupFileError> {
        let mut o = Opener::new(key);
        let mut out = Vec::new();
        for part in file.chunks(piece.max(1)) {
            out.extend_from_slice(&o.push(part)?);
        }
        out.extend_from_slice(&o.finish()?);
        Ok(out)
    }

    fn content(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn content_of_any_length_comes_back_whatever_the_pieces() {
        let key = BackupKey::random();
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 3 * CHUNK + 17] {
            let c = content(len);
            for (w, r) in [(7, 5), (CHUNK, CHUNK + TAG), (100_000, 1)] {
                if r == 1 && len > CHUNK + 1 {
                    continue; // byte by byte is slow; the short contents cover it
                }
                assert_eq!(open(&key, &seal(&key, &c, w), r).unwrap(), c, "len {len}, pieces {w}/{r}");
            }
        }
    }

    #[test]
    fn every_cut_flip_reorder_and_wrong_key_is_refused() {
        let key = BackupKey::random();
        let c = content(2 * CHUNK + 500);
        let file = seal(&key, &c, 4096);
        // Cut short at many offsets, chunk boundaries included.
        let boundaries = [HEADER, HEADER + CHUNK + TAG, HEADER + 2 * (CHUNK + TAG)];
        for cut in (0..file.len()).step_by(997).chain(boundaries).chain([file.len() - 1]) {
            assert!(open(&key, &file[..cut], 4096).is_err(), "cut at {cut}");
        }
        // One flipped bit anywhere: header, first chunk, middle, last byte.
        for at in [0, 9, 15, HEADER - 1, HEADER, HEADER + CHUNK + 3, file.len() - 1] {
            let mut f = file.clone();
            f[at] ^= 0x01;
            assert!(open(&key, &f, 4096).is_err(), "flip at {at}");
        }
        // Two middle chunks swapped, or one dropped.
        let (a, b) = (HEADER, HEADER + CHUNK + TAG);
        let mut swapped = file[..a].to_vec();
        swapped.extend_from_slice(&file[b..b + CHUNK + TAG]);
        swapped.extend_from_slice(&file[a..b]);
        swapped.extend_from_slice(&file[b + CHUNK + TAG..]);
        assert_eq!(open(&key, &swapped, 4096), Err(BackupFileError::Damaged(0)));
        let mut dropped = file[..a].to_vec();
        dropped.extend_from_slice(&file[b..]);
        assert!(open(&key, &dropped, 4096).is_err());
        assert_eq!(open(&BackupKey::random(), &file, 4096), Err(BackupFileError::WrongKey));
        let mut future = file.clone();
        future[9] = 2;
        assert_eq!(open(&key, &future, 4096), Err(BackupFileError::UnsupportedVersion(2)));
        assert_eq!(open(&key, b"PK\x03\x04 a zip file", 4096), Err(BackupFileError::NotABackup));
        assert_eq!(open(&key, &file[..HEADER + CHUNK + TAG], 4096), Err(BackupFileError::Truncated));
    }

    #[test]
    fn keys_read_back_and_never_print() {
        let key = BackupKey::random();
        let text = key.to_text();
        assert!(text.starts_with("secryn_bk_"));
        let again = BackupKey::parse(&text).unwrap();
        assert_eq!(again.0, key.0);
        assert_eq!(format!("{key:?}"), "BackupKey([redacted])");
        assert_eq!(BackupKey::parse("secryn_bk_short").err(), Some(BackupFileError::MalformedKey));
        assert_eq!(BackupKey::parse(&text[3..]).err(), Some(BackupFileError::MalformedKey));
    }
}

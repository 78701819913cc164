//! Bearer tokens (sessions, access keys, public tokens, setup codes): 256 random bits with a
//! recognisable prefix and a checksum, so a leaked token is easy to spot in a scan and a typo
//! is refused without a database lookup. Only the SHA-256 of a token is ever stored.

use super::crypto::SecretText;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The kinds of token Secryn issues; the prefix tells them apart at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenKind {
    Session,
    AccessKey,
    PublicToken,
    Invitation,
    PasswordReset,
}

impl TokenKind {
    fn prefix(self) -> &'static str {
        match self {
            TokenKind::Session => "secryn_ses_",
            TokenKind::AccessKey => "secryn_ak_",
            TokenKind::PublicToken => "secryn_pub_",
            TokenKind::Invitation => "secryn_inv_",
            TokenKind::PasswordReset => "secryn_rst_",
        }
    }
}

const BODY_LEN: usize = 43; // 32 bytes, base64url without padding
const CHECK_LEN: usize = 6;

fn checksum(prefix_and_body: &str) -> String {
    let digest = Sha256::digest(prefix_and_body.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..6])[..CHECK_LEN].to_owned()
}

/// Mints a new token of `kind`. The caller shows it once and stores only [`token_hash`].
pub fn generate(kind: TokenKind) -> SecretText {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let head = format!("{}{}", kind.prefix(), URL_SAFE_NO_PAD.encode(bytes));
    let check = checksum(&head);
    SecretText::new(format!("{head}{check}"))
}

/// True when `token` has the shape of a `kind` token and its checksum matches.
pub fn well_formed(kind: TokenKind, token: &str) -> bool {
    let prefix = kind.prefix();
    if token.len() != prefix.len() + BODY_LEN + CHECK_LEN || !token.starts_with(prefix) || !token.is_ascii() {
        return false;
    }
    let (head, check) = token.split_at(prefix.len() + BODY_LEN);
    checksum(head).as_bytes().ct_eq(check.as_bytes()).into()
}

/// The stored form of any token or code: hex SHA-256.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A human-typable one-time code (`ABCD-EFGH-JKMN-PQRS`, ~80 bits) for first-run setup.
pub fn setup_code() -> SecretText {
    const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let chars: Vec<char> = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
    let groups: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    SecretText::new(groups.join("-"))
}

/// Normalises what a person typed as a setup code (case, spaces) before hashing it.
pub fn normalise_code(typed: &str) -> String {
    typed.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase()
}

/// `path` as it may be logged: a segment that is a Secryn token (`/invite/secryn_inv_…`,
/// `/reset/…`) becomes `[token]`, so link tokens never reach a log line.
pub fn redacted_path(path: &str) -> std::borrow::Cow<'_, str> {
    if !path.contains("secryn_") {
        return path.into();
    }
    let parts: Vec<&str> =
        path.split('/').map(|seg| if seg.starts_with("secryn_") { "[token]" } else { seg }).collect();
    parts.join("/").into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_carry_prefix_and_checksum() {
        let t = generate(TokenKind::AccessKey);
        assert!(t.expose().starts_with("secryn_ak_"));
        assert!(well_formed(TokenKind::AccessKey, t.expose()));
        assert!(!well_formed(TokenKind::Session, t.expose()));
        let mut typo = t.expose().to_owned();
        let last = typo.pop().unwrap();
        typo.push(if last == 'A' { 'B' } else { 'A' });
        assert!(!well_formed(TokenKind::AccessKey, &typo));
        assert!(!well_formed(TokenKind::AccessKey, "secryn_ak_é"));
        assert_eq!(redacted_path("/invite/secryn_inv_abc"), "/invite/[token]");
        assert_eq!(redacted_path("/reset/secryn_rst_x/y"), "/reset/[token]/y");
        assert_eq!(redacted_path("/api/v1/vaults/abc"), "/api/v1/vaults/abc");
        assert_ne!(generate(TokenKind::AccessKey).expose(), t.expose());
    }

    #[test]
    fn hashes_are_sha256_hex() {
        assert_eq!(token_hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn setup_codes_are_typable() {
        let c = setup_code();
        assert_eq!(c.expose().len(), 19);
        assert_eq!(normalise_code(&format!(" {} ", c.expose().to_lowercase())), c.expose());
    }
}

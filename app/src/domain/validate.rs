//! Parse, don't validate: each type here can only hold a value that passed its rules, so
//! code that holds one never checks again. The browser uses the same parsers for instant
//! feedback; the server's use is the one that counts.

use super::error::AppError;
use serde::{Deserialize, Serialize};
use std::fmt;
use zeroize::Zeroize;

/// Longest e-mail address accepted (RFC 5321 path limit).
pub const EMAIL_MAX: usize = 254;
/// Longest display name of a person or instance.
pub const NAME_MAX: usize = 100;
/// Shortest password accepted.
pub const PASSWORD_MIN: usize = 12;
/// Longest password accepted: keeps hashing cost bounded.
pub const PASSWORD_MAX: usize = 256;

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

/// A display name (person or instance): trimmed, 1–100 characters, no control characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(AppError::validation(field, "Enter a name."));
        }
        if s.chars().count() > NAME_MAX {
            return Err(AppError::validation(field, format!("Use at most {NAME_MAX} characters.")));
        }
        if has_control(s) {
            return Err(AppError::validation(field, "Remove control characters (such as line breaks)."));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DisplayName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, trimmed and lower-cased so that one person has one account.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, AppError> {
        let s = raw.trim().to_lowercase();
        if s.is_empty() {
            return Err(AppError::validation(field, "Enter an e-mail address."));
        }
        if s.len() > EMAIL_MAX {
            return Err(AppError::validation(field, format!("Use at most {EMAIL_MAX} characters.")));
        }
        let valid = match s.split_once('@') {
            Some((local, domain)) => {
                !local.is_empty()
                    && domain.len() >= 3
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !domain.contains('@')
                    && !s.chars().any(|c| c.is_whitespace() || c.is_control())
            }
            None => false,
        };
        if !valid {
            return Err(AppError::validation(field, "Enter an e-mail address like name@example.com."));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A password in transit. It never prints and is wiped from memory when dropped.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, zeroize::ZeroizeOnDrop)]
pub struct Password(String);

impl Password {
    /// Wraps a password typed at sign-in: any non-empty text up to the maximum (old
    /// passwords may predate today's rules).
    pub fn for_sign_in(field: &str, raw: String) -> Result<Self, AppError> {
        let p = Self(raw);
        if p.0.is_empty() {
            return Err(AppError::validation(field, "Enter your password."));
        }
        if p.0.chars().count() > PASSWORD_MAX {
            return Err(AppError::validation(field, format!("Use at most {PASSWORD_MAX} characters.")));
        }
        Ok(p)
    }

    /// Checks a new password against the rules for choosing one.
    pub fn new_choice(field: &str, raw: String) -> Result<Self, AppError> {
        let p = Self(raw);
        let n = p.0.chars().count();
        if n < PASSWORD_MIN {
            return Err(AppError::validation(field, format!("Use at least {PASSWORD_MIN} characters.")));
        }
        if n > PASSWORD_MAX {
            return Err(AppError::validation(field, format!("Use at most {PASSWORD_MAX} characters.")));
        }
        if p.0.trim().is_empty() {
            return Err(AppError::validation(field, "A password cannot be only spaces."));
        }
        Ok(p)
    }

    /// The raw text, for hashing only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl fmt::Display for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_normalised_and_checked() {
        assert_eq!(Email::parse("e", "  Member@Example.COM ").unwrap().as_str(), "member@example.com");
        for bad in ["", "x", "@a.b", "a@", "a@b", "a@.com", "a b@c.de", "a@b.c.", &"a".repeat(300)] {
            let err = Email::parse("email", bad).unwrap_err();
            assert_eq!(err.field.as_deref(), Some("email"), "{bad}");
        }
    }

    #[test]
    fn names_are_trimmed_and_capped() {
        assert_eq!(DisplayName::parse("n", "  Ops  ").unwrap().as_str(), "Ops");
        assert!(DisplayName::parse("n", "   ").is_err());
        assert!(DisplayName::parse("n", &"é".repeat(101)).is_err());
        assert!(DisplayName::parse("n", &"é".repeat(100)).is_ok());
        assert!(DisplayName::parse("n", "a\nb").is_err());
    }

    #[test]
    fn passwords_have_rules_and_never_print() {
        assert!(Password::new_choice("p", "short".into()).is_err());
        assert!(Password::new_choice("p", " ".repeat(20)).is_err());
        assert!(Password::new_choice("p", "x".repeat(257)).is_err());
        let p = Password::new_choice("p", "correct horse battery".into()).unwrap();
        assert_eq!(format!("{p:?} {p}"), "[redacted] [redacted]");
        assert!(Password::for_sign_in("p", String::new()).is_err());
    }
}

/// A password or code as it arrives from a form: not yet checked, never printed, wiped on
/// drop. Services turn it into a [`Password`] (or compare it) themselves.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, Zeroize, zeroize::ZeroizeOnDrop)]
#[serde(transparent)]
pub struct SecretInput(String);

impl SecretInput {
    pub fn new(s: String) -> Self {
        Self(s)
    }

    /// Hands the text on (leaves an empty string behind to be wiped).
    pub fn take(mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

impl fmt::Debug for SecretInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

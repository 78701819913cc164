//! E-mail (SPEC §7): the SMTP server an Admin sets, and the messages that could not be
//! delivered. Shared with the browser, which shows the settings and checks nothing itself.

use super::AppError;
use super::time::Micros;
use super::validate::Email;
use serde::{Deserialize, Serialize};

/// The longest SMTP user name or password accepted (servers' own limits are lower).
pub const CREDENTIAL_MAX: usize = 256;

/// How Secryn talks to the SMTP server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Security {
    /// Plain connection upgraded with STARTTLS (port 587); refuses a server that cannot.
    #[default]
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or network.
    None,
}

impl Security {
    pub const ALL: [Security; 3] = [Security::StartTls, Security::Tls, Security::None];

    pub fn as_str(self) -> &'static str {
        match self {
            Security::StartTls => "starttls",
            Security::Tls => "tls",
            Security::None => "none",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Security::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            Security::StartTls => "STARTTLS (usually port 587)",
            Security::Tls => "TLS (usually port 465)",
            Security::None => "None (a relay on this network only)",
        }
    }
}

/// The `(value, text)` choices of the security select.
pub fn security_choices() -> Vec<(String, String)> {
    Security::ALL.into_iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())).collect()
}

/// The SMTP settings as an Admin sees them: the password never leaves the server, only
/// whether one is stored.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Smtp {
    /// Empty when e-mail is off.
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password_set: bool,
    pub from: String,
    pub updated_at: Option<Micros>,
}

impl Smtp {
    /// Whether Secryn sends e-mail at all.
    pub fn enabled(&self) -> bool {
        !self.host.is_empty()
    }
}

/// What the settings form sends. `password` empty keeps the stored one; `clear_password`
/// removes it. The password is wiped from memory when dropped and never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SmtpInput {
    pub host: String,
    pub port: String,
    pub security: String,
    pub username: String,
    pub password: zeroize::Zeroizing<String>,
    pub clear_password: bool,
    pub from: String,
}

impl std::fmt::Debug for SmtpInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpInput").field("host", &self.host).field("port", &self.port).finish_non_exhaustive()
    }
}

/// Checked SMTP settings, ready to store (the password, if a new one was given, stays in
/// [`SmtpInput`] until it is sealed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SmtpChecked {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub from: String,
}

impl SmtpInput {
    /// The settings, or the first field that is wrong. An empty host turns e-mail off and
    /// needs nothing else.
    pub fn check(&self) -> Result<SmtpChecked, AppError> {
        let host = self.host.trim().to_ascii_lowercase();
        let valid_host = host.len() <= 253
            && host.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
            && !host.starts_with(['.', '-']);
        if !valid_host {
            return Err(AppError::validation("host", "Enter a host name or IP address, such as smtp.example.com."));
        }
        let port = match self.port.trim() {
            "" => 587,
            p => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p > 0)
                .ok_or_else(|| AppError::validation("port", "Enter a port between 1 and 65535."))?,
        };
        let security = Security::parse(&self.security)
            .ok_or_else(|| AppError::validation("security", "Choose STARTTLS, TLS or none."))?;
        let username = self.username.trim().to_owned();
        if username.len() > CREDENTIAL_MAX || username.chars().any(char::is_control) {
            return Err(AppError::validation(
                "username",
                format!("Use at most {CREDENTIAL_MAX} printable characters."),
            ));
        }
        if self.password.len() > CREDENTIAL_MAX {
            return Err(AppError::validation("password", format!("Use at most {CREDENTIAL_MAX} characters.")));
        }
        let from = if host.is_empty() && self.from.trim().is_empty() {
            String::new()
        } else {
            Email::parse("from", &self.from)?.as_str().to_owned()
        };
        Ok(SmtpChecked { host, port, security, username, from })
    }
}

/// One e-mail that has not gone out after trying, for Admins to see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Undelivered {
    pub id: String,
    /// What it was for: "invitation", "password reset", "expiry digest", "support".
    pub kind: String,
    pub to: String,
    pub subject: String,
    pub created_at: Micros,
    pub attempts: i64,
    /// The SMTP server's last answer, or why it could not be reached.
    pub last_error: String,
    /// The next try; `None` once Secryn has given up.
    pub next_attempt_at: Option<Micros>,
}

/// Admin → Settings' e-mail part: the settings, the queue's size and what is failing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailView {
    pub smtp: Smtp,
    /// Messages waiting for their first or next try.
    pub queued: i64,
    /// Messages retried or given up on, newest first.
    pub undelivered: Vec<Undelivered>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(host: &str, port: &str, from: &str) -> SmtpInput {
        SmtpInput {
            host: host.into(),
            port: port.into(),
            security: "starttls".into(),
            from: from.into(),
            ..SmtpInput::default()
        }
    }

    #[test]
    fn settings_are_checked_field_by_field() {
        let ok = input("Smtp.Example.com", "", "Secryn@Example.com").check().unwrap();
        assert_eq!((ok.host.as_str(), ok.port, ok.from.as_str()), ("smtp.example.com", 587, "secryn@example.com"));
        assert_eq!(input("", "", "").check().unwrap().host, "", "an empty host turns e-mail off");
        for (bad, field) in [
            (input("smtp example", "25", "a@b.co"), "host"),
            (input("smtp.example.com", "0", "a@b.co"), "port"),
            (input("smtp.example.com", "70000", "a@b.co"), "port"),
            (input("smtp.example.com", "25", "nobody"), "from"),
            (SmtpInput { security: "ssl3".into(), ..input("h.example.com", "25", "a@b.co") }, "security"),
            (SmtpInput { password: "x".repeat(300).into(), ..input("h.example.com", "25", "a@b.co") }, "password"),
        ] {
            assert_eq!(bad.check().unwrap_err().field.as_deref(), Some(field), "{bad:?}");
        }
    }

    #[test]
    fn the_password_never_prints() {
        let i = SmtpInput { password: String::from("hunter2-smtp").into(), ..input("h.example.com", "25", "a@b.co") };
        assert!(!format!("{i:?}").contains("hunter2"));
    }
}

//! Support (SPEC §7): bug reports and feature requests people file from the sidebar, the
//! replies, and the status Admins set. Shared with the browser, which shows them.

use super::AppError;
use super::time::Micros;
use serde::{Deserialize, Serialize};

/// The longest title accepted, in characters.
pub const TITLE_MAX: usize = 200;
/// The longest description or reply accepted, in characters.
pub const BODY_MAX: usize = 10_000;
/// Tickets one person may have open (not closed) at once: filing is cheap, so it is bounded.
pub const OPEN_PER_PERSON: i64 = 50;

/// What a ticket asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TicketKind {
    Bug,
    Feature,
}

impl TicketKind {
    pub const ALL: [TicketKind; 2] = [TicketKind::Bug, TicketKind::Feature];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::Bug => "bug",
            TicketKind::Feature => "feature",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        TicketKind::ALL.into_iter().find(|k| k.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketKind::Bug => "Bug report",
            TicketKind::Feature => "Feature request",
        }
    }
}

/// Where a ticket stands: open (waiting for an Admin), answered (waiting for its author),
/// closed (done; a reply from its author opens it again).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TicketStatus {
    Open,
    Answered,
    Closed,
}

impl TicketStatus {
    pub const ALL: [TicketStatus; 3] = [TicketStatus::Open, TicketStatus::Answered, TicketStatus::Closed];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketStatus::Open => "open",
            TicketStatus::Answered => "answered",
            TicketStatus::Closed => "closed",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        TicketStatus::ALL.into_iter().find(|s| s.as_str() == raw)
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketStatus::Open => "Open",
            TicketStatus::Answered => "Answered",
            TicketStatus::Closed => "Closed",
        }
    }
}

/// A new ticket, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTicket {
    pub kind: TicketKind,
    pub title: String,
    pub description: String,
}

impl NewTicket {
    /// The ticket, or the first field that is wrong.
    pub fn parse(kind: &str, title: &str, description: &str) -> Result<Self, AppError> {
        let kind = TicketKind::parse(kind)
            .ok_or_else(|| AppError::validation("kind", "Choose a bug report or a feature request."))?;
        let title = title.trim();
        if title.is_empty() {
            return Err(AppError::validation("title", "Enter a title."));
        }
        if title.chars().count() > TITLE_MAX || title.chars().any(char::is_control) {
            return Err(AppError::validation("title", format!("Use at most {TITLE_MAX} characters on one line.")));
        }
        Ok(NewTicket { kind, title: title.to_owned(), description: body("description", description)? })
    }
}

/// A description or reply: trimmed, not empty, at most [`BODY_MAX`] characters.
pub fn body(field: &str, raw: &str) -> Result<String, AppError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(AppError::validation(field, "Write something first."));
    }
    if text.chars().count() > BODY_MAX {
        return Err(AppError::validation(field, format!("Use at most {BODY_MAX} characters.")));
    }
    Ok(text.to_owned())
}

/// A ticket in a list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSummary {
    pub id: String,
    pub kind: TicketKind,
    pub title: String,
    pub status: TicketStatus,
    pub author: String,
    pub created_at: Micros,
    pub updated_at: Micros,
    /// Messages after the description.
    pub replies: i64,
}

/// One message of a ticket: the description first, then the replies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketMessage {
    pub author: String,
    /// Written by an Admin other than the ticket's author (shown as "Support").
    pub from_support: bool,
    pub body: String,
    pub at: Micros,
}

/// A whole ticket, as its author or an Admin reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub summary: TicketSummary,
    pub messages: Vec<TicketMessage>,
    /// The reader may set the status (an Admin).
    pub can_set_status: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_ticket_is_checked_field_by_field() {
        let ok = NewTicket::parse("bug", "  Export fails ", " Steps: … ").unwrap();
        assert_eq!(
            (ok.kind, ok.title.as_str(), ok.description.as_str()),
            (TicketKind::Bug, "Export fails", "Steps: …")
        );
        for (kind, title, description, field) in [
            ("question", "t", "d", "kind"),
            ("bug", " ", "d", "title"),
            ("bug", "a\nb", "d", "title"),
            ("feature", &"x".repeat(TITLE_MAX + 1), "d", "title"),
            ("feature", "t", "   ", "description"),
        ] {
            let err = NewTicket::parse(kind, title, description).unwrap_err();
            assert_eq!(err.field.as_deref(), Some(field), "{kind} {title:?} {description:?}");
        }
        assert!(body("body", &"y".repeat(BODY_MAX + 1)).is_err());
    }
}

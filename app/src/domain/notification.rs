//! Notifications (SPEC §7): what the bell lists, and the expiry thresholds the watch fires.
//! Shared by the server (which decides what fired) and the page (which shows it).

use super::ids::NotificationId;
use super::time::Micros;
use serde::{Deserialize, Serialize};

/// One day in microseconds.
const DAY: Micros = 86_400_000_000;

/// Days before expiry at which a digest goes out, the last being expiry itself. Each fires
/// once per resource and expiration date.
pub const THRESHOLDS: [i64; 4] = [30, 7, 1, 0];

/// The most urgent threshold reached when `expires_at` is seen at `now`, or `None` while it
/// is more than 30 days away. Seen late (a node was down), only the most urgent one counts:
/// nobody needs "30 days left" about a secret that expired yesterday.
pub fn threshold(expires_at: Micros, now: Micros) -> Option<i64> {
    let left = expires_at - now;
    THRESHOLDS.iter().rev().copied().find(|days| left <= days * DAY)
}

/// What kind of resource an item names; also the path segment of its page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Secret,
    Key,
    Certificate,
}

impl ItemKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Secret => "secret",
            ItemKind::Key => "key",
            ItemKind::Certificate => "certificate",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            ItemKind::Secret => "Secret",
            ItemKind::Key => "Key",
            ItemKind::Certificate => "Certificate",
        }
    }
}

/// One resource a digest names: enough to read it and follow the link, never a value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Item {
    pub kind: ItemKind,
    pub id: String,
    pub name: String,
    /// "Project / vault", where it lives.
    pub place: String,
    pub expires_at: Micros,
    /// The threshold that fired (days before expiry; 0 is expiry itself).
    pub threshold_days: i64,
}

impl Item {
    /// The resource's page.
    pub fn href(&self) -> String {
        format!("/{}s/{}", self.kind.as_str(), self.id)
    }

    /// "Secret DB_PASSWORD expires in 7 days", as a digest line.
    pub fn line(&self) -> String {
        let when = match self.threshold_days {
            0 => "has expired".to_owned(),
            1 => "expires within a day".to_owned(),
            d => format!("expires within {d} days"),
        };
        format!("{} {} {when}", self.kind.noun(), self.name)
    }
}

/// The title of a digest of `items`.
pub fn digest_title(items: &[Item]) -> String {
    match items {
        [one] => one.line(),
        many => format!("{} items are expiring or have expired", many.len()),
    }
}

/// One notification as its reader sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: NotificationId,
    pub title: String,
    /// The resources a digest names (none for other notifications).
    pub items: Vec<Item>,
    /// Where the title leads, when it is about a page rather than items.
    pub link: Option<String>,
    pub created_at: Micros,
    pub read: bool,
}

/// The bell's list: the newest notifications and how many are unread in all.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    pub notifications: Vec<Notification>,
    pub unread: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_urgent_threshold_reached_counts() {
        let now = 1_000 * DAY;
        assert_eq!(threshold(now + 31 * DAY, now), None);
        assert_eq!(threshold(now + 30 * DAY, now), Some(30));
        assert_eq!(threshold(now + 8 * DAY, now), Some(30));
        assert_eq!(threshold(now + 7 * DAY, now), Some(7));
        assert_eq!(threshold(now + DAY + 1, now), Some(7));
        assert_eq!(threshold(now + DAY, now), Some(1));
        assert_eq!(threshold(now + 1, now), Some(1));
        assert_eq!(threshold(now, now), Some(0));
        assert_eq!(threshold(now - 400 * DAY, now), Some(0));
    }

    #[test]
    fn titles_name_one_item_or_count_many() {
        let item = Item {
            kind: ItemKind::Secret,
            id: "x".into(),
            name: "DB_PASSWORD".into(),
            place: "Payments / prod".into(),
            expires_at: 0,
            threshold_days: 7,
        };
        assert_eq!(digest_title(std::slice::from_ref(&item)), "Secret DB_PASSWORD expires within 7 days");
        assert_eq!(item.href(), "/secrets/x");
        let expired = Item { threshold_days: 0, kind: ItemKind::Certificate, ..item.clone() };
        assert_eq!(expired.line(), "Certificate DB_PASSWORD has expired");
        assert_eq!(digest_title(&[item, expired]), "2 items are expiring or have expired");
    }
}

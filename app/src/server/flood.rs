//! Bounds on the rows anyone can make. A call that carries no credential (a refused API call,
//! a failed sign-in, a fetch of the API's documents) costs its sender nothing but writes a log
//! row, so it is the cheapest way to fill a disk. Each address gets `per_minute` such calls a
//! minute with a row each; past that its calls are answered 429 and only counted, in one
//! summary row per address, door and minute (`refused_calls`, written every few seconds).
//!
//! Counting is per node and in memory: it costs no database work on the hot path, and with
//! several nodes an address gets at most `per_minute` rows a minute from each. IPv6 addresses
//! are counted by their /64, which one sender usually holds whole. At most `TRACKED` senders
//! are told apart in a minute; past that every new one is counted as over the rate, under the
//! address `other`, so memory stays bounded whatever the sender does.
//!
//! Public-token reads carry a credential, but a public token is meant to be handed around: the
//! audit log records the first read of each resource by each address in a minute, and the
//! request log (which retention prunes) records every read.

use crate::domain::time::Micros;
use crate::server::db::Db;
use crate::server::repo::refused;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Default credential-less calls per address per minute that get a row each
/// (`SECRYN_ANONYMOUS_PER_MINUTE`; 0 turns the bound off).
pub const DEFAULT_PER_MINUTE: i64 = 60;
/// Senders (and public reads) told apart in one minute.
const TRACKED: usize = 65_536;
/// How often the summaries are written.
pub const FLUSH_EVERY: Duration = Duration::from_secs(5);
const MINUTE: Micros = 60_000_000;
/// The address every sender past `TRACKED` is counted under.
const OTHER: &str = "other";

/// Where a credential-less call came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Door {
    /// The REST API (and the machine doors after it).
    Api,
    /// The sign-in form.
    SignIn,
    /// The MCP endpoint.
    Mcp,
}

impl Door {
    pub fn as_str(self) -> &'static str {
        match self {
            Door::Api => "api",
            Door::SignIn => "sign_in",
            Door::Mcp => "mcp",
        }
    }
}

/// Calls from one address through one door in one minute that were answered 429 and not
/// recorded one by one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    /// The minute's start (UTC microseconds).
    pub minute: Micros,
    pub address: String,
    pub door: Door,
    pub refused: i64,
}

/// The per-node counters (see the module's doc); shared by every request.
#[derive(Debug)]
pub struct Flood {
    per_minute: u32,
    window: Mutex<Window>,
}

#[derive(Debug, Default)]
struct Window {
    minute: Micros,
    seen: HashMap<Seen, u32>,
    over: HashMap<(Micros, String, Door), i64>,
}

#[derive(Debug, PartialEq, Eq, Hash)]
enum Seen {
    Calls(Door, String),
    PublicRead(String, String),
}

impl Window {
    /// Starts a new minute's counts when `now` is past the current one.
    fn at(&mut self, now: Micros) -> Micros {
        let minute = now - now.rem_euclid(MINUTE);
        if minute != self.minute {
            self.minute = minute;
            self.seen.clear();
        }
        minute
    }

    /// The count for `key` this minute, or `None` when it cannot be tracked (too many senders).
    fn count(&mut self, key: Seen) -> Option<&mut u32> {
        if self.seen.len() >= TRACKED && !self.seen.contains_key(&key) {
            return None;
        }
        Some(self.seen.entry(key).or_insert(0))
    }

    fn summarize(&mut self, minute: Micros, address: String, door: Door) {
        *self.over.entry((minute, address, door)).or_insert(0) += 1;
    }
}

impl Flood {
    /// Counters allowing `per_minute` recorded calls per address per minute (0: no bound).
    pub fn new(per_minute: i64) -> Self {
        Flood { per_minute: u32::try_from(per_minute).unwrap_or(u32::MAX), window: Mutex::default() }
    }

    fn window(&self) -> MutexGuard<'_, Window> {
        self.window.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Counts a credential-less call; false (and counted for its summary instead) once its
    /// address is past the rate this minute.
    pub fn admit(&self, door: Door, ip: Option<&str>, now: Micros) -> bool {
        self.check(door, ip, now, true)
    }

    /// Whether a call that may turn out refused is still within its address's rate (counted
    /// for its summary when it is not); [`Flood::note`] counts it once it is refused.
    pub fn allows(&self, door: Door, ip: Option<&str>, now: Micros) -> bool {
        self.check(door, ip, now, false)
    }

    /// Counts a refused call against its address's rate.
    pub fn note(&self, door: Door, ip: Option<&str>, now: Micros) {
        if self.per_minute == 0 {
            return;
        }
        let mut w = self.window();
        w.at(now);
        if let Some(n) = w.count(Seen::Calls(door, address(ip))) {
            *n = n.saturating_add(1);
        }
    }

    /// Counts a call refused by another limit (no row of its own) in its address's summary.
    pub fn summarize(&self, door: Door, ip: Option<&str>, now: Micros) {
        let mut w = self.window();
        let minute = w.at(now);
        w.summarize(minute, address(ip), door);
    }

    fn check(&self, door: Door, ip: Option<&str>, now: Micros, count: bool) -> bool {
        if self.per_minute == 0 {
            return true;
        }
        let mut w = self.window();
        let minute = w.at(now);
        let address = address(ip);
        let per_minute = self.per_minute;
        let within = match w.count(Seen::Calls(door, address.clone())) {
            Some(n) if *n < per_minute => {
                if count {
                    *n += 1;
                }
                true
            }
            Some(_) => false,
            None => {
                w.summarize(minute, OTHER.to_owned(), door);
                return false;
            }
        };
        if !within {
            w.summarize(minute, address, door);
        }
        within
    }

    /// True for the first public read of `resource` by this address this minute: that one is
    /// audited (see the module's doc).
    pub fn first_public_read(&self, resource: &str, ip: Option<&str>, now: Micros) -> bool {
        let mut w = self.window();
        w.at(now);
        match w.count(Seen::PublicRead(resource.to_owned(), address(ip))) {
            Some(n) => {
                *n = n.saturating_add(1);
                *n == 1
            }
            None => false,
        }
    }

    /// Takes the summaries counted so far.
    pub fn take(&self) -> Vec<Summary> {
        let over = std::mem::take(&mut self.window().over);
        over.into_iter().map(|((minute, address, door), refused)| Summary { minute, address, door, refused }).collect()
    }

    /// Writes the summaries counted so far (added to what other nodes wrote for the same
    /// address and minute); on failure they are kept for the next try.
    pub async fn flush(&self, db: &Db) -> Result<(), sqlx::Error> {
        let rows = self.take();
        if rows.is_empty() {
            return Ok(());
        }
        if let Err(e) = refused::add(db, &rows).await {
            let mut w = self.window();
            for r in rows {
                *w.over.entry((r.minute, r.address, r.door)).or_insert(0) += r.refused;
            }
            return Err(e);
        }
        Ok(())
    }
}

/// The sender an address is counted as: IPv6 by its /64, anything unreadable as `unknown`.
pub fn address(ip: Option<&str>) -> String {
    match ip.and_then(|ip| ip.parse::<IpAddr>().ok()).map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => format!("{}/64", Ipv6Addr::from(u128::from(v6) & (u128::MAX << 64))),
        None => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Micros = 1_800_000_000_000_000;

    #[test]
    fn an_address_past_its_rate_is_summarized_and_the_next_minute_starts_over() {
        let f = Flood::new(3);
        let ip = Some("203.0.113.7");
        assert!((0..3).all(|_| f.admit(Door::Api, ip, T)));
        assert!(!f.admit(Door::Api, ip, T + 1));
        assert!(!f.admit(Door::Api, ip, T + 2));
        assert!(f.admit(Door::Api, Some("203.0.113.8"), T + 3), "another address has its own rate");
        assert!(f.admit(Door::SignIn, ip, T + 3), "each door has its own rate");
        let minute = T - T % MINUTE;
        assert_eq!(f.take(), vec![Summary { minute, address: "203.0.113.7".into(), door: Door::Api, refused: 2 }]);
        assert!(f.take().is_empty());
        assert!(f.admit(Door::Api, ip, minute + MINUTE));
    }

    #[test]
    fn allows_does_not_count_until_noted() {
        let f = Flood::new(2);
        let ip = Some("198.51.100.1");
        assert!((0..5).all(|_| f.allows(Door::SignIn, ip, T)), "successful sign-ins are not counted");
        f.note(Door::SignIn, ip, T);
        f.note(Door::SignIn, ip, T);
        assert!(!f.allows(Door::SignIn, ip, T));
        assert_eq!(f.take()[0].refused, 1);
    }

    #[test]
    fn ipv6_senders_are_counted_by_their_slash_64() {
        let f = Flood::new(1);
        assert!(f.admit(Door::Api, Some("2001:db8:1:2::1"), T));
        assert!(!f.admit(Door::Api, Some("2001:db8:1:2:ffff::9"), T));
        assert!(f.admit(Door::Api, Some("2001:db8:1:3::1"), T));
        assert_eq!(address(Some("::ffff:192.0.2.1")), "192.0.2.1");
        assert_eq!(address(Some("not an address")), "unknown");
    }

    #[test]
    fn past_the_tracked_senders_every_new_one_is_over_the_rate() {
        let f = Flood::new(1);
        for i in 0..TRACKED as u32 {
            assert!(f.admit(Door::Api, Some(&std::net::Ipv4Addr::from(i).to_string()), T));
        }
        assert!(!f.admit(Door::Api, Some("192.0.2.200"), T));
        assert!(!f.admit(Door::Api, Some("192.0.2.201"), T));
        let s = f.take();
        assert_eq!(s.len(), 1);
        assert_eq!((s[0].address.as_str(), s[0].refused), (OTHER, 2));
    }

    #[test]
    fn a_public_read_is_first_once_per_resource_address_and_minute() {
        let f = Flood::new(0);
        let ip = Some("192.0.2.9");
        assert!(f.first_public_read("k1", ip, T));
        assert!(!f.first_public_read("k1", ip, T + 5));
        assert!(f.first_public_read("k2", ip, T + 5));
        assert!(f.first_public_read("k1", Some("192.0.2.10"), T + 5));
        assert!(f.first_public_read("k1", ip, T - T % MINUTE + MINUTE));
    }

    #[test]
    fn no_bound_when_turned_off() {
        let f = Flood::new(0);
        assert!((0..1000).all(|_| f.admit(Door::Api, Some("192.0.2.1"), T)));
        assert!(f.take().is_empty());
    }
}

//! The one clock. Everything that stamps a time asks here, so there is one place to reason
//! about time zones (always UTC) and one place where tests move time.
//!
//! Tests move the clock with [`advance`] instead of rewriting rows: lockout windows, session
//! timeouts and link expiry are then tested the way they happen. The offset belongs to the
//! calling thread, so tests running side by side (each on its own thread, with a
//! current-thread runtime) never move each other's time; nothing in the server calls it.

use crate::domain::time::Micros;
use std::cell::Cell;

thread_local! {
    static OFFSET: Cell<Micros> = const { Cell::new(0) };
}

/// Now, in microseconds since the Unix epoch, UTC.
pub fn now() -> Micros {
    chrono::Utc::now().timestamp_micros() + OFFSET.with(Cell::get)
}

/// Moves this thread's clock forward by `by` microseconds (tests only; see the module note).
pub fn advance(by: Micros) {
    OFFSET.with(|o| o.set(o.get() + by));
}

/// A number of minutes as microseconds.
pub const fn minutes(n: i64) -> Micros {
    n * 60 * 1_000_000
}

#[cfg(test)]
mod tests {
    #[test]
    fn advance_moves_only_this_threads_clock() {
        let before = super::now();
        super::advance(super::minutes(30));
        assert!(super::now() - before >= super::minutes(30));
        let other = std::thread::spawn(super::now).join().unwrap();
        assert!(other < before + super::minutes(1), "another thread keeps real time");
    }
}

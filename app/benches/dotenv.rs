//! `cargo bench -p app --features ssr --bench dotenv`: the `.env` import's parser on 1 MB of
//! ordinary lines beside 1 MB inputs built to make a rescanning parser quadratic (an unclosed
//! double or single quote followed by nothing but newlines; a single quote left open on every
//! line). Prints one line per input:
//! `dotenv parse, <input>: <rate> MB/s (<entries> entries, <errors> errors)`. The rates should
//! be of one order: the parser makes one forward pass whatever the input.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::dotenv;
use std::hint::black_box;
use std::time::Instant;

const SIZE: usize = 1_000_000;
const RUNS: usize = 20;

/// 10,000 lines of exactly 100 bytes: `NAME_00042="value 00042 xxx…"` (the most entries one
/// import reads).
fn normal() -> String {
    let mut text = String::with_capacity(SIZE);
    for i in 0..SIZE / 100 {
        text.push_str(&format!("NAME_{i:05}=\"value {i:05} {}\"\n", "x".repeat(74)));
    }
    text
}

/// `A=` and an opening `quote`, then newlines up to 1 MB.
fn unclosed(quote: char) -> String {
    let mut text = format!("A={quote}");
    text.push_str(&"\n".repeat(SIZE - text.len()));
    text
}

/// 10,000 lines of 100 bytes, each opening a single quote that only the next line closes.
fn unclosed_lines() -> String {
    format!("A='{}\n", "x".repeat(96)).repeat(SIZE / 100)
}

fn measure(label: &str, text: &str) {
    assert!(text.len() <= dotenv::TEXT_MAX, "the input must be read, not refused for its size");
    let (entries, errors) = dotenv::parse(text);
    let started = Instant::now();
    for _ in 0..RUNS {
        black_box(dotenv::parse(black_box(text)));
    }
    let seconds = started.elapsed().as_secs_f64();
    let rate = (text.len() * RUNS) as f64 / seconds / 1e6;
    println!("dotenv parse, {label}: {rate:.1} MB/s ({} entries, {} errors)", entries.len(), errors.len());
}

fn main() {
    measure("normal 1 MB", &normal());
    measure("unclosed \" + 1 MB of newlines", &unclosed('"'));
    measure("unclosed ' + 1 MB of newlines", &unclosed('\''));
    measure("10,000 lines of unclosed ', 1 MB", &unclosed_lines());
}

//! `cargo bench -p app --features ssr --bench keygen`: key generations per second on one core
//! for each key type the UI offers most (RSA 2048 and 4096, EC P-256, Ed25519), through the
//! same function the service calls. Prints one line per type:
//! `keygen, <type>: <rate>/s (<n> in <seconds> s)`. RSA time varies with the primes drawn, so
//! RSA runs until enough keys or seconds have passed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::key::KeyAlgorithm;
use app::server::key_material;
use std::time::{Duration, Instant};

fn measure(algorithm: KeyAlgorithm, at_least: usize, budget: Duration) {
    let start = Instant::now();
    let mut n = 0;
    while n < at_least || start.elapsed() < budget {
        std::hint::black_box(key_material::generate(algorithm).unwrap());
        n += 1;
        if n >= at_least && start.elapsed() >= budget / 4 && n >= 10_000 {
            break;
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!("keygen, {}: {:.1}/s ({n} in {secs:.2} s)", algorithm.label(), n as f64 / secs);
}

fn main() {
    measure(KeyAlgorithm::Rsa2048, 10, Duration::from_secs(5));
    measure(KeyAlgorithm::Rsa4096, 4, Duration::from_secs(8));
    measure(KeyAlgorithm::EcP256, 1000, Duration::from_secs(1));
    measure(KeyAlgorithm::Ed25519, 1000, Duration::from_secs(1));
}

//! `cargo bench -p app --features ssr --bench keygen`: key generations per second on one core
//! for each key type the UI offers most (RSA 2048 and 4096, EC P-256, Ed25519), and self-signed
//! certificates (a P-256 key and its certificate), through the same functions the services
//! call. Prints one line per kind: `keygen, <kind>: <rate>/s (<n> in <seconds> s)`. RSA time
//! varies with the primes drawn, so RSA runs until enough keys or seconds have passed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed test or bench.

use app::domain::key::KeyAlgorithm;
use app::server::{cert_material, key_material};
use std::time::{Duration, Instant};

/// Runs `make` until `at_least` runs and `budget` have passed, then prints the rate.
fn measure(label: &str, at_least: usize, budget: Duration, make: impl Fn()) {
    let start = Instant::now();
    let mut n = 0;
    while n < at_least || start.elapsed() < budget {
        make();
        n += 1;
    }
    let secs = start.elapsed().as_secs_f64();
    println!("keygen, {label}: {:.1}/s ({n} in {secs:.2} s)", n as f64 / secs);
}

fn key(algorithm: KeyAlgorithm, at_least: usize, budget: Duration) {
    measure(&algorithm.label(), at_least, budget, || {
        std::hint::black_box(key_material::generate(algorithm).unwrap());
    });
}

fn main() {
    key(KeyAlgorithm::Rsa2048, 10, Duration::from_secs(5));
    key(KeyAlgorithm::Rsa4096, 4, Duration::from_secs(8));
    key(KeyAlgorithm::EcP256, 1000, Duration::from_millis(500));
    key(KeyAlgorithm::Ed25519, 1000, Duration::from_millis(500));
    let spec = cert_material::SelfSigned {
        common_name: "bench.example.com".into(),
        organization: "Secryn bench".into(),
        unit: String::new(),
        country: String::new(),
        state: String::new(),
        locality: String::new(),
        email: String::new(),
        algorithm: KeyAlgorithm::EcP256,
        validity_days: 365,
        alt_names: vec!["bench.example.com".into()],
    };
    measure("self-signed certificate (EC P-256)", 200, Duration::from_millis(500), || {
        std::hint::black_box(cert_material::self_signed(&spec, 1_800_000_000_000_000).unwrap());
    });
}

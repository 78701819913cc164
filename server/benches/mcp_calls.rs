//! `make bench`: `get_secret` through a real MCP client over Streamable HTTP against a running
//! server, the figure to set beside the REST API's read of the same secret. Each of
//! `BENCH_MCP_CLIENTS` clients (default 32) holds one session and calls in a loop for
//! `BENCH_SECONDS`; prints calls per second and the p50/p99 latency.
//!
//! Needs `BENCH_MCP_BASE` (the server's URL), `BENCH_MCP_KEY` (an access key) and
//! `BENCH_MCP_SECRET` (a secret's name in the key's vault).
#![allow(clippy::unwrap_used, clippy::expect_used)] // A panic here is a failed bench.

use rmcp::ServiceExt as _;
use rmcp::model::{CallToolRequestParams, ClientCapabilities, ClientConfig, Implementation};
use rmcp::transport::StreamableHttpClientTransport;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use std::time::{Duration, Instant};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"))
}

#[tokio::main]
async fn main() {
    let (base, key, secret) = (env("BENCH_MCP_BASE"), env("BENCH_MCP_KEY"), env("BENCH_MCP_SECRET"));
    let seconds: u64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(10);
    let clients: usize = std::env::var("BENCH_MCP_CLIENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(32);
    let mut sessions = Vec::new();
    for _ in 0..clients {
        let cfg = StreamableHttpClientTransportConfig::with_uri(format!("{base}/mcp")).auth_header(key.clone());
        let info = ClientConfig::new(ClientCapabilities::default(), Implementation::new("secryn-bench", "0"));
        sessions.push(info.serve(StreamableHttpClientTransport::from_config(cfg)).await.expect("handshake"));
    }
    let args = serde_json::json!({ "name": secret }).as_object().unwrap().clone();
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let runs = sessions.into_iter().map(|client| {
        let args = args.clone();
        tokio::spawn(async move {
            let mut took = Vec::new();
            while Instant::now() < until {
                let t = Instant::now();
                let r = client.call_tool(CallToolRequestParams::new("get_secret").with_arguments(args.clone())).await;
                assert_ne!(r.expect("call").is_error, Some(true), "the read was refused");
                took.push(t.elapsed());
            }
            let _ = client.cancel().await;
            took
        })
    });
    let mut all: Vec<Duration> = Vec::new();
    for run in runs.collect::<Vec<_>>() {
        all.extend(run.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let at = |q: f64| all[((all.len() as f64 * q) as usize).min(all.len() - 1)].as_secs_f64() * 1000.0;
    println!("mcp get_secret, calls per second: {:.0}", all.len() as f64 / elapsed);
    println!("mcp get_secret, p50 ms: {:.2}", at(0.50));
    println!("mcp get_secret, p99 ms: {:.2}", at(0.99));
}

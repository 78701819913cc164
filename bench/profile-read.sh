#!/usr/bin/env bash
# Where a machine read's time goes: starts the release server on a fresh SQLite data directory
# (or on PostgreSQL with PROFILE_DATABASE_URL), makes a vault of 1,000 secrets, drives
# GET secret-by-name with wrk (64 connections) and samples the server with `perf` meanwhile;
# prints the hottest symbols (self time) and the share of time by area.
# Needs the release build (make build), wrk and perf (Debian `linux-perf`).
# Usage: bash bench/profile-read.sh [SECONDS] [readyz|vault]   (default 10 s; `readyz` profiles
# GET /readyz instead: what every request costs before any read; `vault` reads a whole vault
# of 100 secrets)
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

SECONDS_TO_RUN="${1:-10}"
ADDR=127.0.0.1:3230
DATA=target/profile-data
for tool in wrk perf; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing (Debian: wrk, linux-perf)"
done
[[ -x target/release/secryn ]] || die "target/release/secryn is missing: make build"

secrets=1000
[[ ${2:-} == vault ]] && secrets=100
rm -rf "$DATA" && mkdir -p -m 700 "$DATA"
env=(SECRYN_DATA_DIR="$DATA" SECRYN_LISTEN="$ADDR" SECRYN_SITE_ROOT=target/site SECRYN_LOG=warn
    ${PROFILE_DATABASE_URL:+SECRYN_DATABASE_URL="$PROFILE_DATABASE_URL"})
demo="$(env "${env[@]}" target/release/secryn demo-data --force --secrets "$secrets")"
vault="$(sed -n 's/.*"vault_id":"\([^"]*\)".*/\1/p' <<<"$demo")"
key="$(sed -n 's/.*"access_key":"\([^"]*\)".*/\1/p' <<<"$demo")"
env "${env[@]}" target/release/secryn serve >"$DATA/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true' EXIT
for _ in $(seq 60); do curl -fsS -o /dev/null "http://$ADDR/readyz" 2>/dev/null && break; sleep 0.5; done

url="http://$ADDR/api/v1/vaults/$vault/secrets/DEMO_SECRET_00500"
[[ ${2:-} == readyz ]] && url="http://$ADDR/readyz"
[[ ${2:-} == vault ]] && url="http://$ADDR/api/v1/vaults/$vault"
wrk -t2 -c64 -d"$((SECONDS_TO_RUN + 2))s" -H "Authorization: Bearer $key" "$url" >"$DATA/wrk.txt" &
wrk_pid=$!
sleep 1
perf record -q -F ${PERF_FREQ:-1999} ${PERF_CALLGRAPH:--g} -p "$pid" -o "$DATA/perf.data" -- sleep "$SECONDS_TO_RUN" 2>/dev/null
wait "$wrk_pid"
grep -E "Requests/sec|Latency" "$DATA/wrk.txt"

say "hottest symbols (self time)"
perf report -i "$DATA/perf.data" --no-children --sort symbol --stdio 2>/dev/null |
    grep -E "^ +[0-9]" | cut -c1-160 | sed "s/ *-  *-  *$//" | head -n 30

say "share of samples by area"
perf report -i "$DATA/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
    awk '/^ +[0-9.]+%/ {
        pct = $1; sub(/%/, "", pct); line = $0
        area = "other"
        if (line ~ /kernel/) area = "kernel (network, scheduling)"
        else if (line ~ /sqlite3|sqlite/) area = "SQLite"
        else if (line ~ /aes|gcm|ghash|polyval/) area = "AES-GCM"
        else if (line ~ /sha2|Sha256|compress256/) area = "SHA-256 (key hash)"
        else if (line ~ /serde|json/) area = "JSON"
        else if (line ~ /tracing/) area = "tracing"
        else if (line ~ /malloc|free|realloc|memcpy|memmove/) area = "allocation, copies"
        else if (line ~ /tokio|parking|futex|epoll/) area = "tokio runtime"
        else if (line ~ /hyper|h1|http/) area = "HTTP (hyper)"
        else if (line ~ /sqlx/) area = "sqlx"
        share[area] += pct
    }
    END { for (a in share) printf "%6.1f%%  %s\n", share[a], a }' | sort -rn

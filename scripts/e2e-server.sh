#!/usr/bin/env bash
# Starts the release server for Playwright (end2end/playwright.config.ts `webServer`).
#
# Every run gets a fresh data directory, so the server is uninitialised and prints its
# one-time setup code ("Setup code: XXXX-XXXX-XXXX-XXXX"). All server output is copied to
# target/e2e-data/server.log, where tests read the code from.
#
# Build first with scripts/build.sh (scripts/test.sh does).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD

BIN="${SECRYN_E2E_BIN:-$ROOT/target/release/secryn}"
if [[ ! -x "$BIN" ]]; then
    echo "e2e-server.sh: $BIN is missing; run scripts/build.sh first" >&2
    exit 1
fi
if [[ ! -f "${SECRYN_E2E_SITE:-$ROOT/target/site}/pkg/secryn.wasm" ]]; then
    echo "e2e-server.sh: target/site/pkg/secryn.wasm is missing; run scripts/build.sh first" >&2
    exit 1
fi

# Listen address follows SECRYN_E2E_URL (the tests' base URL) when it is set.
listen="127.0.0.1:3100"
if [[ -n "${SECRYN_E2E_URL:-}" ]]; then
    hostport="${SECRYN_E2E_URL#*://}"
    hostport="${hostport%%/*}"
    [[ "$hostport" == *:* ]] || hostport="$hostport:80"
    listen="$hostport"
fi

DATA_DIR="${SECRYN_E2E_DATA:-target/e2e-data}"
rm -rf "$DATA_DIR"
mkdir -p -m 700 "$DATA_DIR"

# SECRYN_E2E_ENGINE=postgres: a fresh database on the test PostgreSQL server (the one
# scripts/ensure-tools.sh starts for `make test`) instead of a SQLite file.
if [[ "${SECRYN_E2E_ENGINE:-sqlite}" == postgres ]]; then
    pg_url="${SECRYN_TEST_POSTGRES_URL:?e2e-server.sh: SECRYN_TEST_POSTGRES_URL is not set (make test sets it)}"
    psql "$pg_url" -q -c "drop database if exists secryn_e2e" -c "create database secryn_e2e" >/dev/null
    export SECRYN_DATABASE_URL="${pg_url%/*}/secryn_e2e"
fi

export SECRYN_DATA_DIR="$DATA_DIR"
export SECRYN_LISTEN="$listen"
export SECRYN_SITE_ROOT="${SECRYN_E2E_SITE:-target/site}"
export SECRYN_LOG="${SECRYN_LOG:-info}"
# Specs that send many calls without a credential name their own client address
# (X-Forwarded-For, trusted from loopback only), so they do not use up 127.0.0.1's
# per-address rate that every other spec's refused calls share.
export SECRYN_TRUSTED_PROXIES="${SECRYN_TRUSTED_PROXIES:-127.0.0.1}"
# The notifications spec waits for the expiry watch; each threshold still fires once.
export SECRYN_EXPIRY_WATCH_SECONDS="${SECRYN_EXPIRY_WATCH_SECONDS:-2}"
# The mail spec waits for queued e-mail to reach its SMTP sink.
export SECRYN_MAIL_SECONDS="${SECRYN_MAIL_SECONDS:-1}"

# The server is the process Playwright signals at the end: bash execs into it, and its
# output goes through a process substitution to tee (stdout for Playwright, server.log for
# the tests). stderr is merged so log lines land in server.log too.
exec > >(exec tee "$DATA_DIR/server.log") 2>&1
exec "$BIN" serve

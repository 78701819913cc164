#!/usr/bin/env bash
# `make bench`: builds the release server, starts it on a fresh data directory on
# 127.0.0.1:3200 (loopback only; every load loop is bounded in time) and prints one figure
# per line:
#   idle RSS, TTFB of /login (median of 100), release WASM size raw / gzip -9 / brotli -q 11,
#   the bundle budgets table (scripts/bundle-report.sh: per route, the brotli bytes of WASM + JS
#   + CSS its page references, against the budgets),
#   sign-ins per second under 32 concurrent clients, /healthz p99 during a wrong-password flood,
#   the REST reads on SQLite and PostgreSQL beside the limit reference (bench/reference: the
#   same reads with nothing else, run with the same wrk settings in the same run) and each
#   figure's ratio to the reference's; a key download beside the secret read, /healthz p99 and
#   the secret read while 8 browsers generate RSA-4096 keys; generations per second per type.
# Options (environment): BENCH_SKIP_BUILD=1 uses the existing build; BENCH_SECONDS (default 10)
# is the length of each wrk run.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ADDR=127.0.0.1:3200
BASE="http://$ADDR"
DATA_DIR=target/bench-data
WASM=target/site/pkg/secryn.wasm # the plain-name link to the hashed file
SECONDS_PER_RUN="${BENCH_SECONDS:-10}"
SERVER_PID=""

# Credentials of the account the sign-in benchmarks use (see bench_prepare_account).
export BENCH_EMAIL="${BENCH_EMAIL:-bench@example.com}"
export BENCH_PASSWORD="${BENCH_PASSWORD:-correct horse battery staple 42}"

figure() { printf '%-52s %s\n' "$1:" "$2"; }

# ------------------------------------------------------------------------------ server

start_server() {
    rm -rf "$DATA_DIR"
    mkdir -p -m 700 "$DATA_DIR"
    SECRYN_DATA_DIR="$DATA_DIR" SECRYN_LISTEN="$ADDR" SECRYN_SITE_ROOT=target/site \
        SECRYN_LOG="${SECRYN_LOG:-warn}" SECRYN_SIGNIN_IP_LIMIT=0 SECRYN_TRUSTED_PROXIES=127.0.0.1 \
        target/release/secryn serve >"$DATA_DIR/server.log" 2>&1 &
    SERVER_PID=$!
    await_up "$BASE/healthz" "$SERVER_PID" "$DATA_DIR/server.log"
}

# Returns once URL $1 answers; dies showing log $3 when process $2 ends first or a minute passes.
await_up() {
    local url=$1 pid=$2 log=$3 i
    for ((i = 0; i < 120; i++)); do
        curl -fsS -o /dev/null "$url" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.5
    done
    cat "$log" >&2 || true
    die "nothing answered $url (log above: $log)"
}

stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap 'stop_server; stop_reference' EXIT

# ------------------------------------------------------------------------------ figures

bench_idle_rss() {
    sleep 2
    local kb
    kb="$(awk '/^VmRSS:/ { print $2 }' "/proc/$SERVER_PID/status")"
    figure "idle RSS after start" "$(awk -v kb="$kb" 'BEGIN { printf "%.1f MB", kb / 1024 }')"
}

bench_ttfb_login() {
    local status i
    status="$(curl -s -o /dev/null -w '%{http_code}' "$BASE/login")"
    for ((i = 0; i < 100; i++)); do
        curl -s -o /dev/null -w '%{time_starttransfer}\n' "$BASE/login"
    done | sort -g | awk -v status="$status" '
        { t[NR] = $1 }
        END { m = (t[50] + t[51]) / 2; printf "%.2f ms (HTTP %s)\n", m * 1000, status }
    ' | {
        read -r line
        figure "TTFB /login, median of 100" "$line"
    }
}

bench_wasm_size() {
    [[ -f $WASM ]] || die "$WASM is missing"
    figure "WASM frame size raw" "$(stat -c %s "$WASM") bytes"
    figure "WASM frame size gzip -9" "$(gzip -9 -c "$WASM" | wc -c) bytes"
    figure "WASM frame size brotli -q 11" "$(brotli -q 11 -c "$WASM" | wc -c) bytes"
    # Every part of this build (the frame, each area's part, the code areas share).
    local id
    id="$(sed -n 's/^split: *//p' target/site/hash.txt)"
    [[ -n $id ]] || die "target/site/hash.txt names no split build id"
    figure "WASM all parts brotli -q 11" \
        "$(cat target/site/pkg/*."$id".wasm.br | wc -c) bytes in $(find target/site/pkg/ -name "*.$id.wasm" | wc -l) files"
    # What browsers fetch instead: one pack per area (its parts in one file).
    figure "WASM area packs brotli -q 11" \
        "$(cat target/site/pkg/pack_*."$id".pack.br | wc -c) bytes in $(find target/site/pkg/ -name "pack_*.$id.pack" | wc -l) packs"
}

# The per-route bundle table, read from this server's pages (scripts/bundle-report.sh); run
# once a vault with secrets exists so every route has a page to measure.
bench_bundles() {
    echo
    if ! bash scripts/bundle-report.sh "$BASE"; then
        figure "bundle budgets" "incomplete (see the lines above)"
    fi
    echo
}

# Reads KEY from key=value lines in a file.
kv() { sed -n "s/^$1=//p" "$2" | tail -n 1; }

# Completes first-run setup through the setup server function, so BENCH_EMAIL /
# BENCH_PASSWORD is the Admin the sign-in figures use.
bench_prepare_account() {
    local code status
    code="$(sed -n 's/^Setup code: //p' "$DATA_DIR/server.log" | tail -n 1)"
    [[ -n $code ]] || return 1
    status="$(curl -s -o /dev/null -w '%{http_code}' -H 'Accept: application/json' \
        --data-urlencode "code=$code" --data-urlencode "instance_name=Bench" \
        --data-urlencode "admin_name=Bench Admin" --data-urlencode "admin_email=$BENCH_EMAIL" \
        --data-urlencode "password=$BENCH_PASSWORD" --data-urlencode "password_confirm=$BENCH_PASSWORD" \
        "$BASE/rpc/setup")"
    [[ $status == 2* || $status == 3* ]]
}

# Right password, 32 connections, each sign-in from its own client address (reported by the
# trusted proxy the server is told about): every answer that sets a session cookie is one
# sign-in.
bench_signins_per_second() {
    local out="$DATA_DIR/wrk-login.txt"
    if ! BENCH_RANDOM_SOURCE=1 wrk -t2 -c32 -d"${SECONDS_PER_RUN}s" --timeout 10s -s bench/login.lua "$BASE" >"$out" 2>&1; then
        figure "sign-ins per second, 32 clients" "n/a (wrk failed: $out)"
        return
    fi
    figure "sign-ins per second, 32 clients" \
        "$(kv login_cookie_per_sec "$out")/s (ok $(kv login_ok "$out"), with cookie $(kv login_ok_with_cookie "$out"), rejected $(kv login_rejected "$out"), 5xx $(kv login_server_error "$out"), p99 $(kv login_p99_ms "$out") ms)"
}

# 32 clients send wrong passwords for ever-new addresses (so no lockout cuts the Argon2 work
# short; the server runs with SECRYN_SIGNIN_IP_LIMIT=0 for the same reason) while 4 clients
# measure GET /healthz.
bench_healthz_p99_under_flood() {
    local flood="$DATA_DIR/wrk-flood.txt" probe="$DATA_DIR/wrk-healthz.txt" flood_pid
    # From many addresses (a botnet, as the trusted proxy reports it): one address alone is
    # answered 429 without any hashing once past its rate (see bench_refused_growth).
    BENCH_PASSWORD="wrong-password" BENCH_RANDOM_EMAIL=1 BENCH_RANDOM_SOURCE=1 \
        wrk -t1 -c32 -d"$((SECONDS_PER_RUN + 2))s" --timeout 10s -s bench/login.lua "$BASE" \
        >"$flood" 2>&1 &
    flood_pid=$!
    sleep 1
    if ! wrk -t1 -c4 -d"${SECONDS_PER_RUN}s" --timeout 10s -s bench/latency.lua "$BASE/healthz" \
        >"$probe" 2>&1; then
        wait "$flood_pid" || true
        figure "/healthz p99 during wrong-password flood" "n/a (wrk failed: $probe)"
        return
    fi
    wait "$flood_pid" || true
    figure "/healthz p99 during wrong-password flood" \
        "$(kv p99_ms "$probe") ms (p50 $(kv p50_ms "$probe") ms, non-2xx $(kv non_2xx "$probe"); flood: $(kv login_requests "$flood") sign-ins, rejected $(kv login_rejected "$flood"), ok $(kv login_ok "$flood"))"
}

# Runs `secryn demo-data` against the running server's settings with $1 secrets and $2 keys
# (default 0); prints its JSON.
demo_data() {
    env SECRYN_DATA_DIR="$DATA_DIR" SECRYN_LISTEN="$ADDR" SECRYN_LOG=warn ${BENCH_DATABASE_URL:+SECRYN_DATABASE_URL="$BENCH_DATABASE_URL"} \
        target/release/secryn demo-data --force --secrets "$1" --keys "${2:-0}"
}

json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }

# Median and p99 (in ms) of seconds, one per line on stdin.
median_p99() {
    sort -g | awk '{ t[NR] = $1 } END { printf "median %.1f ms, p99 %.1f ms\n", t[int(NR / 2) + 1] * 1000, t[int(NR * 0.99)] * 1000 }'
}

# A vault of 10,000 secrets: 100 loads of its Secrets tab as a browser does them (the
# server-rendered page, then the first page of rows), each timed whole.
bench_secrets_tab() {
    local jar="$DATA_DIR/cookies.txt" demo vault i
    curl -s -o /dev/null -c "$jar" -H 'Accept: application/json' --data-urlencode "email=$BENCH_EMAIL" \
        --data-urlencode "password=$BENCH_PASSWORD" "$BASE/rpc/login"
    demo="$(demo_data 10000)" || { figure "Secrets tab, 10,000 secrets" "n/a (demo-data failed)"; return; }
    vault="$(json_field vault_id <<<"$demo")"
    local statuses
    statuses="page HTTP $(curl -s -o /dev/null -b "$jar" -w '%{http_code}' "$BASE/vaults/$vault"), rows HTTP $(curl -s \
        -o /dev/null -b "$jar" -w '%{http_code}' -H 'Accept: application/json' \
        --data "vault_id=$vault&text=&tag=&status=&sort=name&descending=false&page=1" "$BASE/rpc/secrets_list")"
    for ((i = 0; i < 100; i++)); do
        local page rows
        page="$(curl -s -o /dev/null -b "$jar" -w '%{time_total}' "$BASE/vaults/$vault")"
        rows="$(curl -s -o /dev/null -b "$jar" -w '%{time_total}' -H 'Accept: application/json' \
            --data "vault_id=$vault&text=&tag=&status=&sort=name&descending=false&page=1" "$BASE/rpc/secrets_list")"
        awk -v a="$page" -v b="$rows" 'BEGIN { print a + b }'
    done | median_p99 | {
        read -r line
        figure "Secrets tab (page + first 50 rows), 10,000 secrets" "$line over 100 loads ($statuses)"
    }
}

# wrk against one API path with an access key; prints the figure and keeps rps for ratios.
wrk_api() {
    local label="$1" url="$2" key="$3" out="$DATA_DIR/wrk-$4.txt"
    if ! wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" --timeout 10s ${key:+-H "Authorization: Bearer $key"} \
        -s bench/latency.lua "$url" >"$out" 2>&1; then
        figure "$label" "n/a (wrk failed: $out)"
        echo 0 >"$out.rps"
        echo 0 >"$out.p99"
        return
    fi
    kv rps "$out" >"$out.rps"
    kv p99_ms "$out" >"$out.p99"
    figure "$label" "$(kv rps "$out") req/s, p99 $(kv p99_ms "$out") ms, non-2xx $(kv non_2xx "$out")"
}

# The REST API on one engine (64 connections, every request logged): a secret by name in a
# vault of 1,000, a whole vault of 100, the same vault with `?secrets=names` (names only), and
# /readyz as the baseline.
bench_rest_api() {
    local engine="$1" big small
    if ! big="$(demo_data 1000)" || ! small="$(demo_data 100)"; then
        figure "REST API on $engine" "n/a (demo-data failed)"
        return
    fi
    local vault key
    vault="$(json_field vault_id <<<"$small")"
    key="$(json_field access_key <<<"$small")"
    wrk_api "$engine: /readyz (baseline)" "$BASE/readyz" "" "$engine-readyz"
    wrk_api "$engine: GET secret by name (1,000 in vault)" \
        "$BASE/api/v1/vaults/$(json_field vault_id <<<"$big")/secrets/DEMO_SECRET_00500" \
        "$(json_field access_key <<<"$big")" "$engine-secret"
    wrk_api "$engine: GET whole vault (100 secrets)" "$BASE/api/v1/vaults/$vault" "$key" "$engine-vault"
    wrk_api "$engine: GET whole vault, names only" "$BASE/api/v1/vaults/$vault?secrets=names" "$key" "$engine-names"
    figure "$engine: secret read / baseline ratio" "$(ratio "$engine-secret" rps "$engine-readyz")"
}

# `get_secret` over MCP (a real client, Streamable HTTP, 32 sessions) on the secret the REST
# figure above reads, printed beside it.
bench_mcp() {
    local engine="$1" big out
    if ! big="$(demo_data 1000)"; then
        figure "$engine: MCP get_secret" "n/a (demo-data failed)"
        return
    fi
    if ! out="$(BENCH_MCP_BASE="$BASE" BENCH_MCP_KEY="$(json_field access_key <<<"$big")" \
        BENCH_MCP_SECRET=DEMO_SECRET_00500 BENCH_SECONDS="$SECONDS_PER_RUN" \
        cargo bench -q -p server --bench mcp_calls 2>&1 | grep '^mcp ')"; then
        figure "$engine: MCP get_secret" "n/a (cargo bench --bench mcp_calls failed)"
        return
    fi
    while IFS= read -r line; do
        figure "$engine: ${line%%: *}" "${line##*: }"
    done <<<"$out"
}

# Key generation asked for by a signed-in browser (cookie jar $1) through the UI's server
# function, in a loop until file $2 disappears: RSA-4096 keys named after $3.
generate_keys_until() {
    local jar="$1" flag="$2" tag="$3" vault="$4" i=0
    while [[ -e $flag ]]; do
        curl -s -o /dev/null -w '%{http_code}\n' -b "$jar" -H 'Accept: application/json' \
            --data "vault_id=$vault&name=load-$tag-$i&algorithm=rsa_4096&output_format=pem&tags=&activation_at=&expiration_at=" \
            "$BASE/rpc/keys_generate" >>"$DATA_DIR/generated.txt"
        i=$((i + 1))
    done
}

# Keys on SQLite: a key download beside the secret read, then /healthz p99 and the secret
# read while 8 browsers keep asking for RSA-4096 keys (goal: /healthz p99 < 20 ms, reads
# within 20 % of the idle figure; generation runs on a bounded pool one core short of all).
bench_keys() {
    local jar="$DATA_DIR/cookies.txt" demo vault key kid flag="$DATA_DIR/generating" pids=() j
    curl -s -o /dev/null -c "$jar" -H 'Accept: application/json' --data-urlencode "email=$BENCH_EMAIL" \
        --data-urlencode "password=$BENCH_PASSWORD" "$BASE/rpc/login"
    demo="$(demo_data 1000 1)" || { figure "keys" "n/a (demo-data failed)"; return; }
    vault="$(json_field vault_id <<<"$demo")"
    key="$(json_field access_key <<<"$demo")"
    kid="$(sed -n 's/.*"key_ids":\["\([^"]*\)".*/\1/p' <<<"$demo")"
    local secret_url="$BASE/api/v1/vaults/$vault/secrets/DEMO_SECRET_00500"
    wrk_api "sqlite: GET key download (PEM)" "$BASE/api/v1/vaults/$vault/keys/$kid/download" "$key" keys-download
    wrk_api "sqlite: GET secret by name, idle" "$secret_url" "$key" keys-idle
    touch "$flag"
    : >"$DATA_DIR/generated.txt"
    for j in 1 2 3 4 5 6 7 8; do
        generate_keys_until "$jar" "$flag" "$j" "$vault" &
        pids+=($!)
    done
    sleep 2
    wrk_api "sqlite: /healthz during 8 RSA-4096 generations" "$BASE/healthz" "" keys-healthz
    wrk_api "sqlite: GET secret by name, 8 RSA-4096 generations" "$secret_url" "$key" keys-busy
    rm -f "$flag"
    wait "${pids[@]}" 2>/dev/null || true
    figure "RSA-4096 generations during the two runs" \
        "$(grep -c '^200$' "$DATA_DIR/generated.txt") made, $(grep -vc '^200$' "$DATA_DIR/generated.txt") refused (busy)"
    figure "secret read with generations / idle" "$(ratio keys-busy rps keys-idle) (goal >= 0.80)"
    figure "/healthz p99 with generations" "$(cat "$DATA_DIR/wrk-keys-healthz.txt.p99") ms (goal < 20 ms)"
}

# Generations per second for each key type, on one core.
bench_keygen() {
    bench_lines keygen 'keygen, '
}

# The log viewer with 1,000,000 audit rows: first and filtered pages, CSV export rate.
bench_logs() {
    SECRYN_TEST_POSTGRES_URL="$PG_URL" bench_lines logs 'logs '
}

# Backup and restore of 100,000 secret versions on each engine: seconds and MB/s each way.
bench_backup() {
    SECRYN_TEST_POSTGRES_URL="$PG_URL" bench_lines backup 'backup '
}

# Database growth per million credential-less refused API calls (a wrong access key, from one
# address, 64 connections for BENCH_SECONDS) on SQLite: first with the per-address bound off
# (SECRYN_ANONYMOUS_PER_MINUTE=0: a request-log row each), then with its default (past 60 a
# minute: 429 and one summary row per address and minute). The size is the database file and
# its WAL after a graceful stop, before and after the flood, on a server of its own.
bench_refused_growth() {
    local per_minute label
    for per_minute in 0 60; do
        label="off"
        [[ $per_minute == 0 ]] || label="$per_minute a minute"
        refused_growth "$per_minute" "refused calls, bound $label"
    done
}

# One run of bench_refused_growth with SECRYN_ANONYMOUS_PER_MINUTE=$1, printed as figure $2.
refused_growth() {
    local dir=target/bench-refused addr=127.0.0.1:3220 out before after requests pid
    rm -rf "$dir"
    mkdir -p -m 700 "$dir"
    out="$dir/wrk.txt"
    refused_server() {
        SECRYN_DATA_DIR="$dir" SECRYN_LISTEN="$addr" SECRYN_LOG=warn SECRYN_ANONYMOUS_PER_MINUTE="$1" \
            target/release/secryn serve >>"$dir/server.log" 2>&1 &
        pid=$!
        await_up "http://$addr/healthz" "$pid" "$dir/server.log"
    }
    refused_server "$1"
    kill "$pid" && wait "$pid" || true
    before="$(cat "$dir"/secryn.db* | wc -c)"
    refused_server "$1"
    wrk -t2 -c64 -d"${SECONDS_PER_RUN}s" --timeout 10s -H "Authorization: Bearer sk_not_a_valid_key" \
        -s bench/latency.lua "http://$addr/api/v1/vaults/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b" >"$out" 2>&1 || true
    kill "$pid" && wait "$pid" || true
    after="$(cat "$dir"/secryn.db* | wc -c)"
    requests="$(kv requests "$out")"
    if [[ -z $requests || $requests == 0 ]]; then
        figure "$2" "n/a (wrk failed: $out)"
        return
    fi
    figure "$2" "$(awk -v b="$before" -v a="$after" -v n="$requests" \
        'BEGIN { printf "%.1f MB per million (%d calls, %d bytes)", (a - b) / n, n, a - b }')"
}

# Figure $1's $2 (rps or p99) over figure $3's, from the files wrk_api keeps.
ratio() {
    awk -v a="$(cat "$DATA_DIR/wrk-$1.txt.$2")" -v b="$(cat "$DATA_DIR/wrk-$3.txt.$2")" \
        'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else printf "n/a" }'
}

# ------------------------------------------------------------------------------ the limit reference

REF_ADDR=127.0.0.1:3210
REF_BASE="http://$REF_ADDR"
REF_PID=""

# Starts bench/reference on database $1 (a SQLite file or a postgres:// URL).
start_reference() {
    target/release/secryn-reference "$REF_ADDR" "$1" >"$DATA_DIR/reference.log" 2>&1 &
    REF_PID=$!
    await_up "$REF_BASE/static" "$REF_PID" "$DATA_DIR/reference.log"
}

stop_reference() {
    if [[ -n $REF_PID ]] && kill -0 "$REF_PID" 2>/dev/null; then
        kill "$REF_PID" 2>/dev/null || true
        wait "$REF_PID" 2>/dev/null || true
    fi
    REF_PID=""
}

# The reference's three reads on one engine, with wrk_api's settings.
bench_reference() {
    local engine="$1"
    wrk_api "$engine: reference static answer" "$REF_BASE/static" "" "$engine-ref-static"
    wrk_api "$engine: reference primary-key read" "$REF_BASE/read/500" "" "$engine-ref-read"
    wrk_api "$engine: reference read + decrypt + logged" "$REF_BASE/secret/500" "" "$engine-ref-secret"
}

# Secryn's REST figures on one engine over the reference's matching ones, against the goals:
# a secret by name >= 0.8x the reference's full read in throughput and <= 1.2x its p99; a
# whole vault of 100 >= 5,000 req/s on SQLite; names only cost no decryption (>= the vault).
bench_ratios() {
    local engine="$1" tput p99 verdict
    tput="$(ratio "$engine-secret" rps "$engine-ref-secret")"
    p99="$(ratio "$engine-secret" p99 "$engine-ref-secret")"
    verdict="$(awk -v t="$tput" -v p="$p99" 'BEGIN { print (t + 0 >= 0.8 && p + 0 > 0 && p + 0 <= 1.2) ? "MET" : "NOT MET" }')"
    figure "$engine: secret by name / reference" "${tput}x throughput, ${p99}x p99 (goal >= 0.8x, <= 1.2x: $verdict)"
    figure "$engine: /readyz / reference static" \
        "$(ratio "$engine-readyz" rps "$engine-ref-static")x throughput, $(ratio "$engine-readyz" p99 "$engine-ref-static")x p99"
    if [[ $engine == sqlite ]]; then
        figure "$engine: whole vault (100) goal >= 5,000 req/s" \
            "$(cat "$DATA_DIR/wrk-$engine-vault.txt.rps") req/s ($(awk -v v="$(cat "$DATA_DIR/wrk-$engine-vault.txt.rps")" 'BEGIN { print (v >= 5000) ? "MET" : "NOT MET" }'))"
    fi
    figure "$engine: names only / whole vault" "$(ratio "$engine-names" rps "$engine-vault")x throughput (no decryption: expected > 1)"
}

# 1,000 sequential new versions of one secret through the service layer.
bench_versions() {
    local out
    out="$(cargo bench -q -p app --features ssr --bench versions 2>&1 | grep '^versions_per_second' || true)"
    figure "new versions per second, sequential (SQLite)" "${out#*=}"
}

# The .env import's parser: 1 MB of ordinary lines beside 1 MB built to make it quadratic.
bench_dotenv() {
    bench_lines dotenv 'dotenv parse, '
}

# Runs `cargo bench --bench $1` and prints each of its lines starting with $2 as a figure
# (`label: value`).
bench_lines() {
    local out line
    out="$(cargo bench -q -p app --features ssr --bench "$1" 2>&1 | grep "^$2" || true)"
    if [[ -z $out ]]; then
        figure "$1" "n/a (cargo bench --bench $1 failed)"
        return
    fi
    while IFS= read -r line; do
        figure "${line%%: *}" "${line#*: }"
    done <<<"$out"
}

# ------------------------------------------------------------------------------ main

TOOLS_LOG=target/bench-tools.log
mkdir -p target
bash scripts/ensure-tools.sh bench | tee "$TOOLS_LOG"
PG_URL="$(sed -n 's/^SECRYN_TEST_POSTGRES_URL=//p' "$TOOLS_LOG" | tail -n 1)"
if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
    bash scripts/build.sh
fi
[[ -x target/release/secryn ]] || die "target/release/secryn is missing"
say "building the limit reference (bench/reference)"
cargo build -q --release -p server -p secryn-reference

say "starting the server on $ADDR (data: $DATA_DIR)"
start_server
echo
bench_idle_rss
account_ready=0
bench_prepare_account && account_ready=1
bench_ttfb_login
bench_wasm_size
if [[ $account_ready -eq 1 ]]; then
    bench_signins_per_second
else
    figure "sign-ins per second, 32 clients" "n/a (setup through /rpc/setup failed)"
fi
bench_healthz_p99_under_flood
if [[ $account_ready -eq 1 ]]; then
    bench_secrets_tab
fi
bench_bundles
start_reference "$DATA_DIR/reference.db"
bench_reference sqlite
stop_reference
bench_rest_api sqlite
bench_ratios sqlite
bench_mcp sqlite
bench_refused_growth
if [[ $account_ready -eq 1 ]]; then
    bench_keys
fi
stop_server

# The same REST figures on PostgreSQL (a fresh database on the local test server).
if [[ -n $PG_URL ]]; then
    BENCH_DATABASE_URL="${PG_URL%/*}/secryn_bench"
    psql "$PG_URL" -q -c "drop database if exists secryn_bench" -c "create database secryn_bench" >/dev/null
    export BENCH_DATABASE_URL
    psql "$PG_URL" -q -c "drop database if exists secryn_bench_ref" -c "create database secryn_bench_ref" >/dev/null
    SECRYN_DATABASE_URL="$BENCH_DATABASE_URL" start_server
    start_reference "${PG_URL%/*}/secryn_bench_ref"
    bench_reference postgres
    stop_reference
    bench_rest_api postgres
    bench_ratios postgres
    bench_mcp postgres
    stop_server
fi
bench_versions
bench_dotenv
bench_keygen
bench_logs
bench_backup

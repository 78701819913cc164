#!/usr/bin/env bash
# The whole test suite, as CI runs it (`make test`, `.ci/run`):
#   tools, rustfmt, clippy (per package), release build, Rust tests (SQLite + PostgreSQL),
#   Playwright browser tests against the release server, on SQLite and on PostgreSQL.
# Every step runs even when an earlier one failed (except Playwright after a failed build),
# so the closing line counts everything:  N passed, M failed
# A failed check step (tools, fmt, clippy, build) counts as one failure.
# Logs: target/test-logs/<step>.log
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

LOGS=target/test-logs
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log

PASSED=0
FAILED=0
FAILED_STEPS=()
# One line per failed test ("step: name: first line of its error"), repeated at the very end
# so that the tail of a long CI log says which test failed and why.
FAILED_TESTS=()

# run_step NAME CMD...: runs CMD with output to the terminal and $LOGS/NAME.log; returns its status.
run_step() {
    local name=$1
    shift
    printf '\n==> [%s] %s\n' "$name" "$*"
    local t0=$SECONDS
    "$@" 2>&1 | tee "$LOGS/$name.log"
    local rc=${PIPESTATUS[0]}
    printf '==> [%s] exit %d after %d s\n' "$name" "$rc" "$((SECONDS - t0))"
    return "$rc"
}

# check_step NAME CMD...: a step that is one check: a failure counts as one failed.
check_step() {
    local name=$1
    if ! run_step "$@"; then
        FAILED=$((FAILED + 1))
        FAILED_STEPS+=("$name")
        return 1
    fi
}

# Sums "test result: ok. N passed; M failed; ..." lines of a cargo test log.
count_cargo() {
    local name=$1 rc=$2 p f
    read -r p f < <(sed -nE 's/.*test result: [A-Za-z]+\. ([0-9]+) passed; ([0-9]+) failed;.*/\1 \2/p' "$LOGS/$name.log" \
        | awk '{ p += $1; f += $2 } END { print p + 0, f + 0 }')
    if [[ $rc -ne 0 && $f -eq 0 ]]; then
        f=1 # did not compile, crashed, or failed outside a test
    fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    [[ $f -eq 0 ]] || FAILED_STEPS+=("$name")
    local t
    while read -r t; do
        FAILED_TESTS+=("$name: $t")
    done < <(sed -nE 's/^test (.+) \.\.\. FAILED$/\1/p' "$LOGS/$name.log")
    echo "==> [$name] $p passed, $f failed"
}

# --------------------------------------------------------------------------- tools, lints

if run_step tools bash scripts/ensure-tools.sh test; then
    url="$(sed -n 's/^SECRYN_TEST_POSTGRES_URL=//p' "$LOGS/tools.log" | tail -n 1)"
else
    FAILED=$((FAILED + 1))
    FAILED_STEPS+=(tools)
fi
export SECRYN_TEST_POSTGRES_URL="${url:-${SECRYN_TEST_POSTGRES_URL:-postgres://secryn:secryn@127.0.0.1:5432/secryn_test}}"

# Each PostgreSQL test makes a database of its own (testkit::postgres) and cannot drop it when
# it ends (a test has no async teardown); drop what earlier runs left, so a test server does
# not pile up thousands of them (a restart after a crash fsyncs every one of their files).
drop_test_databases() {
    psql "$SECRYN_TEST_POSTGRES_URL" -X -q -At -v ON_ERROR_STOP=1 -c "select format('drop database if exists %I with (force);', \
        datname) from pg_database where datname like 'secryn\_t\_%'" >"$LOGS/old-databases.sql" \
        && psql "$SECRYN_TEST_POSTGRES_URL" -X -q -v ON_ERROR_STOP=1 -f "$LOGS/old-databases.sql" \
        && echo "dropped $(wc -l <"$LOGS/old-databases.sql") test databases an earlier run left"
}
check_step old-databases drop_test_databases

check_step fmt cargo fmt --all -- --check
# Per package, never --workspace: app's ssr and hydrate features must not be unified.
check_step clippy-server cargo clippy -p server -p testkit -p secryn-reference --all-targets --release -- -D warnings
check_step clippy-app cargo clippy -p app --features ssr --all-targets --release -- -D warnings
check_step clippy-frontend cargo clippy -p frontend --target wasm32-unknown-unknown --profile wasm-release -- -D warnings

# --------------------------------------------------------------------------- build

build_ok=1
check_step build bash scripts/build.sh || build_ok=0

# --------------------------------------------------------------------------- Rust tests

run_step test-app cargo test --release --no-fail-fast -p app --features ssr
count_cargo test-app $?

run_step test-server cargo test --release --no-fail-fast -p server
count_cargo test-server $?

# --------------------------------------------------------------------------- Playwright

# playwright_on ENGINE URL: the whole browser suite against a fresh server of this build on
# ENGINE (sqlite, or postgres on the test server's fresh `secryn_e2e` database), at URL.
playwright_on() {
    local engine=$1 url=$2 step="playwright-$1"
    local hostport="${url#*://}"
    hostport="${hostport%%/*}"
    local report="test-results/results-$engine.json" rc p f counts
    rm -f "end2end/$report"
    if (exec 3<>"/dev/tcp/${hostport%:*}/${hostport##*:}") 2>/dev/null && [[ -n ${CI:-} ]]; then
        # Under CI a server left on the port would be tested instead of this build: refuse.
        echo "==> [$step] ERROR: something already listens on $hostport; the suite must test" \
            "a fresh server of this build (stop it first)" >&2
        rc=1
    else
        # No --pass-with-no-tests: a run that finds no test is a failure.
        SECRYN_E2E_ENGINE=$engine SECRYN_E2E_URL=$url SECRYN_E2E_DATA="target/e2e-data-$engine" \
            SECRYN_E2E_REPORT="./$report" \
            run_step "$step" bash -c 'cd end2end && exec npx --no-install playwright test'
        rc=$?
    fi
    counts="$(node -e '
        const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).stats || {};
        console.log((s.expected || 0), (s.unexpected || 0) + (s.flaky || 0));
    ' "end2end/$report" 2>/dev/null)" || counts=""
    if [[ -n $counts ]]; then
        read -r p f <<<"$counts"
    else
        echo "==> [$step] no readable end2end/$report" >&2
        p=0
        f=0
    fi
    if [[ $rc -ne 0 && $f -eq 0 ]]; then
        f=1 # the run itself failed (server did not start, config error, ...)
    fi
    PASSED=$((PASSED + p))
    FAILED=$((FAILED + f))
    [[ $f -eq 0 ]] || FAILED_STEPS+=("$step")
    local t
    while read -r t; do
        FAILED_TESTS+=("$step: $t")
    done < <(failed_playwright_tests "end2end/$report")
    echo "==> [$step] $p passed, $f failed"
}

# Each test of a Playwright JSON report whose outcome was not the expected one, as
# "file:line title (status): first line of the error".
failed_playwright_tests() {
    node -e '
        const strip = (s) => String(s || "").replace(/\x1b\[[0-9;]*m/g, "");
        const walk = (suite, out) => {
            for (const spec of suite.specs || []) {
                for (const t of spec.tests || []) {
                    if (t.status === "expected" || t.status === "skipped") continue;
                    const err = (t.results || []).map((r) => r.error && r.error.message).find(Boolean);
                    const first = strip(err).split("\n").find((l) => l.trim()) || "";
                    out.push(`${spec.file}:${spec.line} ${spec.title} (${t.status}): ${first.trim().slice(0, 300)}`);
                }
            }
            for (const s of suite.suites || []) walk(s, out);
            return out;
        };
        const report = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
        for (const line of (report.suites || []).reduce((out, s) => walk(s, out), [])) console.log(line);
    ' "$1" 2>/dev/null || true
}

if [[ $build_ok -eq 0 ]]; then
    echo
    echo "==> [playwright] skipped: the build failed (counted as 1 failed)"
    FAILED=$((FAILED + 1))
    FAILED_STEPS+=(playwright)
else
    playwright_on sqlite "${SECRYN_E2E_URL:-http://127.0.0.1:3100}"
    playwright_on postgres "${SECRYN_E2E_PG_URL:-http://127.0.0.1:3101}"
fi

# --------------------------------------------------------------------------- summary

echo
for t in "${FAILED_TESTS[@]}"; do
    echo "Failed test: $t"
done
if [[ ${#FAILED_STEPS[@]} -gt 0 ]]; then
    echo "Failed steps: ${FAILED_STEPS[*]} (logs in $LOGS/)"
fi
echo "$PASSED passed, $FAILED failed"
[[ $FAILED -eq 0 ]]

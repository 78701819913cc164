#!/usr/bin/env bash
# Installs what building, testing and benchmarking Secryn need, skipping whatever is already
# present at the right version. Safe to run again; a second run takes seconds.
#
#   scripts/ensure-tools.sh [build|test|bench]...     (default: build)
#
#   build: wasm32 target, rustfmt/clippy, wasm-bindgen CLI (= the version in Cargo.lock),
#          wasm-split-cli ($WASM_SPLIT_VERSION in scripts/lib.sh),
#          end2end/node_modules (Playwright, binaryen's wasm-opt, terser), brotli and gzip
#   test:  build + Debian chromium + PostgreSQL running on 127.0.0.1:5432 with role/password
#          secryn/secryn (CREATEDB) and database secryn_test + aiosmtpd (the SMTP sink)
#   bench: test + wrk, curl
#
# Anything that cannot be had is an error: nothing is silently skipped.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PG_ROLE=secryn
PG_PASSWORD=secryn
PG_DATABASE=secryn_test

# ---------------------------------------------------------------------------- helpers

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "'$*' needs root, and this user is not root and has no sudo"
    fi
}

APT_UPDATED=0
apt_install() {
    command -v apt-get >/dev/null 2>&1 || die "apt-get is missing: cannot install $* (Debian is expected)"
    if [[ $APT_UPDATED -eq 0 ]]; then
        say "apt-get update"
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q \
            || die "apt-get update failed (needed to install $*)"
        APT_UPDATED=1
    fi
    say "apt-get install -y $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" \
        || die "apt-get install $* failed"
}

# ---------------------------------------------------------------------------- build

ensure_rust() {
    command -v rustup >/dev/null 2>&1 || die "rustup is missing: install Rust with rustup (see rust-toolchain.toml)"
    command -v cargo >/dev/null 2>&1 || die "cargo is missing from PATH"

    if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        say "ok: rust target wasm32-unknown-unknown"
    else
        say "rustup target add wasm32-unknown-unknown"
        rustup target add wasm32-unknown-unknown || die "rustup target add wasm32-unknown-unknown failed"
    fi

    local installed missing=()
    installed="$(rustup component list --installed)"
    for c in rustfmt clippy; do
        grep -q "^$c" <<<"$installed" || missing+=("$c")
    done
    if [[ ${#missing[@]} -eq 0 ]]; then
        say "ok: rustfmt, clippy"
    else
        say "rustup component add ${missing[*]}"
        rustup component add "${missing[@]}" || die "rustup component add ${missing[*]} failed"
    fi
}

ensure_wasm_bindgen() {
    local want have
    want="$(lock_version wasm-bindgen)"
    [[ -n "$want" ]] || die "Cargo.lock has no wasm-bindgen package; cannot tell which wasm-bindgen CLI to install"
    have="$(installed_wasm_bindgen_version)"
    if [[ "$have" == "$want" ]]; then
        say "ok: wasm-bindgen $have"
        return
    fi
    say "cargo install wasm-bindgen-cli --version $want (found: ${have:-none}; takes a few minutes)"
    # Not --locked: the CLI's own lock file names a crate version the registry no longer has.
    cargo install wasm-bindgen-cli --version "$want" --force \
        || die "cargo install wasm-bindgen-cli --version $want failed"
    have="$(installed_wasm_bindgen_version)"
    [[ "$have" == "$want" ]] || die "wasm-bindgen on PATH is '${have:-none}' after installing $want (check PATH: $(command -v wasm-bindgen || echo none))"
}

# wasm-split (scripts/build.sh cuts the browser bundle into the frame and one part per area).
# Its crate pins the version the build was measured with; it prints no version, so cargo's
# list of installed packages tells.
ensure_wasm_split() {
    if command -v wasm-split-cli >/dev/null 2>&1 \
        && cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
        say "ok: wasm-split-cli $WASM_SPLIT_VERSION"
        return
    fi
    say "cargo install wasm_split_cli_support --version $WASM_SPLIT_VERSION (about a minute)"
    cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --locked --features build-binary --force \
        || die "cargo install wasm_split_cli_support --version $WASM_SPLIT_VERSION failed"
    command -v wasm-split-cli >/dev/null 2>&1 \
        || die "wasm-split-cli is not on PATH after installing it (PATH: $PATH)"
}

ensure_node_modules() {
    command -v node >/dev/null 2>&1 || die "node is missing: Node.js 20 or newer is needed for Playwright and wasm-opt"
    command -v npm >/dev/null 2>&1 || die "npm is missing"
    local major
    major="$(node -p 'process.versions.node.split(".")[0]')"
    [[ "$major" -ge 20 ]] || die "node $(node --version) is too old: Playwright needs Node.js 20 or newer"

    local dir=end2end
    if [[ -d $dir/node_modules && -f $dir/node_modules/.package-lock.json \
        && ! $dir/package-lock.json -nt $dir/node_modules/.package-lock.json \
        && -x $dir/node_modules/.bin/wasm-opt && -x $dir/node_modules/.bin/playwright \
        && -x $dir/node_modules/.bin/terser \
        && -d $dir/node_modules/@axe-core/playwright ]]; then
        say "ok: end2end/node_modules"
    else
        say "npm ci in end2end (no browser download)"
        (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund) \
            || die "npm ci in end2end failed"
    fi
    "$dir/node_modules/.bin/wasm-opt" --version >/dev/null 2>&1 \
        || die "end2end/node_modules/.bin/wasm-opt does not run"
}

# The build stores compressed copies of the browser assets next to them (served as they are).
ensure_compressors() {
    ensure_packages brotli gzip
}

step_build() {
    ensure_rust
    ensure_wasm_bindgen
    ensure_wasm_split
    ensure_node_modules
    ensure_compressors
}

# ---------------------------------------------------------------------------- test

ensure_chromium() {
    if [[ ! -x /usr/bin/chromium ]]; then
        apt_install chromium
    fi
    [[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing after installing Debian's chromium"
    local v
    v="$(/usr/bin/chromium --version 2>/dev/null)" || die "/usr/bin/chromium does not run"
    say "ok: $v"
}

# Highest PostgreSQL major version whose server binaries are installed ("" when none).
pg_server_version() {
    local d best=""
    for d in /usr/lib/postgresql/*/bin/postgres; do
        [[ -x $d ]] || continue
        d="${d#/usr/lib/postgresql/}"
        d="${d%%/*}"
        if [[ -z $best || $d -gt $best ]]; then best=$d; fi
    done
    echo "$best"
}

# Runs psql as the database superuser over its Unix socket, reading SQL from stdin.
psql_superuser() {
    local port=$1
    shift
    if [[ $EUID -eq 0 ]]; then
        (cd / && su postgres -s /bin/sh -c "psql -X -q -v ON_ERROR_STOP=1 -p $port $*")
    else
        (cd / && as_root -u postgres psql -X -q -v ON_ERROR_STOP=1 -p "$port" "$@")
    fi
}

ensure_postgres() {
    local ver
    ver="$(pg_server_version)"
    if [[ -z $ver ]] || ! command -v pg_ctlcluster >/dev/null 2>&1 \
        || ! command -v pg_isready >/dev/null 2>&1 || ! command -v psql >/dev/null 2>&1; then
        apt_install postgresql
        ver="$(pg_server_version)"
        [[ -n $ver ]] || die "PostgreSQL server binaries are missing after installing postgresql"
    fi

    # The cluster: Debian's package creates "main"; create it when it was not.
    local line
    line="$(pg_lsclusters -h 2>/dev/null | awk -v v="$ver" '$1 == v && $2 == "main"')"
    if [[ -z $line ]]; then
        say "pg_createcluster $ver main"
        as_root pg_createcluster "$ver" main || die "pg_createcluster $ver main failed"
        line="$(pg_lsclusters -h | awk -v v="$ver" '$1 == v && $2 == "main"')"
    fi
    local port status
    port="$(awk '{ print $3 }' <<<"$line")"
    status="$(awk '{ print $4 }' <<<"$line")"

    if [[ $status == online* ]]; then
        say "ok: PostgreSQL $ver main running on port $port"
    else
        say "starting PostgreSQL $ver main (port $port)"
        if [[ $EUID -eq 0 ]]; then
            install -d -o postgres -g postgres -m 2775 /var/run/postgresql
        fi
        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start \
            || die "could not start PostgreSQL $ver main (see /var/log/postgresql/postgresql-$ver-main.log)"
    fi

    local i
    for ((i = 0; i < 60; i++)); do
        pg_isready -q -h 127.0.0.1 -p "$port" && break
        sleep 0.5
    done
    pg_isready -q -h 127.0.0.1 -p "$port" \
        || die "PostgreSQL is not accepting connections on 127.0.0.1:$port after 30 s"

    # Role and database, idempotently, through the superuser's Unix socket.
    psql_superuser "$port" -d postgres <<SQL || die "creating PostgreSQL role $PG_ROLE / database $PG_DATABASE failed"
DO \$\$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$PG_ROLE') THEN
        CREATE ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
    END IF;
END
\$\$;
SELECT 'CREATE DATABASE $PG_DATABASE OWNER $PG_ROLE'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$PG_DATABASE')\gexec
SQL
    # Checks the password login over TCP too; repairs the role when it has drifted.
    if ! PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -q -At -h 127.0.0.1 -p "$port" \
        -U "$PG_ROLE" -d "$PG_DATABASE" -c 'SELECT 1' >/dev/null 2>&1; then
        say "resetting PostgreSQL role $PG_ROLE (password login failed)"
        psql_superuser "$port" -d postgres <<SQL || die "ALTER ROLE $PG_ROLE failed"
ALTER ROLE $PG_ROLE LOGIN CREATEDB PASSWORD '$PG_PASSWORD';
SQL
        PGPASSWORD=$PG_PASSWORD PGCONNECT_TIMEOUT=5 psql -X -q -At -h 127.0.0.1 -p "$port" \
            -U "$PG_ROLE" -d "$PG_DATABASE" -c 'SELECT 1' >/dev/null \
            || die "cannot sign in to PostgreSQL as $PG_ROLE over TCP on 127.0.0.1:$port"
    fi
    say "ok: PostgreSQL role $PG_ROLE, database $PG_DATABASE"
    # scripts/test.sh reads this line.
    echo "SECRYN_TEST_POSTGRES_URL=postgres://$PG_ROLE:$PG_PASSWORD@127.0.0.1:$port/$PG_DATABASE"
}

# The independent checkers the key tests hand generated keys to (`openssl pkey -check`,
# `ssh-keygen -y`): command, then the Debian package that provides it.
ensure_key_tools() {
    local pkgs=()
    command -v openssl >/dev/null 2>&1 || pkgs+=(openssl)
    command -v ssh-keygen >/dev/null 2>&1 || pkgs+=(openssh-client)
    if [[ ${#pkgs[@]} -gt 0 ]]; then
        apt_install "${pkgs[@]}"
    fi
    command -v openssl >/dev/null 2>&1 || die "openssl is missing after apt-get install"
    command -v ssh-keygen >/dev/null 2>&1 || die "ssh-keygen is missing after apt-get install"
    say "ok: openssl, ssh-keygen"
}

# The SMTP server the e-mail tests send to: Python's aiosmtpd, pinned, from the Python
# package registry (or Debian's python3-aiosmtpd where pip may not install).
AIOSMTPD_VERSION=1.4.6
ensure_smtp_sink() {
    command -v python3 >/dev/null 2>&1 || apt_install python3
    local have
    have="$(python3 -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>/dev/null || true)"
    if [[ -z "$have" ]]; then
        say "pip install aiosmtpd==$AIOSMTPD_VERSION"
        python3 -m pip install -q "aiosmtpd==$AIOSMTPD_VERSION" 2>/dev/null \
            || python3 -m pip install -q --user --break-system-packages "aiosmtpd==$AIOSMTPD_VERSION" 2>/dev/null \
            || apt_install python3-aiosmtpd
        have="$(python3 -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>/dev/null)" \
            || die "aiosmtpd is missing after installing it (python3 -m aiosmtpd must run)"
    fi
    say "ok: aiosmtpd $have"
}

step_test() {
    step_build
    ensure_chromium
    ensure_postgres
    ensure_key_tools
    ensure_smtp_sink
}

# ---------------------------------------------------------------------------- bench

# Installs the Debian packages named like the commands they provide, when a command is missing.
ensure_packages() {
    local pkgs=() t
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || pkgs+=("$t")
    done
    if [[ ${#pkgs[@]} -gt 0 ]]; then
        apt_install "${pkgs[@]}"
    fi
    for t in "$@"; do
        command -v "$t" >/dev/null 2>&1 || die "$t is missing after apt-get install"
    done
    say "ok: $*"
}

ensure_bench_tools() {
    ensure_packages wrk curl
}

step_bench() {
    step_test
    ensure_bench_tools
}

# ---------------------------------------------------------------------------- main

[[ $# -gt 0 ]] || set -- build
for what in "$@"; do
    case "$what" in
        build) step_build ;;
        test) step_test ;;
        bench) step_bench ;;
        -h | --help)
            sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown step '$what' (expected build, test or bench)" ;;
    esac
done

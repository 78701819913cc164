# Shared helpers for scripts/*.sh. Source it; it changes to the repository root.
# shellcheck shell=bash

SECRYN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$SECRYN_ROOT" || exit 1

# The wasm-split CLI (crate wasm_split_cli_support) the build cuts the browser bundle with.
WASM_SPLIT_VERSION=0.2.4

# Tools installed with `cargo install` land here; a non-login shell may not have it on PATH.
if [[ -d "${CARGO_HOME:-$HOME/.cargo}/bin" ]]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

# The same LEPTOS_* values for every cargo call (build, clippy, test), so the compiled
# artifacts are shared and the server looks for the bundle where the build put it.
export LEPTOS_OUTPUT_NAME=secryn
export LEPTOS_SITE_ROOT=target/site
export LEPTOS_SITE_PKG_DIR=pkg

say() { printf '==> %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf '\nERROR: %s\n\n' "$*" >&2
    exit 1
}

# Version of a package as recorded in Cargo.lock ("" when absent).
lock_version() {
    awk -v want="$1" '
        /^\[\[package\]\]/ { name = "" }
        /^name = / { gsub(/"/, "", $3); name = $3 }
        /^version = / && name == want { gsub(/"/, "", $3); print $3; exit }
    ' Cargo.lock 2>/dev/null
}

# First line of `wasm-bindgen --version` is "wasm-bindgen X.Y.Z"; prints X.Y.Z or "".
installed_wasm_bindgen_version() {
    command -v wasm-bindgen >/dev/null 2>&1 || return 0
    wasm-bindgen --version 2>/dev/null | awk 'NR == 1 { print $2 }'
}

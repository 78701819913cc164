#!/usr/bin/env bash
# Release build of Secryn, doing what `cargo leptos build --release` does without needing
# cargo-leptos installed:
#   1. frontend (hydrate) -> wasm32, profile wasm-release
#   2. wasm-bindgen --target web -> target/site/pkg/secryn.js + secryn.wasm
#   3. wasm-opt (npm binaryen) on secryn.wasm
#   4. style/main.css -> target/site/pkg/secryn.css, public/* -> target/site/, and a brotli
#      and a gzip copy of each file in target/site/pkg (served instead when the browser accepts
#      them)
#   5. server (ssr) -> target/release/secryn
# Tools come from scripts/ensure-tools.sh build.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SITE=target/site
PKG=$SITE/pkg
NAME=secryn
WASM_OPT=end2end/node_modules/.bin/wasm-opt

# wasm features rustc 1.95 enables by default for wasm32-unknown-unknown
# (`rustc --print cfg --target wasm32-unknown-unknown`); wasm-opt must accept all of them.
WASM_FEATURES=(
    --enable-bulk-memory
    --enable-bulk-memory-opt
    --enable-nontrapping-float-to-int
    --enable-sign-ext
    --enable-mutable-globals
    --enable-reference-types
    --enable-multivalue
)

want="$(lock_version wasm-bindgen)"
have="$(installed_wasm_bindgen_version)"
[[ -n "$have" ]] || die "wasm-bindgen CLI is missing: run scripts/ensure-tools.sh build"
[[ "$have" == "$want" ]] || die "wasm-bindgen CLI is $have but Cargo.lock has $want: run scripts/ensure-tools.sh build"
[[ -x $WASM_OPT ]] || die "$WASM_OPT is missing: run scripts/ensure-tools.sh build"
[[ -f style/main.css ]] || die "style/main.css is missing"
for tool in brotli gzip; do
    command -v "$tool" >/dev/null 2>&1 || die "$tool is missing: run scripts/ensure-tools.sh build"
done

start=$SECONDS

say "[1/5] frontend -> wasm32 (profile wasm-release)"
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release

say "[2/5] wasm-bindgen $have -> $PKG"
rm -rf "$SITE"
mkdir -p "$PKG"
wasm-bindgen --target web --no-typescript --out-dir "$PKG" --out-name "$NAME" \
    target/wasm32-unknown-unknown/wasm-release/frontend.wasm
mv "$PKG/${NAME}_bg.wasm" "$PKG/$NAME.wasm"

say "[3/5] wasm-opt -Oz ($(stat -c %s "$PKG/$NAME.wasm") bytes before)"
"$WASM_OPT" -Oz "${WASM_FEATURES[@]}" "$PKG/$NAME.wasm" -o "$PKG/$NAME.wasm"
echo "    $(stat -c %s "$PKG/$NAME.wasm") bytes after"

say "[4/5] assets: style/main.css -> $PKG/$NAME.css, public/ -> $SITE/"
cp style/main.css "$PKG/$NAME.css"
if [[ -d public ]] && [[ -n "$(ls -A public)" ]]; then
    cp -a public/. "$SITE/"
fi
for f in "$PKG/$NAME.wasm" "$PKG/$NAME.js" "$PKG/$NAME.css"; do
    brotli -q 11 -f -o "$f.br" "$f"
    gzip -9 -c "$f" >"$f.gz"
done
echo "    $NAME.wasm over the wire: $(stat -c %s "$PKG/$NAME.wasm.br") bytes brotli, $(stat -c %s "$PKG/$NAME.wasm.gz") bytes gzip"

say "[5/5] server -> target/release/secryn"
cargo build -p server --release

say "build done in $((SECONDS - start)) s: target/release/secryn, $SITE/"

#!/usr/bin/env bash
# Release build of Secryn, doing what `cargo leptos build --release` (with `hash-files`) does
# without needing cargo-leptos installed:
#   1. frontend (hydrate) -> wasm32, profile wasm-release
#   2. wasm-bindgen --target web -> pkg/secryn.js + secryn.wasm in a new site folder
#   3. wasm-opt (npm binaryen) on secryn.wasm
#   4. style/main.css -> pkg/secryn.css, public/* -> the folder; then each of the three gets its
#      content hash in its name (pkg/secryn.<16 hex of SHA-256>.wasm, listed in hash.txt, which
#      Leptos reads to name them in pages), a brotli and a gzip copy (served instead when the
#      browser accepts them), and a hard link under its plain name (pkg/secryn.wasm) for tools
#   5. server (ssr) -> target/release/secryn
#   6. swap: the folder becomes target/sites/<hash of its content> and the target/site link
#      moves to it in one rename; the previous folder stays (a server started before this
#      build keeps serving it), older ones go. The new folder also holds the previous build's
#      hashed files (hard links), so a page loaded before the swap still finds them.
# Nothing a server may be reading is written in place: a rebuild never changes a served file.
# Tools come from scripts/ensure-tools.sh build.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SITE=target/site          # a symlink to the current folder under $SITES
SITES=target/sites
NEW=$SITES/.new-$$        # this build's folder until the swap
PKG=$NEW/pkg
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

# Removes this build's unfinished folder when the build stops early.
cleanup() { rm -rf "$NEW"; }
trap cleanup EXIT

# Gives $PKG/$NAME.$1 its content hash in its name, compresses it, keeps the plain name as a
# hard link, and records the hash in hash.txt (the `wasm: <hash>` lines Leptos reads).
hash_asset() {
    local ext=$1 hash suffix
    hash="$(sha256sum "$PKG/$NAME.$ext" | cut -c1-16)"
    mv "$PKG/$NAME.$ext" "$PKG/$NAME.$hash.$ext"
    brotli -q 11 -f -o "$PKG/$NAME.$hash.$ext.br" "$PKG/$NAME.$hash.$ext"
    gzip -9 -n -c "$PKG/$NAME.$hash.$ext" >"$PKG/$NAME.$hash.$ext.gz"
    for suffix in "" .br .gz; do
        ln "$PKG/$NAME.$hash.$ext$suffix" "$PKG/$NAME.$ext$suffix"
    done
    echo "$ext: $hash" >>"$NEW/hash.txt"
}

# The folder's name: a hash over every file's path and content, so an unchanged build lands
# on the folder it already has.
site_id() {
    (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

# Hard-links the hashed files named by folder $1's hash.txt into folder $2 (those missing),
# so a page rendered from $1 still loads after a restarted server serves $2.
carry_hashed() {
    local from=$1 to=$2 kind hash f
    [[ -f $from/hash.txt ]] || return 0
    while IFS=': ' read -r kind hash; do
        for f in "$from/pkg/$NAME.$hash.$kind"*; do
            if [[ -e $f && ! -e $to/pkg/${f##*/} ]]; then
                ln "$f" "$to/pkg/${f##*/}"
            fi
        done
    done <"$from/hash.txt"
}

# Moves the target/site link to folder $1 (a name under $SITES) with one rename. A plain
# directory left by a build before links becomes $SITES/legacy-<pid> first.
point_site_at() {
    if [[ -d $SITE && ! -L $SITE ]]; then
        mv -T "$SITE" "$SITES/legacy-$$"
    fi
    ln -sfn "sites/$1" "$SITE.link-$$"
    mv -T "$SITE.link-$$" "$SITE"
}

# Deletes every folder under $SITES but those named in $@ and unfinished ones of builds
# still running.
prune_sites() {
    local d name
    for d in "$SITES"/* "$SITES"/.new-*; do
        [[ -e $d ]] || continue
        name="${d##*/}"
        if [[ $name == .new-* ]]; then
            if ! kill -0 "${name#.new-}" 2>/dev/null; then rm -rf "$d"; fi
        elif [[ " $* " != *" $name "* ]]; then
            rm -rf "$d"
        fi
    done
}

# Installs $NEW as $SITES/<id> and points target/site at it; keeps the previous folder.
# An unchanged build changes nothing.
swap_site() {
    local id current=""
    id="$(site_id "$NEW")"
    if [[ -L $SITE ]]; then
        current="$(readlink "$SITE")"
        current="${current##*/}"
    elif [[ -d $SITE ]]; then
        current="legacy-$$" # where point_site_at moves it
    fi
    if [[ $current == "$id" ]]; then
        rm -rf "$NEW"
        echo "    content unchanged: $SITE -> sites/$id stays"
        return
    fi
    if [[ -d $SITES/$id ]]; then
        rm -rf "$NEW" # the same content built before: reuse that folder
    else
        mv -T "$NEW" "$SITES/$id"
    fi
    if [[ -L $SITE ]]; then
        carry_hashed "$SITES/$current" "$SITES/$id"
    fi
    point_site_at "$id"
    prune_sites "$id" "$current"
    echo "    $SITE -> sites/$id${current:+ (previous: sites/$current, kept)}"
}

start=$SECONDS

say "[1/6] frontend -> wasm32 (profile wasm-release)"
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release

say "[2/6] wasm-bindgen $have -> $PKG"
rm -rf "$NEW"
mkdir -p "$PKG"
wasm-bindgen --target web --no-typescript --out-dir "$PKG" --out-name "$NAME" \
    target/wasm32-unknown-unknown/wasm-release/frontend.wasm
mv "$PKG/${NAME}_bg.wasm" "$PKG/$NAME.wasm"

say "[3/6] wasm-opt -Oz ($(stat -c %s "$PKG/$NAME.wasm") bytes before)"
"$WASM_OPT" -Oz "${WASM_FEATURES[@]}" "$PKG/$NAME.wasm" -o "$PKG/$NAME.wasm"
echo "    $(stat -c %s "$PKG/$NAME.wasm") bytes after"

say "[4/6] assets: style/main.css -> pkg/$NAME.css, public/ -> the site, hashed names, .br/.gz"
cp style/main.css "$PKG/$NAME.css"
if [[ -d public ]] && [[ -n "$(ls -A public)" ]]; then
    cp -a public/. "$NEW/"
fi
# public/ scripts travel compressed too (/forms.js on the signed-out pages).
for f in "$NEW"/*.js; do
    [[ -e $f ]] || continue
    brotli -q 11 -f -o "$f.br" "$f"
    gzip -9 -n -c "$f" >"$f.gz"
done
: >"$NEW/hash.txt"
for ext in wasm js css; do
    hash_asset "$ext"
done
sed 's/^/    /' "$NEW/hash.txt"
echo "    $NAME.wasm over the wire: $(stat -c %s "$PKG/$NAME.wasm.br") bytes brotli, $(stat -c %s "$PKG/$NAME.wasm.gz") bytes gzip"

say "[5/6] server -> target/release/secryn"
cargo build -p server --release

say "[6/6] swap the site into place"
swap_site

say "build done in $((SECONDS - start)) s: target/release/secryn, $SITE/"

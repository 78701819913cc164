#!/usr/bin/env bash
# Release build of Secryn, doing what `cargo leptos build --release` (with `hash-files`) does
# without needing cargo-leptos installed:
#   1. frontend (hydrate) -> wasm32, profile wasm-release, linked with its relocations
#   2. wasm-split cuts it (like `cargo leptos --split`) into the frame (secryn.wasm), one part
#      per area of the app (split_*.wasm, app/src/ui/split.rs), the code areas share
#      (chunk_*.wasm) and their loader (__wasm_split.js), in a new site folder's pkg/
#   3. wasm-bindgen --target web on the frame -> pkg/secryn.js + secryn.wasm
#   4. wasm-opt (npm binaryen) -Oz on every part, without the sections only tools read
#   5. style/main.css -> pkg/secryn.css, public/* -> the folder. The bundle's files get one
#      build id in their names (scripts/name-parts.mjs) and the scripts are minified
#      (terser), the stylesheet its content hash (pkg/secryn.<16 hex of SHA-256>.css);
#      hash.txt lists them for the pages, which name them, with the parts of the page's area.
#      Each gets a brotli and a gzip copy (served instead when the browser accepts them);
#      the frame's files and the stylesheet also a hard link under their plain name
#      (pkg/secryn.wasm) for tools
#   6. server (ssr) -> target/release/secryn
#   7. swap: the folder becomes target/sites/<hash of its content> and the target/site link
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
TERSER=end2end/node_modules/.bin/terser

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
[[ -x $TERSER ]] || die "$TERSER is missing: run scripts/ensure-tools.sh build"
command -v wasm-split-cli >/dev/null 2>&1 || die "wasm-split-cli is missing: run scripts/ensure-tools.sh build"
command -v node >/dev/null 2>&1 || die "node is missing: run scripts/ensure-tools.sh build"
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
    compress "$PKG/$NAME.$hash.$ext"
    plain_names "$hash" "$ext"
    echo "$ext: $hash" >>"$NEW/hash.txt"
}

# Writes the brotli and gzip copies of file $1 (served instead when the browser accepts them).
compress() {
    brotli -q 11 -f -o "$1.br" "$1"
    gzip -9 -n -c "$1" >"$1.gz"
}

# Hard-links $PKG/$NAME.$1.$2 (and its compressed copies) under its plain name for tools.
plain_names() {
    local suffix
    for suffix in "" .br .gz; do
        ln "$PKG/$NAME.$1.$2$suffix" "$PKG/$NAME.$2$suffix"
    done
}

# Names the split bundle's files with one build id (scripts/name-parts.mjs says why) and
# writes the manifest of the parts each area needs, minifies the scripts, compresses the
# files the browser fetches and records the id in hash.txt for the frame's script and WASM
# and the parts (`split:`).
name_bundle() {
    local id f kind
    id="$(node scripts/name-parts.mjs "$PKG" "$NAME")" || die "naming the bundle's parts failed"
    is_hash "$id" || die "scripts/name-parts.mjs printed '$id', not a build id"
    for f in "$PKG"/*."$id".js; do
        minify "$f"
    done
    for f in "$PKG"/*."$id".wasm "$PKG"/*."$id".js "$PKG"/*."$id".pack; do
        compress "$f"
    done
    plain_names "$id" wasm
    plain_names "$id" js
    # No `manifest:` line: the pages name their area's parts themselves (app/src/ui/split.rs),
    # so Leptos's own preloading, which misses parts of nested routes, stays off.
    for kind in wasm js split; do
        echo "$kind: $id" >>"$NEW/hash.txt"
    done
}

# Minifies ES module $1 in place (wasm-bindgen's and wasm-split's loaders are written to be
# read): a quarter less on every page's first visit. After the naming, which parses them.
minify() {
    "$TERSER" "$1" --module --compress --mangle --output "$1.min" || die "terser failed on $1"
    mv "$1.min" "$1"
}

# Whether $1 is 16 lowercase hex digits (a content hash or build id in a file name).
is_hash() {
    [[ $1 =~ ^[0-9a-f]{16}$ ]]
}

# Runs wasm-opt -Oz on every .wasm in $PKG in place, as many at once as there are cores. Its
# warnings about the name subsections wasm-split leaves are shown only when it fails.
optimise_parts() {
    local f pid pids=() max
    max="$(nproc)"
    for f in "$PKG"/*.wasm; do
        optimise_one "$f" &
        pids+=("$!")
        if ((${#pids[@]} >= max)); then
            wait "${pids[0]}" || die "wasm-opt failed"
            pids=("${pids[@]:1}")
        fi
    done
    for pid in "${pids[@]}"; do
        wait "$pid" || die "wasm-opt failed"
    done
}

optimise_one() {
    local log
    log="$(mktemp)"
    # The producers and target-features sections tell tools, not browsers, how the file was
    # made: a few hundred bytes that compress badly, in each of the page's ~100 parts.
    if ! "$WASM_OPT" -Oz "${WASM_FEATURES[@]}" --strip-producers --strip-target-features "$1" -o "$1" 2>"$log"; then
        echo "wasm-opt $1:" >&2
        cat "$log" >&2
        rm -f "$log"
        return 1
    fi
    rm -f "$log"
}

# The folder's name: a hash over every file's path and content, so an unchanged build lands
# on the folder it already has.
site_id() {
    (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -c1-16
}

# Hard-links the files named with a hash or build id of folder $1's hash.txt into folder $2
# (those missing),
# so a page rendered from $1 still loads after a restarted server serves $2.
carry_hashed() {
    local from=$1 to=$2 hash f
    [[ -f $from/hash.txt ]] || return 0
    while IFS=': ' read -r _ hash; do
        for f in "$from/pkg/"*".$hash."*; do
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

say "[1/7] frontend -> wasm32 (profile wasm-release)"
cargo build -p frontend --lib --target wasm32-unknown-unknown --profile wasm-release

say "[2/7] wasm-split: the frame and one part per area of the app (app/src/ui/split.rs)"
rm -rf "$NEW"
mkdir -p "$PKG" "$NEW/split"
wasm-split-cli --target web --out-name "$NAME" \
    target/wasm32-unknown-unknown/wasm-release/frontend.wasm "$NEW/split"
compgen -G "$NEW/split/split_*.wasm" >/dev/null || die "wasm-split found no area to cut out (app/src/ui/split.rs)"
mv "$NEW/split/__wasm_split.js" "$NEW/split/"split_*.wasm "$PKG/"
if compgen -G "$NEW/split/chunk_*.wasm" >/dev/null; then
    mv "$NEW/split/"chunk_*.wasm "$PKG/"
fi

say "[3/7] wasm-bindgen $have on the frame -> $PKG"
# --keep-lld-exports: the parts reach the frame's function table through its export.
wasm-bindgen --target web --no-typescript --keep-lld-exports --out-dir "$PKG" --out-name "$NAME" "$NEW/split/$NAME.wasm"
mv "$PKG/${NAME}_bg.wasm" "$PKG/$NAME.wasm"
rm -rf "$NEW/split"

say "[4/7] wasm-opt -Oz on $(find "$PKG" -name '*.wasm' | wc -l) parts ($(du -cb "$PKG"/*.wasm | tail -n 1 | cut -f1) bytes before)"
optimise_parts
echo "    $(du -cb "$PKG"/*.wasm | tail -n 1 | cut -f1) bytes after"

say "[5/7] assets: style/main.css -> pkg/$NAME.css, public/ -> the site, hashed names, .br/.gz"
cp style/main.css "$PKG/$NAME.css"
if [[ -d public ]] && [[ -n "$(ls -A public)" ]]; then
    cp -a public/. "$NEW/"
fi
# public/ scripts travel compressed too (/forms.js on the signed-out pages).
for f in "$NEW"/*.js; do
    [[ -e $f ]] || continue
    compress "$f"
done
: >"$NEW/hash.txt"
name_bundle
hash_asset css
sed 's/^/    /' "$NEW/hash.txt"
echo "    the frame over the wire: $(stat -c %s "$PKG/$NAME.wasm.br") bytes brotli, $(stat -c %s "$PKG/$NAME.wasm.gz") bytes gzip"

say "[6/7] server -> target/release/secryn"
cargo build -p server --release

say "[7/7] swap the site into place"
swap_site

say "build done in $((SECONDS - start)) s: target/release/secryn, $SITE/"

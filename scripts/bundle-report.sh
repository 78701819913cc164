#!/usr/bin/env bash
# Bundle budgets: for each route, the WASM + JS + CSS a first visit downloads, brotli-compressed
# as the running server sends them, beside its budget:
#   sign-in (/login): WASM + JS <= 200 KB, and any page: WASM + JS + CSS <= 350 KB (KB = 1000 bytes).
# The files come from each page's HTML (every .wasm, .pack (an area's WASM parts in one), .js
# and .css file it references), so the table follows what pages really load: on the
# signed-out pages (plain forms) the stylesheet and /forms.js only, the bundle on the rest.
# Nothing is built: it reads a running server (`make bench` calls it against its own).
#
# Usage: scripts/bundle-report.sh [BASE_URL]      (default http://127.0.0.1:3200, the bench server)
# Signed-in routes need an account: BUNDLE_EMAIL / BUNDLE_PASSWORD (default BENCH_EMAIL /
# BENCH_PASSWORD). A project, vault and secret are found by following the pages' own links
# (or, where a page loads its list after the first paint, the server function it calls).
# Exits 1 when a route could not be measured; an OVER budget is reported, not an error.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BASE="${1:-${BUNDLE_BASE:-http://127.0.0.1:3200}}"
BASE="${BASE%/}"
EMAIL="${BUNDLE_EMAIL:-${BENCH_EMAIL:-}}"
PASSWORD="${BUNDLE_PASSWORD:-${BENCH_PASSWORD:-}}"
KB=1000
SIGNIN_BUDGET=$((200 * KB)) # WASM + JS of the sign-in page
PAGE_BUDGET=$((350 * KB))   # WASM + JS + CSS of any page

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
JAR="$WORK/cookies.txt"
declare -A BR_BYTES=() # asset path -> bytes on the wire with Accept-Encoding: br
UNMEASURED=0

kb() { awk -v b="$1" -v k="$KB" 'BEGIN { printf "%.1f KB", b / k }'; }

# GET $1 (signed in when $2 is "in") into $WORK/page.html; prints the HTTP status.
fetch_page() {
    local args=(-s -o "$WORK/page.html" -w '%{http_code}')
    [[ ${2:-} == in ]] && args+=(-b "$JAR")
    curl "${args[@]}" "$BASE$1"
}

# Signs in through the same server function the sign-in form posts to.
sign_in() {
    [[ -n $EMAIL && -n $PASSWORD ]] || return 1
    curl -s -o /dev/null -c "$JAR" -H 'Accept: application/json' --data-urlencode "email=$EMAIL" \
        --data-urlencode "password=$PASSWORD" "$BASE/rpc/login"
    grep -q secryn_session "$JAR"
}

# The first link in the last fetched page that starts with $1 (like /vaults/), or nothing.
first_link() {
    grep -oE "href=\"$1[^\"/?#]+\"" "$WORK/page.html" | head -n 1 | sed -E 's/^href="|"$//g' || true
}

# The first "id" in the JSON answer of server function $1 called with form data $2, or
# nothing: what a page that loads its list after the first paint shows.
first_rpc_id() {
    curl -s -b "$JAR" -H 'Accept: application/json' --data "$2" "$BASE/rpc/$1" |
        grep -oE '"id":"[^"]+"' | head -n 1 | sed -E 's/^"id":"|"$//g' || true
}

# Prints the path of one page under $1 (like /vaults/) reached from page $2: its first link
# there, else the first id of server function $3 called with form data $4.
find_page() {
    local prefix=$1 from=$2 rpc=$3 form=$4 path="" id
    [[ -n $from ]] || return 0
    if [[ $(fetch_page "$from" in) == 200 ]]; then
        path="$(first_link "$prefix")"
    fi
    if [[ -z $path ]]; then
        id="$(first_rpc_id "$rpc" "$form")"
        [[ -z $id ]] || path="$prefix$id"
    fi
    echo "$path"
}

# Records in BR_BYTES the bytes of asset $1 as the server sends it to a browser that accepts
# brotli (its .br copy), once per asset.
measure_asset() {
    local path=$1 status encoding
    [[ -z ${BR_BYTES[$path]:-} ]] || return 0
    status="$(curl -s -H 'Accept-Encoding: br' -D "$WORK/headers" -o "$WORK/asset" -w '%{http_code}' "$BASE$path")"
    [[ $status == 200 ]] || die "$path answered HTTP $status"
    encoding="$(sed -n 's/^content-encoding: *//Ip' "$WORK/headers" | tr -d '\r')"
    [[ $encoding == br ]] || warn "$path was sent ${encoding:-uncompressed}, not brotli: counted as sent"
    BR_BYTES[$path]="$(stat -c %s "$WORK/asset")"
}

# One table row for route $1 at path $2, fetched signed in when $3 is "in".
report_route() {
    local label=$1 path=$2 who=${3:-out} status asset wasm=0 js=0 css=0 bytes total budget verdict
    if [[ -z $path ]]; then
        printf '%-14s %-46s %s\n' "$label" "-" "n/a (none found: sign in as someone who sees one)"
        UNMEASURED=$((UNMEASURED + 1))
        return
    fi
    status="$(fetch_page "$path" "$who")"
    if [[ $status != 200 ]]; then
        printf '%-14s %-46s %s\n' "$label" "$path" "n/a (HTTP $status)"
        UNMEASURED=$((UNMEASURED + 1))
        return
    fi
    local assets
    assets="$(grep -oE '"/[A-Za-z0-9._/-]+\.(wasm|pack|js|css)"' "$WORK/page.html" | tr -d '"' | sort -u || true)"
    [[ $assets == */pkg/* ]] || die "$path references no /pkg/ asset: is the site built?"
    while IFS= read -r asset; do
        measure_asset "$asset"
        bytes=${BR_BYTES[$asset]}
        case "$asset" in
            *.wasm | *.pack) wasm=$((wasm + bytes)) ;;
            *.js) js=$((js + bytes)) ;;
            *.css) css=$((css + bytes)) ;;
        esac
    done <<<"$assets"
    total=$((wasm + js + css))
    verdict=OK
    budget="total <= $(kb "$PAGE_BUDGET")"
    ((total <= PAGE_BUDGET)) || verdict=OVER
    if [[ $label == sign-in ]]; then
        budget="wasm+js <= $(kb "$SIGNIN_BUDGET"), $budget"
        ((wasm + js <= SIGNIN_BUDGET)) || verdict=OVER
    fi
    printf '%-14s %-46s %10s %10s %10s %10s  %-40s %s\n' "$label" "$path" "$(kb "$wasm")" "$(kb "$js")" \
        "$(kb "$css")" "$(kb "$total")" "$budget" "$verdict"
}

# ------------------------------------------------------------------------------ main

curl -fsS -o /dev/null "$BASE/healthz" || die "no Secryn answers at $BASE (start one, or pass its URL)"

printf '%-14s %-46s %10s %10s %10s %10s  %-40s %s\n' route path wasm js css total budget status
report_route sign-in /login out

signed_in=out
if sign_in; then
    signed_in=in
else
    warn "could not sign in as '${EMAIL:-?}' (set BUNDLE_EMAIL / BUNDLE_PASSWORD): signed-in routes are n/a"
fi
project="" vault="" secret=""
if [[ $signed_in == in ]]; then
    project="$(find_page /projects/ /projects projects_list "search=&show_archived=false")"
    vault="$(find_page /vaults/ "$project" vaults_list "project_id=${project##*/}")"
    secret="$(find_page /secrets/ "$vault" secrets_list \
        "vault_id=${vault##*/}&text=&tag=&status=&sort=name&descending=false&page=1")"
fi
report_route home / "$signed_in"
report_route projects /projects "$signed_in"
report_route project "$project" "$signed_in"
report_route vault "$vault" "$signed_in"
report_route "keys" "${vault:+$vault/keys}" "$signed_in"
report_route "access keys" "${vault:+$vault/access-keys}" "$signed_in"
report_route secret "$secret" "$signed_in"
report_route users /admin/users "$signed_in"
report_route settings /admin/settings "$signed_in"
report_route logs /admin/logs/audit "$signed_in"
report_route support /support "$signed_in"

all=0
for asset in "${!BR_BYTES[@]}"; do
    all=$((all + BR_BYTES[$asset]))
done
printf '%-14s %-46s %43s  (%d distinct files, brotli)\n' total "every route above, each file once" "$(kb "$all")" \
    "${#BR_BYTES[@]}"
if ((UNMEASURED > 0)); then
    die "$UNMEASURED route(s) could not be measured"
fi

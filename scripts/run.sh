#!/usr/bin/env bash
# `make run`: installs the build tools, builds the release server and bundle, and runs the
# server in the foreground. Configuration is the binary's own: SECRYN_* environment variables
# (SECRYN_DATA_DIR, SECRYN_LISTEN, SECRYN_LOG, ...) pass straight through.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bash scripts/ensure-tools.sh build
bash scripts/build.sh

export SECRYN_SITE_ROOT="${SECRYN_SITE_ROOT:-target/site}"
say "starting target/release/secryn serve"
exec target/release/secryn serve "$@"

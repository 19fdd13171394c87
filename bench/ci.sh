#!/usr/bin/env bash
# CI: every benchmark in its --quick form (a few seconds each), proving the scripts still
# work end to end: the ping counts match, the scheduler flips every due check, pruning
# keeps storage bounded. Figures from quick runs mean little; bench/results is ignored.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if ! command -v shellcheck >/dev/null 2>&1; then
	echo "installing shellcheck (Debian package)" >&2
	DEBIAN_FRONTEND=noninteractive apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi
shellcheck -x ./*.sh
exec ./all.sh --quick

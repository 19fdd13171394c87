#!/usr/bin/env bash
# CI: every benchmark in its --quick form (a few seconds each), proving the scripts still
# work end to end: the ping counts match, the scheduler flips every due check, pruning
# keeps storage bounded. Figures from quick runs mean little; bench/results is ignored.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
if command -v shellcheck >/dev/null 2>&1; then
	shellcheck -x ./*.sh
fi
exec ./all.sh --quick

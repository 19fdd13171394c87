#!/usr/bin/env bash
# Runs every benchmark: ping (SQLite and PostgreSQL), ceiling (pgbench against the ping
# just measured), sqlite-ceiling (SQLite alone against the ping just measured), scheduler,
# storage. With --quick, each in its few-second CI form.
# Builds once; goes on after a failure and exits non-zero if any benchmark failed.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

QUICK=()
for arg in "$@"; do
	case "$arg" in
	--quick) QUICK=(--quick) ;;
	-h | --help)
		echo "usage: bench/all.sh [--quick]"
		exit 0
		;;
	*) die "unknown option $arg (run the scripts one by one for their options)" ;;
	esac
done

build
export BENCH_SKIP_BUILD=1
FAILED=()
SUMMARY=()
run() {
	local name=$1 start status=0
	shift
	start=$EPOCHREALTIME
	log "=== $name ${QUICK[*]} $*"
	"$BENCH_DIR/$name.sh" "${QUICK[@]}" "$@" || status=$?
	SUMMARY+=("$(printf '%-10s %6.1f s  %s' "$name" "$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {print b - a}')" \
		"$([[ $status == 0 ]] && echo ok || echo "FAILED ($status)")")")
	[[ $status == 0 ]] || FAILED+=("$name")
}
run ping
# The ceiling's ratio uses the PostgreSQL ping figure measured just before it.
run ceiling --no-ping
# Likewise the SQLite ceiling's ratio uses the SQLite ping figure.
run sqlite-ceiling --no-ping
run scheduler
run storage

printf '\n'
printf "%s\n" "${SUMMARY[@]}"
if [[ ${#FAILED[@]} -gt 0 ]]; then
	log "failed: ${FAILED[*]}"
	exit 1
fi

#!/usr/bin/env bash
# The long run of the parsers' tests: every property test (src/domain/*_props.rs,
# src/domain/ping_tests/props.rs, tests/it/webhook_template.rs) with PROPTEST_CASES cases,
# in release mode, then every cargo-fuzz target (fuzz/) for a number of runs, seeded with
# valid expressions. CI does not run this (bench/ci.sh only shellchecks it); cargo test
# runs the same properties with a few hundred cases.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
usage: bench/fuzz.sh [--quick] [--cases N] [--runs N] [--only props|fuzz] [--target T]
  --cases N    cases per property test (default 1000000; --quick 1000)
  --runs N     runs per fuzz target (default 1000000; --quick 10000)
  --only W     props (property tests only) or fuzz (fuzz targets only); default both
  --target T   one fuzz target: cron, oncalendar, ping or check_json (default all)
Needs cargo-fuzz (cargo install cargo-fuzz) for the fuzz targets; the stable toolchain
serves with RUSTC_BOOTSTRAP=1, set here. Findings (crashing inputs) are kept in
fuzz/artifacts/<target>/, the corpus grows in fuzz/corpus/<target>/ (both git-ignored).
FUZZ_TARGET_DIR sets where the fuzz build goes (default fuzz/target).
USAGE
}

QUICK=0
for arg in "$@"; do [[ "$arg" == --quick ]] && QUICK=1; done
if [[ $QUICK == 1 ]]; then
	CASES=1000 RUNS=10000
else
	CASES=1000000 RUNS=1000000
fi
ONLY=both TARGETS=(cron oncalendar ping check_json)
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ;;
	--cases) CASES=$2 && shift ;;
	--runs) RUNS=$2 && shift ;;
	--only) ONLY=$2 && shift ;;
	--target) TARGETS=("$2") && shift ;;
	-h | --help) usage && exit 0 ;;
	*) usage >&2 && die "unknown option $1" ;;
	esac
	shift
done
is_uint "$CASES" --cases
is_uint "$RUNS" --runs
case "$ONLY" in both | props | fuzz) ;; *) die "--only must be props or fuzz" ;; esac
command -v cargo >/dev/null 2>&1 || die "cargo is missing: install Rust first"
cd "$ROOT"
FUZZ_TARGET_DIR="${FUZZ_TARGET_DIR:-$ROOT/fuzz/target}"

# Seeds: a few valid inputs per target, in each target's input format (see
# fuzz/fuzz_targets/*.rs): the first five bytes choose an instant and a zone.
seed() {
	local target=$1 dir="$ROOT/fuzz/corpus/$1" i=0 text
	shift
	mkdir -p "$dir"
	for text in "$@"; do
		i=$((i + 1))
		case "$target" in
		cron | oncalendar) printf '\x10\x32\x54\x76%b%s' "\\x$(printf '%02x' "$i")" "$text" >"$dir/seed-$i" ;;
		*) printf '%s' "$text" >"$dir/seed-$i" ;;
		esac
	done
}

run_props() {
	log "property tests, $CASES cases each (release build)"
	local start=$EPOCHREALTIME
	PROPTEST_CASES=$CASES cargo test --release --lib -- properties props:: 2>&1 | tail -n 30
	PROPTEST_CASES=$CASES cargo test --release --test it -- webhook_template 2>&1 | tail -n 12
	log "property tests took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}') s"
}

run_fuzz() {
	command -v cargo-fuzz >/dev/null 2>&1 || die "cargo-fuzz is missing: cargo install cargo-fuzz"
	seed cron '0 2 * * *' '*/15 9-17 * * MON-FRI' '@daily' '30 2 * * 0' '0 0 29 2 *' '5,35 */2 1-7 * 1'
	seed oncalendar '*-*-* 02:00' 'Mon..Fri 09:30' 'daily' 'Sun *-*~07/1 03:00:00' '2030-01-01 Europe/Riga' '*:0/15'
	seed ping $'\x02start\xffok\xffdone\xfferror\xff1.2.3.4, 5.6.7.8\xffall done ok' $'\x1f12\xff\xff\xff\xff\xffbody'
	# shellcheck disable=SC2016 # $NAME is a webhook placeholder, not a shell variable
	seed check_json '{"name":"Backups","tags":"prod db","timeout":3600,"grace":60}' \
		'{"schedule":"0 2 * * *","tz":"Europe/Riga","unique":["name"]}' \
		'{"url_down":"https://example.com/$NAME","headers_down":{"X-A":"b"},"secret":"s"}' \
		'{"url":"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k","mentions":["@all"],"sendkey":"SCTabc"}'
	local target start status out
	out="$(mktemp)"
	for target in "${TARGETS[@]}"; do
		log "fuzz target $target, $RUNS runs"
		start=$EPOCHREALTIME
		status=0
		RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none --target-dir "$FUZZ_TARGET_DIR" "$target" -- \
			-runs="$RUNS" -max_len=512 -print_final_stats=1 >"$out" 2>&1 || status=$?
		grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))|panicked|artifact_prefix|Test unit written' "$out" || true
		if [[ $status != 0 ]]; then
			tail -n 40 "$out" >&2
			rm -f "$out"
			die "fuzz target $target failed (exit $status); a crashing input is kept in fuzz/artifacts/$target"
		fi
		log "$target took $(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.0f", b - a}') s"
	done
	rm -f "$out"
}

[[ "$ONLY" == fuzz ]] || run_props
[[ "$ONLY" == props ]] || run_fuzz

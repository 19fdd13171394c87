#!/usr/bin/env bash
# The SQLite ceiling: what SQLite itself sustains on this machine for the writes pings
# make, batched as the service's single writer batches them (bench/sqlite_ceiling.py, a
# tight loop in one process, nothing else running), then the SQLite ping benchmark, and
# the ratio pings/s ÷ that ceiling, and ÷ SQLite at the batch size the connections make
# (about half of them).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
usage: bench/sqlite-ceiling.sh [--quick] [--checks N] [--duration S] [--connections C]
                               [--batches "B1 B2 …"] [--no-ping]
  --checks N        checks seeded (default 10000; --quick 200)
  --duration S      seconds per batch size, and of the ping run (default 30; --quick 3)
  --connections C   wrk connections of the ping run (default 64; --quick 16)
  --batches LIST    pings per transaction to try; the best is the ceiling
                    (default "16 32 64 256"; --quick "16")
  --no-ping         skip the ping run; take pings/s from the latest matching SQLite
                    line in bench/results/ping.jsonl
USAGE
}

QUICK=0
for arg in "$@"; do [[ "$arg" == --quick ]] && QUICK=1; done
if [[ $QUICK == 1 ]]; then
	CHECKS=200 DURATION=3 CONNECTIONS=16 BATCHES="16"
else
	CHECKS=10000 DURATION=30 CONNECTIONS=64 BATCHES="16 32 64 256"
fi
RUN_PING=1
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ;;
	--checks) CHECKS=$2 && shift ;;
	--duration) DURATION=$2 && shift ;;
	--connections) CONNECTIONS=$2 && shift ;;
	--batches) BATCHES=$2 && shift ;;
	--no-ping) RUN_PING=0 ;;
	-h | --help) usage && exit 0 ;;
	*) usage >&2 && die "unknown option $1" ;;
	esac
	shift
done
is_uint "$CHECKS" --checks
is_uint "$DURATION" --duration
is_uint "$CONNECTIONS" --connections
((CHECKS > 0 && DURATION > 0 && CONNECTIONS > 0)) || die "--checks, --duration and --connections must be positive"
read -r -a BATCH_LIST <<<"$BATCHES"
for b in "${BATCH_LIST[@]}"; do
	is_uint "$b" --batches
	((b > 0)) || die "--batches must be positive"
done

setup_traps
need jq jq
need python3 python3
build
make_workdir
capture_machine

POINTS="[]"
for b in "${BATCH_LIST[@]}"; do
	# A fresh database for each batch size, so that each starts from the same state.
	rm -f "$WORK/ceiling.db" "$WORK/ceiling.db-wal" "$WORK/ceiling.db-shm"
	"$HELPER" seed --database-url "sqlite://$WORK/ceiling.db" --checks "$CHECKS" >"$WORK/seed.json"
	log "sqlite-ceiling: $b pings a transaction, ${DURATION}s"
	machine0="$(machine_ticks)"
	point="$(python3 "$BENCH_DIR/sqlite_ceiling.py" "$WORK/ceiling.db" "$DURATION" "$b")" ||
		die "the SQLite ceiling loop failed"
	machine1="$(machine_ticks)"
	[[ "$(jq .pings <<<"$point")" == "$(jq .stored <<<"$point")" ]] ||
		die "the SQLite ceiling loop wrote $(jq .pings <<<"$point") pings but $(jq .stored <<<"$point") were stored"
	POINTS="$(jq -c --argjson p "$point" --argjson busy "$(machine_busy_pct "$machine0" "$machine1")" \
		'. + [$p + {machine_busy_pct: $busy}]' <<<"$POINTS")"
	log "sqlite-ceiling: $b pings a transaction: $(jq .pings_per_s <<<"$point") pings/s"
done

ping_for_ratio sqlite
FAILED=$PING_FAILED

JSON="$(jq -cn --argjson points "$POINTS" --argjson checks "$CHECKS" --argjson duration "$DURATION" \
	--argjson connections "$CONNECTIONS" --argjson ping "$PING_JSON" \
	'($points | max_by(.pings_per_s)) as $best
	 | ($points | min_by((.batch - $connections / 2) | fabs)) as $near
	 | {checks: $checks, duration_s: $duration, connections: $connections,
	    ceiling_pings_per_s: $best.pings_per_s, ceiling_batch: $best.batch,
	    sqlite_version: $best.sqlite_version, points: $points,
	    pings_per_s: $ping.pings_per_s, ping_p99_ms: $ping.p99_ms, ping_commit: $ping.commit,
	    ratio: (($ping.pings_per_s / $best.pings_per_s * 1000 | round) / 1000),
	    near_batch: $near.batch,
	    ratio_near_batch: (($ping.pings_per_s / $near.pings_per_s * 1000 | round) / 1000)}')"
record sqlite-ceiling "$JSON"
jq -r '"sqlite-ceiling: SQLite alone, the writes of a batch of pings per transaction: best \(.ceiling_pings_per_s) pings/s at \(.ceiling_batch) a transaction (SQLite \(.sqlite_version))",
  (.points[] | "    \(.batch) a transaction: \(.pings_per_s) pings/s, machine \(.machine_busy_pct)% busy"),
  "  overdue on SQLite: \(.pings_per_s) pings/s at \(.connections) connections (p99 \(.ping_p99_ms) ms)",
  "  ratio pings/s ÷ the SQLite ceiling: \(.ratio); ÷ SQLite at \(.near_batch) a transaction (the batches \(.connections) connections make): \(.ratio_near_batch)"' <<<"$JSON"
exit "$FAILED"

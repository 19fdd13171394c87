#!/usr/bin/env bash
# The ceiling: what PostgreSQL itself sustains on this machine for the writes one ping
# makes (bench/ceiling.sql, one transaction per ping, run by pgbench against the service's
# schema), then the PostgreSQL ping benchmark in the same run, reported as the ratio
# pings/s ÷ pgbench TPS. The ratio is the figure that matters across machines.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
usage: bench/ceiling.sh [--quick] [--checks N] [--duration S] [--connections C] [--threads T]
                        [--no-ping]
  --checks N        checks seeded (default 10000; --quick 200)
  --duration S      seconds of pgbench, and of the ping run (default 30; --quick 3)
  --connections C   pgbench clients and wrk connections (default 64; --quick 16)
  --threads T       pgbench and wrk threads (default 2)
  --no-ping         skip the ping run; take pings/s from the latest matching PostgreSQL
                    line in bench/results/ping.jsonl
Options after -- are passed to bench/ping.sh (e.g. -- --pool 20).
USAGE
}

QUICK=0
for arg in "$@"; do [[ "$arg" == --quick ]] && QUICK=1; done
if [[ $QUICK == 1 ]]; then
	CHECKS=200 DURATION=3 CONNECTIONS=16
else
	CHECKS=10000 DURATION=30 CONNECTIONS=64
fi
THREADS=2 RUN_PING=1 PING_ARGS=()
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ;;
	--checks) CHECKS=$2 && shift ;;
	--duration) DURATION=$2 && shift ;;
	--connections) CONNECTIONS=$2 && shift ;;
	--threads) THREADS=$2 && shift ;;
	--no-ping) RUN_PING=0 ;;
	--)
		shift
		PING_ARGS=("$@")
		break
		;;
	-h | --help) usage && exit 0 ;;
	*) usage >&2 && die "unknown option $1" ;;
	esac
	shift
done
is_uint "$CHECKS" --checks
is_uint "$DURATION" --duration
is_uint "$CONNECTIONS" --connections
is_uint "$THREADS" --threads
((CHECKS > 0 && DURATION > 0 && CONNECTIONS > 0)) || die "--checks, --duration and --connections must be positive"

setup_traps
need jq jq
check_postgres
need_pgbench
build
make_workdir
capture_machine

log "ceiling: seeding $CHECKS checks"
pg_create_db
DB=$PG_DB
"$HELPER" seed --database-url "$(pg_url "$DB")" --checks "$CHECKS" >"$WORK/seed.json"
read -r FIRST_ID LAST_ID < <(psql_db "$DB" -AtF ' ' -c 'select min(id), max(id) from checks')

log "ceiling: pgbench, $CONNECTIONS clients, ${DURATION}s"
PGB_THREADS=$THREADS
((PGB_THREADS <= CONNECTIONS)) || PGB_THREADS=$CONNECTIONS
MACHINE0="$(machine_ticks)"
pgbench -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -n -M prepared -c "$CONNECTIONS" -j "$PGB_THREADS" \
	-T "$DURATION" -D first_id="$FIRST_ID" -D last_id="$LAST_ID" -f "$BENCH_DIR/ceiling.sql" "$DB" \
	>"$WORK/pgbench.out" 2>"$WORK/pgbench.err" || die "pgbench failed: $(cat "$WORK/pgbench.out" "$WORK/pgbench.err")"
MACHINE1="$(machine_ticks)"
TPS="$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$WORK/pgbench.out")"
LAT="$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$WORK/pgbench.out")"
TXNS="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")"
FAILED_TXNS="$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")"
[[ -n "$TPS" && -n "$TXNS" ]] || die "could not read pgbench's output: $(cat "$WORK/pgbench.out")"
STORED="$(psql_db "$DB" -Atc 'select count(*) from pings')"
[[ "$STORED" == "$TXNS" ]] || die "pgbench reported $TXNS transactions but $STORED pings are stored"
pg_drop_db "$DB"

FAILED=0
if [[ $RUN_PING == 1 ]]; then
	log "ceiling: the PostgreSQL ping run"
	BENCH_SKIP_BUILD=1 "$BENCH_DIR/ping.sh" --backend postgres --checks "$CHECKS" --duration "$DURATION" \
		--connections "$CONNECTIONS" --threads "$THREADS" --json-out "$WORK/ping.json" "${PING_ARGS[@]}" || FAILED=1
	[[ -s "$WORK/ping.json" ]] || die "the ping run produced no result"
	PING_JSON="$(tail -n1 "$WORK/ping.json")"
else
	PING_JSON="$(jq -c --argjson c "$CONNECTIONS" 'select(.backend == "postgres" and .connections == $c)' \
		"$RESULTS_DIR/ping.jsonl" 2>/dev/null | tail -n1)"
	[[ -n "$PING_JSON" ]] || die "no PostgreSQL ping result at $CONNECTIONS connections in $RESULTS_DIR/ping.jsonl"
fi

JSON="$(jq -cn --argjson tps "$TPS" --argjson lat "${LAT:-null}" --argjson txns "$TXNS" \
	--argjson failed "${FAILED_TXNS:-0}" --argjson checks "$CHECKS" --argjson duration "$DURATION" \
	--argjson clients "$CONNECTIONS" --argjson ping "$PING_JSON" \
	--argjson busy "$(machine_busy_pct "$MACHINE0" "$MACHINE1")" \
	'{checks: $checks, duration_s: $duration, clients: $clients,
	  pgbench_tps: (($tps * 10 | round) / 10), pgbench_latency_ms: $lat,
	  pgbench_transactions: $txns, pgbench_failed: $failed, pgbench_machine_busy_pct: $busy,
	  pings_per_s: $ping.pings_per_s, ping_p99_ms: $ping.p99_ms, ping_commit: $ping.commit,
	  ratio: ((($ping.pings_per_s / $tps) * 1000 | round) / 1000)}')"
record ceiling "$JSON"
jq -r '"ceiling: pgbench \(.pgbench_tps) TPS (one ping'"'"'s writes per transaction, \(.clients) clients, latency avg \(.pgbench_latency_ms) ms; machine \(.pgbench_machine_busy_pct)% busy)
  overdue on PostgreSQL: \(.pings_per_s) pings/s (p99 \(.ping_p99_ms) ms)
  ratio pings/s ÷ pgbench TPS: \(.ratio) (target ≥ 1.0)"' <<<"$JSON"
exit "$FAILED"

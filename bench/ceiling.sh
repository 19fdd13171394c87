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
                        [--clients "C1 C2 …"] [--no-ping]
  --checks N        checks seeded (default 10000; --quick 200)
  --duration S      seconds of pgbench, and of the ping run (default 30; --quick 3)
  --connections C   pgbench clients and wrk connections (default 64; --quick 16)
  --threads T       pgbench and wrk threads (default 2)
  --clients LIST    pgbench client counts to try; the best TPS is the ceiling
                    (default "8 16 32 64" and the connections; --quick: the connections)
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
THREADS=2 RUN_PING=1 PING_ARGS=() CLIENTS=""
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ;;
	--checks) CHECKS=$2 && shift ;;
	--duration) DURATION=$2 && shift ;;
	--connections) CONNECTIONS=$2 && shift ;;
	--threads) THREADS=$2 && shift ;;
	--no-ping) RUN_PING=0 ;;
	--clients) CLIENTS=$2 && shift ;;
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
if [[ -z "$CLIENTS" ]]; then
	if [[ $QUICK == 1 ]]; then CLIENTS="$CONNECTIONS"; else CLIENTS="8 16 32 64 $CONNECTIONS"; fi
fi
read -r -a CLIENT_LIST <<<"$(tr ' ' '\n' <<<"$CLIENTS" | grep . | sort -nu | tr '\n' ' ')"
for c in "${CLIENT_LIST[@]}"; do
	is_uint "$c" --clients
	((c > 0)) || die "--clients must be positive"
done

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

# One pgbench run per client count, each from the same seeded state (the pings inserted
# by one run stay for the next: a few more rows do not change the cost of an insert).
POINTS="[]"
for c in "${CLIENT_LIST[@]}"; do
	log "ceiling: pgbench, $c clients, ${DURATION}s"
	before="$(psql_db "$DB" -Atc 'select count(*) from pings')"
	threads=$THREADS
	((threads <= c)) || threads=$c
	machine0="$(machine_ticks)"
	pgbench -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -n -M prepared -c "$c" -j "$threads" \
		-T "$DURATION" -D first_id="$FIRST_ID" -D last_id="$LAST_ID" -f "$BENCH_DIR/ceiling.sql" "$DB" \
		>"$WORK/pgbench.out" 2>"$WORK/pgbench.err" || die "pgbench failed: $(cat "$WORK/pgbench.out" "$WORK/pgbench.err")"
	machine1="$(machine_ticks)"
	tps="$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p' "$WORK/pgbench.out")"
	lat="$(sed -n 's/^latency average = \([0-9.]*\) ms$/\1/p' "$WORK/pgbench.out")"
	txns="$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")"
	failed="$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench.out")"
	[[ -n "$tps" && -n "$txns" ]] || die "could not read pgbench's output: $(cat "$WORK/pgbench.out")"
	stored=$(($(psql_db "$DB" -Atc 'select count(*) from pings') - before))
	[[ "$stored" == "$txns" ]] || die "pgbench reported $txns transactions but $stored pings were stored"
	POINTS="$(jq -c --argjson c "$c" --argjson tps "$tps" --argjson lat "${lat:-null}" --argjson txns "$txns" \
		--argjson failed "${failed:-0}" --argjson busy "$(machine_busy_pct "$machine0" "$machine1")" \
		'. + [{clients: $c, tps: (($tps * 10 | round) / 10), latency_ms: $lat, transactions: $txns,
		       failed: $failed, machine_busy_pct: $busy}]' <<<"$POINTS")"
	log "ceiling: $c clients: $tps TPS"
done
pg_drop_db "$DB"

ping_for_ratio postgres --threads "$THREADS" "${PING_ARGS[@]}"
FAILED=$PING_FAILED

JSON="$(jq -cn --argjson points "$POINTS" --argjson checks "$CHECKS" --argjson duration "$DURATION" \
	--argjson connections "$CONNECTIONS" --argjson ping "$PING_JSON" \
	'def r3(n): (n * 1000 | round) / 1000;
	 ($points | max_by(.tps)) as $best
	 | ([$points[] | select(.clients == $connections)] | first) as $same
	 | {checks: $checks, duration_s: $duration, connections: $connections,
	    pgbench_tps: $best.tps, pgbench_best_clients: $best.clients,
	    pgbench_latency_ms: $best.latency_ms,
	    pgbench_tps_same_clients: $same.tps,
	    pgbench: $points,
	    pings_per_s: $ping.pings_per_s, ping_p99_ms: $ping.p99_ms, ping_commit: $ping.commit,
	    ratio: r3($ping.pings_per_s / $best.tps),
	    ratio_same_clients: (if $same then r3($ping.pings_per_s / $same.tps) else null end)}')"
record ceiling "$JSON"
jq -r '"ceiling: pgbench, one ping'"'"'s writes per transaction: best \(.pgbench_tps) TPS at \(.pgbench_best_clients) clients (latency avg \(.pgbench_latency_ms) ms)",
  (.pgbench[] | "    \(.clients) clients: \(.tps) TPS, latency avg \(.latency_ms) ms, machine \(.machine_busy_pct)% busy"),
  "  overdue on PostgreSQL: \(.pings_per_s) pings/s at \(.connections) connections (p99 \(.ping_p99_ms) ms)",
  "  ratio pings/s ÷ best pgbench TPS: \(.ratio) (target ≥ 1.0); ÷ pgbench at \(.connections) clients: \(.ratio_same_clients)"' <<<"$JSON"
exit "$FAILED"

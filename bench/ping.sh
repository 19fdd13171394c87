#!/usr/bin/env bash
# Ping intake: N checks, wrk at C connections for D seconds against random ping URLs, on
# SQLite and PostgreSQL. Reports pings/s, latency, errors, server CPU and peak RSS, and
# verifies that the database holds exactly as many pings as wrk counted 2xx answers.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
usage: bench/ping.sh [--quick] [--checks N] [--duration S] [--connections C] [--threads T]
                     [--backend sqlite|postgres|both] [--pool N] [--allow-errors]
                     [--json-out FILE]
  --checks N        checks seeded (default 10000; --quick 2000)
  --duration S      seconds of load (default 30; --quick 3)
  --connections C   wrk connections (default 64; --quick 16)
  --threads T       wrk threads (default 2)
  --backend B       sqlite, postgres or both (default both)
  --pool N          OVERDUE_DB_MAX_CONNECTIONS for the server (default: the service's)
  --allow-errors    do not fail on non-2xx answers or socket errors
  --json-out FILE   also append each result line to FILE
USAGE
}

QUICK=0
for arg in "$@"; do [[ "$arg" == --quick ]] && QUICK=1; done
if [[ $QUICK == 1 ]]; then
	CHECKS=2000 DURATION=3 CONNECTIONS=16
else
	CHECKS=10000 DURATION=30 CONNECTIONS=64
fi
THREADS=2 BACKEND=both POOL="" ALLOW_ERRORS=0 JSON_OUT=""
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ;;
	--checks) CHECKS=$2 && shift ;;
	--duration) DURATION=$2 && shift ;;
	--connections) CONNECTIONS=$2 && shift ;;
	--threads) THREADS=$2 && shift ;;
	--backend) BACKEND=$2 && shift ;;
	--pool) POOL=$2 && shift ;;
	--allow-errors) ALLOW_ERRORS=1 ;;
	--json-out) JSON_OUT=$2 && shift ;;
	-h | --help) usage && exit 0 ;;
	*) usage >&2 && die "unknown option $1" ;;
	esac
	shift
done
is_uint "$CHECKS" --checks
is_uint "$DURATION" --duration
is_uint "$CONNECTIONS" --connections
is_uint "$THREADS" --threads
[[ -z "$POOL" ]] || is_uint "$POOL" --pool
backends_of "$BACKEND"
((CHECKS > 0 && DURATION > 0 && CONNECTIONS > 0)) || die "--checks, --duration and --connections must be positive"

setup_traps
need wrk wrk
need sqlite3 sqlite3
need jq jq
[[ " ${BACKENDS[*]} " == *" postgres "* ]] && check_postgres
build
make_workdir
capture_machine

FAILED=0

run_backend() {
	local backend=$1 url db_path="" db=""
	log "ping/$backend: seeding $CHECKS checks"
	if [[ $backend == sqlite ]]; then
		db_path="$WORK/ping.db"
		url="sqlite://$db_path"
	else
		pg_create_db
		db=$PG_DB
		url="$(pg_url "$db")"
	fi
	"$HELPER" seed --database-url "$url" --checks "$CHECKS" --uuids "$WORK/uuids.txt" >"$WORK/seed.json"

	local port
	port="$(free_port)"
	# No pruning during the run, so every stored ping can be counted afterwards.
	SERVER_ENV=(OVERDUE_PING_LOG_LIMIT=1000000000)
	[[ -z "$POOL" ]] || SERVER_ENV+=("OVERDUE_DB_MAX_CONNECTIONS=$POOL")
	start_server "$WORK/server-$backend.log" "$url" "$port"
	local pid=$SERVER_PID
	wait_healthz "$port" "$pid" 60 || die "server did not become healthy: $(tail -n 20 "$WORK/server-$backend.log")"
	sleep 1
	local idle_rss_kb
	idle_rss_kb="$(status_kb "$pid" VmRSS)"

	log "ping/$backend: wrk, $CONNECTIONS connections, ${DURATION}s"
	[[ -z "$db" ]] || pg_backend_ticks "$db" >"$WORK/pg0"
	local cpu0 cpu1
	local machine0 machine1
	machine0="$(machine_ticks)"
	cpu0="$(cpu_ticks "$pid")"
	run_wrk "$port" "$WORK/uuids.txt" "$DURATION" "$CONNECTIONS" "$THREADS" "$WORK/wrk-$backend.out"
	cpu1="$(cpu_ticks "$pid")"
	machine1="$(machine_ticks)"
	local db_ticks=null
	if [[ -n "$db" ]]; then
		pg_backend_ticks "$db" >"$WORK/pg1"
		db_ticks="$(pg_ticks_delta "$WORK/pg0" "$WORK/pg1")"
	fi
	local peak_rss_kb
	peak_rss_kb="$(status_kb "$pid" VmHWM)"
	stop_server "$pid"

	local counts stored sum_n
	if [[ $backend == sqlite ]]; then
		counts="$(sqlite3 "$db_path" 'select count(*) from pings; select coalesce(sum(n_pings), 0) from checks;')"
	else
		counts="$(psql_db "$db" -Atc 'select count(*) from pings' -c 'select coalesce(sum(n_pings), 0) from checks')"
	fi
	stored="$(sed -n 1p <<<"$counts")"
	sum_n="$(sed -n 2p <<<"$counts")"
	local count_ok=true
	[[ "$stored" == "$W_ok" && "$sum_n" == "$W_ok" ]] || count_ok=false

	local json
	json="$(jq -cn \
		--arg backend "$backend" --argjson checks "$CHECKS" --argjson duration "$DURATION" \
		--argjson connections "$CONNECTIONS" --argjson threads "$THREADS" \
		--arg pool "${POOL:-default}" \
		--argjson sent "$W_sent" --argjson ok "$W_ok" --argjson non2xx "$W_non2xx" \
		--argjson sock "$((W_connect + W_read + W_write))" --argjson timeouts "$W_timeout" \
		--argjson p50 "$W_p50_us" --argjson p90 "$W_p90_us" --argjson p99 "$W_p99_us" \
		--argjson p999 "$W_p999_us" --argjson max "$W_max_us" --argjson mean "$W_mean_us" \
		--argjson stored "$stored" --argjson sum_n "$sum_n" --argjson count_ok "$count_ok" \
		--argjson cpu_ticks "$((cpu1 - cpu0))" --argjson tck "$CLK_TCK" \
		--argjson db_ticks "$db_ticks" --argjson wrk_cpu "$W_cpu_s" \
		--argjson idle_rss "$idle_rss_kb" --argjson peak_rss "$peak_rss_kb" \
		--argjson machine_busy "$(machine_busy_pct "$machine0" "$machine1")" \
		'def r(n): (n * 10 | round) / 10;
		 def r3(n): (n * 1000 | round) / 1000;
		 {backend: $backend, checks: $checks, duration_s: $duration, connections: $connections,
		  wrk_threads: $threads, pool: $pool,
		  pings_per_s: r($ok / $duration),
		  p50_ms: r3($p50 / 1000), p90_ms: r3($p90 / 1000), p99_ms: r3($p99 / 1000),
		  p999_ms: r3($p999 / 1000), max_ms: r3($max / 1000), mean_ms: r3($mean / 1000),
		  sent: $sent, ok_2xx: $ok, non_2xx: $non2xx, socket_errors: $sock, timeouts: $timeouts,
		  stored_pings: $stored, sum_n_pings: $sum_n, count_matches: $count_ok,
		  server_cpu_pct: r($cpu_ticks / $tck / $duration * 100),
		  server_cpu_us_per_ping: (if $ok > 0 then r($cpu_ticks / $tck / $ok * 1e6) else null end),
		  db_cpu_pct: (if $db_ticks == null then null else r($db_ticks / $tck / $duration * 100) end),
		  wrk_cpu_pct: r($wrk_cpu / $duration * 100),
		  idle_rss_mb: r($idle_rss / 1024), peak_rss_mb: r($peak_rss / 1024),
		  machine_busy_pct: $machine_busy}')"
	record ping "$json"
	[[ -z "$JSON_OUT" ]] || printf '%s\n' "$json" >>"$JSON_OUT"

	jq -r '"ping/\(.backend): \(.pings_per_s) pings/s over \(.duration_s) s, \(.checks) checks, \(.connections) connections
  latency ms: p50 \(.p50_ms)  p90 \(.p90_ms)  p99 \(.p99_ms)  max \(.max_ms)
  answers: \(.ok_2xx) 2xx, \(.non_2xx) non-2xx, \(.socket_errors) socket errors, \(.timeouts) timeouts
  stored: \(.stored_pings) pings, sum(n_pings) \(.sum_n_pings): \(if .count_matches then "matches" else "MISMATCH" end) the 2xx count
  server: \(.server_cpu_pct)% of a core (\(.server_cpu_us_per_ping) µs CPU per ping), RSS idle \(.idle_rss_mb) MB, peak \(.peak_rss_mb) MB
  database backends: \(.db_cpu_pct // "in-process")\(if .db_cpu_pct then "% of a core" else "" end); wrk: \(.wrk_cpu_pct)% of a core; whole machine \(.machine_busy_pct)% busy"' <<<"$json"

	if [[ $count_ok != true ]]; then
		log "ping/$backend: FAILED: wrk counted $W_ok 2xx answers but the database holds $stored pings (sum of n_pings $sum_n)"
		FAILED=1
	fi
	if ((W_ok == 0)); then
		log "ping/$backend: FAILED: no ping was answered 2xx"
		FAILED=1
	fi
	if [[ $ALLOW_ERRORS == 0 ]] && ((W_non2xx + W_connect + W_read + W_write > 0)); then
		log "ping/$backend: FAILED: $W_non2xx non-2xx answers, $((W_connect + W_read + W_write)) socket errors"
		FAILED=1
	fi
	[[ -z "$db" ]] || pg_drop_db "$db"
	rm -f "$WORK/ping.db" "$WORK/ping.db-wal" "$WORK/ping.db-shm"
}

for b in "${BACKENDS[@]}"; do
	run_backend "$b"
done
exit "$FAILED"

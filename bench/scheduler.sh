#!/usr/bin/env bash
# The scheduler: M checks (default 1 000 000), of which K (default 10 000) share one
# deadline a few seconds ahead, each with one channel so that going down writes an outbox
# row. Measures the time from that deadline until all K are down with their outbox rows
# written; the process's CPU over an idle minute afterwards (M checks, none due); and the
# start-up time to serving with M checks, without and with the jobs.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
usage: bench/scheduler.sh [--quick] [--checks M] [--due K] [--idle S] [--startup-runs R]
                          [--backend sqlite|postgres|both] [--sink silent|refused]
  --checks M        checks seeded (default 1000000; --quick 20000)
  --due K           checks sharing the deadline (default 10000; --quick 1000)
  --idle S          seconds of the idle CPU measurement (default 60; --quick 5)
  --startup-runs R  start-up timings per mode (default 3; --quick 1)
  --backend B       sqlite, postgres or both (default both)
  --sink S          where the channel's webhook goes: silent (a loopback port that accepts
                    and never answers, so the notifier waits on its first delivery and the
                    measurement is the scheduler's; default) or refused (a closed port: the
                    notifier fails and retries alongside the scheduler)
USAGE
}

QUICK=0
for arg in "$@"; do [[ "$arg" == --quick ]] && QUICK=1; done
if [[ $QUICK == 1 ]]; then
	CHECKS=20000 DUE=1000 IDLE=5 RUNS=1 LEAD_MS=2500 WAIT_S=30
else
	CHECKS=1000000 DUE=10000 IDLE=60 RUNS=3 LEAD_MS=4000 WAIT_S=120
fi
BACKEND=both SINK=silent
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ;;
	--checks) CHECKS=$2 && shift ;;
	--due) DUE=$2 && shift ;;
	--idle) IDLE=$2 && shift ;;
	--startup-runs) RUNS=$2 && shift ;;
	--backend) BACKEND=$2 && shift ;;
	--sink) SINK=$2 && shift ;;
	-h | --help) usage && exit 0 ;;
	*) usage >&2 && die "unknown option $1" ;;
	esac
	shift
done
is_uint "$CHECKS" --checks
is_uint "$DUE" --due
is_uint "$IDLE" --idle
is_uint "$RUNS" --startup-runs
((DUE > 0 && DUE <= CHECKS)) || die "--due must be between 1 and --checks"
((IDLE > 0 && RUNS > 0)) || die "--idle and --startup-runs must be positive"
case "$SINK" in silent | refused) ;; *) die "--sink must be silent or refused" ;; esac
backends_of "$BACKEND"

setup_traps
need jq jq
need sqlite3 sqlite3
[[ " ${BACKENDS[*]} " == *" postgres "* ]] && check_postgres
build
make_workdir
capture_machine

# The webhook's target.
if [[ $SINK == silent ]]; then
	"$HELPER" blackhole --seconds 3600 >"$WORK/sink.port" &
	BENCH_PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do
		[[ -s "$WORK/sink.port" ]] && break
		sleep 0.05
	done
	SINK_PORT="$(cat "$WORK/sink.port")"
	[[ -n "$SINK_PORT" ]] || die "the silent sink did not start"
else
	SINK_PORT="$(free_port)"
fi
SINK_URL="http://127.0.0.1:$SINK_PORT/down"

now_ms() { date +%s%3N; }

# Median and max of numbers, one a line.
median_max() { sort -n | awk '{a[NR] = $1} END {printf "%s %s", a[int((NR + 1) / 2)], a[NR]}'; }

FAILED=0

run_backend() {
	local backend=$1 url db="" db_path=""
	if [[ $backend == sqlite ]]; then
		db_path="$WORK/scheduler.db"
		url="sqlite://$db_path"
	else
		pg_create_db
		db=$PG_DB
		url="$(pg_url "$db")"
	fi
	log "scheduler/$backend: seeding $CHECKS checks, $DUE of them with a channel"
	"$HELPER" seed --database-url "$url" --checks "$CHECKS" --channel-url "$SINK_URL" \
		--channel-checks "$DUE" >"$WORK/seed.json"
	local seed_s
	seed_s="$(jq .seconds "$WORK/seed.json")"

	local server_env=(DATABASE_URL="$url" OVERDUE_ALLOW_PRIVATE_TARGETS=true OVERDUE_NOTIFY_TIMEOUT=300)

	# Start-up to serving, nothing due: without jobs, then with them.
	local mode run port startup_none startup_all
	for mode in none all; do
		: >"$WORK/startup-$mode"
		for ((run = 1; run <= RUNS; run++)); do
			port="$(free_port)"
			env "${server_env[@]}" OVERDUE_LISTEN="127.0.0.1:$port" OVERDUE_SITE_ROOT="http://127.0.0.1:$port" \
				"$HELPER" startup --url "http://127.0.0.1:$port/healthz" --timeout-s 60 \
				--log "$WORK/startup-$backend-$mode-$run.log" -- "$OVERDUE" serve --jobs "$mode" \
				>"$WORK/startup.json" || die "start-up failed: $(tail -n 20 "$WORK/startup-$backend-$mode-$run.log")"
			jq .startup_ms "$WORK/startup.json" >>"$WORK/startup-$mode"
		done
	done
	startup_none="$(median_max <"$WORK/startup-none")"
	startup_all="$(median_max <"$WORK/startup-all")"
	log "scheduler/$backend: start-up to serving: $(printf '%.0f' "${startup_none% *}") ms without jobs, $(printf '%.0f' "${startup_all% *}") ms with (median of $RUNS)"

	# The jobs only, with the real clock.
	SERVER_ENV=(OVERDUE_ALLOW_PRIVATE_TARGETS=true OVERDUE_NOTIFY_TIMEOUT=300)
	port="$(free_port)"
	start_server "$WORK/server-$backend.log" "$url" "$port" --http none
	local pid=$SERVER_PID
	sleep 2
	kill -0 "$pid" 2>/dev/null || die "the jobs process exited: $(tail -n 20 "$WORK/server-$backend.log")"

	local at_ms cpu0 cpu1 flips_json
	at_ms=$(($(now_ms) + LEAD_MS))
	"$HELPER" arm --database-url "$url" --count "$DUE" --at-ms "$at_ms"
	log "scheduler/$backend: $DUE checks due at +${LEAD_MS} ms; waiting for the flips"
	cpu0="$(cpu_ticks "$pid")"
	if ! "$HELPER" wait-flips --database-url "$url" --expect "$DUE" --since-ms "$at_ms" \
		--interval-ms 50 --timeout-s "$WAIT_S" >"$WORK/flips.json"; then
		log "scheduler/$backend: FAILED: not every check went down in time: $(cat "$WORK/flips.json")"
		FAILED=1
	fi
	cpu1="$(cpu_ticks "$pid")"
	flips_json="$(cat "$WORK/flips.json")"
	[[ -n "$flips_json" ]] || flips_json='{}'

	# Idle: nothing due, M checks.
	sleep 2
	log "scheduler/$backend: idle CPU over ${IDLE}s"
	local idle0 idle1 db_ticks=null
	[[ -z "$db" ]] || pg_backend_ticks "$db" >"$WORK/pg0"
	idle0="$(cpu_ticks "$pid")"
	sleep "$IDLE"
	idle1="$(cpu_ticks "$pid")"
	if [[ -n "$db" ]]; then
		pg_backend_ticks "$db" >"$WORK/pg1"
		db_ticks="$(pg_ticks_delta "$WORK/pg0" "$WORK/pg1")"
	fi
	local rss_kb hwm_kb
	rss_kb="$(status_kb "$pid" VmRSS)"
	hwm_kb="$(status_kb "$pid" VmHWM)"
	# A graceful stop waits for the notifier's in-flight delivery, which the silent sink
	# holds for OVERDUE_NOTIFY_TIMEOUT: give it a moment, then kill it (the measurement is over).
	STOP_QUIET=1 stop_server "$pid" 3

	local down queued
	if [[ $backend == sqlite ]]; then
		down="$(sqlite3 "$db_path" "select count(*) from checks where status = 'down'")"
		queued="$(sqlite3 "$db_path" "select count(*) from notifications")"
	else
		down="$(psql_db "$db" -Atc "select count(*) from checks where status = 'down'")"
		queued="$(psql_db "$db" -Atc "select count(*) from notifications")"
	fi
	if [[ "$down" != "$DUE" || "$queued" != "$DUE" ]]; then
		log "scheduler/$backend: FAILED: $down checks down and $queued notifications, expected $DUE of each"
		FAILED=1
	fi

	local json
	json="$(jq -cn --arg backend "$backend" --argjson checks "$CHECKS" --argjson due "$DUE" \
		--arg sink "$SINK" --argjson seed_s "$seed_s" --argjson flips "$flips_json" \
		--arg s_none "$startup_none" --arg s_all "$startup_all" --argjson runs "$RUNS" \
		--argjson burst_ticks "$((cpu1 - cpu0))" --argjson idle_ticks "$((idle1 - idle0))" \
		--argjson db_ticks "$db_ticks" --argjson tck "$CLK_TCK" --argjson idle "$IDLE" \
		--argjson rss "$rss_kb" --argjson hwm "$hwm_kb" --argjson down "$down" --argjson queued "$queued" \
		'def r(n): (n * 100 | round) / 100;
		 def num(s): s | split(" ") | map(tonumber);
		 {backend: $backend, checks: $checks, due: $due, sink: $sink, seed_s: r($seed_s),
		  startup_ms_jobs_none: r(num($s_none)[0]), startup_ms_jobs_none_max: r(num($s_none)[1]),
		  startup_ms_jobs_all: r(num($s_all)[0]), startup_ms_jobs_all_max: r(num($s_all)[1]),
		  startup_runs: $runs,
		  first_flip_ms: $flips.first_flip_ms, all_down_ms: $flips.all_flipped_ms,
		  all_queued_ms: $flips.all_queued_ms,
		  burst_cpu_s: r($burst_ticks / $tck),
		  idle_s: $idle, idle_cpu_s: r($idle_ticks / $tck),
		  idle_cpu_pct: ((($idle_ticks / $tck / $idle * 100) * 1000 | round) / 1000),
		  idle_db_cpu_pct: (if $db_ticks == null then null else r($db_ticks / $tck / $idle * 100) end),
		  idle_rss_mb: r($rss / 1024), peak_rss_mb: r($hwm / 1024),
		  down: $down, queued: $queued}')"
	record scheduler "$json"
	jq -r '"scheduler/\(.backend): \(.checks) checks, \(.due) due at once (sink: \(.sink)); seeded in \(.seed_s) s
  deadline → first down \(.first_flip_ms) ms, all down \(.all_down_ms) ms, all queued \(.all_queued_ms) ms (target 2000 ms); \(.burst_cpu_s) s CPU
  idle with \(.checks) checks: \(.idle_cpu_pct)% of a core (\(.idle_cpu_s) s CPU in \(.idle_s) s; target < 1%)\(if .idle_db_cpu_pct == null then "" else "; database backends \(.idle_db_cpu_pct)%" end)
  memory: RSS \(.idle_rss_mb) MB idle, peak \(.peak_rss_mb) MB
  start-up to /healthz 200: \(.startup_ms_jobs_none) ms without jobs, \(.startup_ms_jobs_all) ms with jobs (median of \(.startup_runs); target 1000 ms)"' <<<"$json"

	[[ -z "$db" ]] || pg_drop_db "$db"
	rm -f "$WORK/scheduler.db" "$WORK/scheduler.db-wal" "$WORK/scheduler.db-shm"
}

for b in "${BACKENDS[@]}"; do
	run_backend "$b"
done
exit "$FAILED"

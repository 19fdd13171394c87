#!/usr/bin/env bash
# Noisy neighbours: how long another tenant's alert takes from its ping to its webhook
# when one project has N checks down on a webhook that never answers, and when one check
# flaps as fast as pings go, against the same alert with nobody else around. Each
# scenario runs on a fresh database with `overdue serve` (HTTP and jobs, the real clock).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
usage: bench/noisy-neighbour.sh [--quick] [--hung N] [--flap-seconds S] [--victims R]
                                [--notify-timeout T] [--wait S] [--backend sqlite|postgres|both]
  --hung N            checks of the noisy project that go down on a webhook that accepts
                      connections and never answers (default 60)
  --flap-seconds S    how long the flapping check flaps (default 20; --quick 5)
  --victims R         alerts of the quiet project timed per scenario, one after another
                      (default 10; --quick 3)
  --notify-timeout T  OVERDUE_NOTIFY_TIMEOUT for the server (default 10, the service's)
  --wait S            longest wait for one alert before the run counts as failed
                      (default 600; --quick 30)
  --backend B         sqlite, postgres or both (default both)
USAGE
}

QUICK=0
for arg in "$@"; do [[ "$arg" == --quick ]] && QUICK=1; done
if [[ $QUICK == 1 ]]; then
	FLAP_S=5 VICTIMS=3 WAIT_S=30
else
	FLAP_S=20 VICTIMS=10 WAIT_S=600
fi
HUNG=60 TIMEOUT=10 BACKEND=both
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ;;
	--hung) HUNG=$2 && shift ;;
	--flap-seconds) FLAP_S=$2 && shift ;;
	--victims) VICTIMS=$2 && shift ;;
	--notify-timeout) TIMEOUT=$2 && shift ;;
	--wait) WAIT_S=$2 && shift ;;
	--backend) BACKEND=$2 && shift ;;
	-h | --help) usage && exit 0 ;;
	*) usage >&2 && die "unknown option $1" ;;
	esac
	shift
done
is_uint "$HUNG" --hung
is_uint "$FLAP_S" --flap-seconds
is_uint "$VICTIMS" --victims
is_uint "$TIMEOUT" --notify-timeout
is_uint "$WAIT_S" --wait
((HUNG > 0 && FLAP_S > 0 && VICTIMS > 0 && WAIT_S > 0)) || die "--hung, --flap-seconds, --victims and --wait must be positive"
((TIMEOUT >= 1 && TIMEOUT <= 300)) || die "--notify-timeout must be between 1 and 300"
backends_of "$BACKEND"

setup_traps
need jq jq
need curl curl
need sqlite3 sqlite3
[[ " ${BACKENDS[*]} " == *" postgres "* ]] && check_postgres
build
make_workdir
capture_machine

# start_helper NAME ARGS…: runs the helper in the background, waits for the port it
# prints, and sets HELPER_PORT.
start_helper() {
	local name=$1 i
	shift
	"$HELPER" "$@" >"$WORK/$name.port" &
	BENCH_PIDS+=("$!")
	for ((i = 0; i < 100; i++)); do
		[[ -s "$WORK/$name.port" ]] && break
		sleep 0.05
	done
	HELPER_PORT="$(cat "$WORK/$name.port")"
	[[ -n "$HELPER_PORT" ]] || die "the $name did not start"
}

# The noisy project's webhook: a port that accepts and never answers.
start_helper blackhole blackhole --seconds 7200
SINK_URL="http://127.0.0.1:$HELPER_PORT/down"
# The quiet project's and the flapping check's webhooks: a receiver that logs arrivals.
RECEIVED="$WORK/received.log"
: >"$RECEIVED"
start_helper receiver receiver --log "$RECEIVED" --seconds 7200
RECEIVER="http://127.0.0.1:$HELPER_PORT"

# Median and max of numbers, one a line, as JSON.
stats() { sort -n | jq -sc '{median_ms: (if length == 0 then null else .[(length - 1) / 2 | floor] end), max_ms: max, n: length}'; }

FAILED=0

# sql BACKEND URL QUERY: one value.
sql() {
	if [[ $1 == sqlite ]]; then
		sqlite3 "${2#sqlite://}" "$3"
	else
		psql_db "${2##*/}" -Atc "$3"
	fi
}

# scenario BACKEND NAME: a fresh database and server; the noise NAME makes (quiet, hung
# or flapping) while the quiet project's alerts are timed. Sets SCENARIO_JSON.
scenario() {
	local backend=$1 name=$2 url db="" port pid base i uuid flap_pid="" t_flap=0
	if [[ $backend == sqlite ]]; then
		url="sqlite://$WORK/noisy-$name.db"
	else
		pg_create_db
		db=$PG_DB
		url="$(pg_url "$db")"
	fi
	"$HELPER" seed --database-url "$url" --checks "$HUNG" --channel-url "$SINK_URL" \
		--channel-checks "$HUNG" --owner noisy@example.invalid --project noisy --name-prefix noisy \
		--uuids "$WORK/noisy.uuids" >/dev/null
	"$HELPER" seed --database-url "$url" --checks 1 --channel-url "$RECEIVER/flapping" \
		--channel-checks 1 --channel-up --owner flapping@example.invalid --project flapping \
		--name-prefix flapping --uuids "$WORK/flapping.uuids" >/dev/null
	"$HELPER" seed --database-url "$url" --checks "$VICTIMS" --channel-url "$RECEIVER/quiet" \
		--channel-checks "$VICTIMS" --owner quiet@example.invalid --project quiet --name-prefix quiet \
		--uuids "$WORK/quiet.uuids" >/dev/null

	SERVER_ENV=(OVERDUE_ALLOW_PRIVATE_TARGETS=true OVERDUE_NOTIFY_TIMEOUT="$TIMEOUT")
	port="$(free_port)"
	start_server "$WORK/server-$backend-$name.log" "$url" "$port"
	pid=$SERVER_PID
	wait_healthz "$port" "$pid" || die "the server did not start: $(tail -n 20 "$WORK/server-$backend-$name.log")"
	base="http://127.0.0.1:$port"

	case "$name" in
	hung)
		log "noisy-neighbour/$backend: $HUNG checks go down on a webhook that never answers"
		while read -r uuid; do
			curl -fsS -o /dev/null "$base/ping/$uuid/fail" || die "a noisy ping failed"
		done <"$WORK/noisy.uuids"
		sleep 1 # the noisy sends are in flight
		;;
	flapping)
		log "noisy-neighbour/$backend: a check flaps for ${FLAP_S}s"
		t_flap=$(date +%s%3N)
		"$HELPER" flap --base "$base" --uuid "$(head -n1 "$WORK/flapping.uuids")" \
			--seconds "$FLAP_S" >"$WORK/flap.json" &
		flap_pid=$!
		BENCH_PIDS+=("$flap_pid")
		sleep 1
		;;
	esac

	: >"$WORK/latencies"
	i=0
	while read -r uuid; do
		if "$HELPER" alert --ping-url "$base/ping/$uuid/fail" --log "$RECEIVED" \
			--expect "/quiet quiet $i is down" --timeout-s "$WAIT_S" >"$WORK/alert.json"; then
			jq .latency_ms "$WORK/alert.json" >>"$WORK/latencies"
		else
			log "noisy-neighbour/$backend/$name: FAILED: alert $i did not arrive within ${WAIT_S}s"
			FAILED=1
		fi
		i=$((i + 1))
		sleep 0.2
	done <"$WORK/quiet.uuids"

	local extra='{}'
	if [[ -n "$flap_pid" ]]; then
		wait "$flap_pid" || die "the flapping pings failed"
		forget_pid "$flap_pid"
		sleep 2 # what the last changes queued goes out, or waits for its window
		local changes queued sent
		changes="$(sql "$backend" "$url" "select count(*) from flips f join checks c on c.id = f.check_id where c.name = 'flapping 0'")"
		queued="$(sql "$backend" "$url" "select count(*) from notifications n join checks c on c.id = n.check_id where c.name = 'flapping 0'")"
		sent="$(awk -v t="$t_flap" '$1 >= t && $2 == "/flapping"' "$RECEIVED" | wc -l)"
		extra="$(jq -c --argjson changes "$changes" --argjson queued "$queued" --argjson sent "$sent" \
			'{flap_pings: .pings, flap_changes: $changes, flap_notifications_queued: $queued,
			  flap_notifications_sent: $sent}' "$WORK/flap.json")"
	fi
	# A graceful stop waits for sends in flight, which the silent webhook holds for the
	# notification timeout: give it a moment, then kill it (the measurement is over).
	STOP_QUIET=1 stop_server "$pid" 3
	SCENARIO_JSON="$(stats <"$WORK/latencies" | jq -c --argjson extra "$extra" '. + $extra')"
	[[ -z "$db" ]] || pg_drop_db "$db"
	rm -f "$WORK/noisy-$name.db" "$WORK/noisy-$name.db-wal" "$WORK/noisy-$name.db-shm"
}

run_backend() {
	local backend=$1 quiet hung flapping json
	log "noisy-neighbour/$backend: $VICTIMS alerts of a quiet project, alone"
	scenario "$backend" quiet
	quiet=$SCENARIO_JSON
	scenario "$backend" hung
	hung=$SCENARIO_JSON
	scenario "$backend" flapping
	flapping=$SCENARIO_JSON
	json="$(jq -cn --arg backend "$backend" --argjson hung_checks "$HUNG" --argjson flap_s "$FLAP_S" \
		--argjson victims "$VICTIMS" --argjson timeout "$TIMEOUT" --argjson quiet "$quiet" \
		--argjson hung "$hung" --argjson flapping "$flapping" \
		'{backend: $backend, hung_checks: $hung_checks, flap_seconds: $flap_s, victims: $victims,
		  notify_timeout: $timeout, alone: $quiet, hung: $hung, flapping: $flapping}')"
	record noisy-neighbour "$json"
	jq -r '"noisy-neighbour/\(.backend): from the fail ping of a quiet project to its webhook (median / max of \(.victims))
  alone:                                         \(.alone.median_ms) / \(.alone.max_ms) ms
  beside \(.hung_checks) checks on a webhook that never answers: \(.hung.median_ms) / \(.hung.max_ms) ms (notify timeout \(.notify_timeout) s)
  beside a check flapping for \(.flap_seconds) s:              \(.flapping.median_ms) / \(.flapping.max_ms) ms
  the flapping check: \(.flapping.flap_pings) pings, \(.flapping.flap_changes) status changes, \(.flapping.flap_notifications_queued) notifications queued, \(.flapping.flap_notifications_sent) delivered"' <<<"$json"
	# Coalescing: the first changes go out as they happen, then one message a window.
	local bound=$((3 + FLAP_S / 120))
	if (($(jq .flapping.flap_notifications_queued <<<"$json") > bound)); then
		log "noisy-neighbour/$backend: FAILED: the flapping check queued more than $bound notifications"
		FAILED=1
	fi
}

for b in "${BACKENDS[@]}"; do
	run_backend "$b"
done
exit "$FAILED"

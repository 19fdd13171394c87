# shellcheck shell=bash
# Shared functions of the benchmark scripts: installing tools, building, fresh databases,
# starting and stopping the server, reading /proc, and writing results. Sourced, not run.

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$BENCH_DIR/.." && pwd)"
# The binaries under test are copies made right after the build (target/bench-bin), so
# that another build into target/release during a long run cannot swap them midway.
BIN_DIR="$ROOT/target/bench-bin"
[[ -x "$BIN_DIR/overdue" && -x "$BIN_DIR/overdue-bench" ]] || BIN_DIR="$ROOT/target/release"
OVERDUE="$BIN_DIR/overdue"
HELPER="$BIN_DIR/overdue-bench"
RESULTS_DIR="$BENCH_DIR/results"
PG_HOST="${PGHOST:-127.0.0.1}"
PG_PORT="${PGPORT:-5432}"
PG_USER="${PGUSER:-postgres}"
# shellcheck disable=SC2034 # used by the scripts that source this file
CLK_TCK="$(getconf CLK_TCK)"

# What the cleanup trap undoes: processes we started, databases we created, the temp dir.
BENCH_PIDS=()
BENCH_DBS=()
WORK=""
APT_UPDATED=0

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

# Installs Debian packages (root only); runs apt-get update once if an install fails.
apt_install() {
	if [[ $(id -u) -ne 0 ]]; then
		die "missing $*: install it (apt-get install $*) or run as root"
	fi
	log "installing $* from Debian's packages"
	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1; then
		if [[ $APT_UPDATED -eq 0 ]]; then
			apt-get update -qq >/dev/null 2>&1 || true
			APT_UPDATED=1
		fi
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null ||
			die "apt-get install $* failed"
	fi
}

# need CMD PACKAGE: makes sure CMD exists, installing PACKAGE if not.
need() {
	command -v "$1" >/dev/null 2>&1 || apt_install "$2"
	command -v "$1" >/dev/null 2>&1 || die "$1 is still missing after installing $2"
}

# pgbench ships with the PostgreSQL server package; /usr/bin/pgbench may be only
# postgresql-common's wrapper, so check that it runs.
need_pgbench() {
	if ! pgbench --version >/dev/null 2>&1; then
		apt_install postgresql-contrib
	fi
	pgbench --version >/dev/null 2>&1 || die "pgbench does not run after installing postgresql-contrib"
}

# Builds the service and the helper, unless BENCH_SKIP_BUILD=1 (all.sh builds once).
build() {
	need curl curl
	if [[ "${BENCH_SKIP_BUILD:-0}" != 1 ]]; then
		BENCH_COMMIT="$(git_commit)"
		export BENCH_COMMIT
		command -v cargo >/dev/null 2>&1 || die "cargo is missing: install Rust first"
		log "building the release binaries (cargo build --release)"
		(cd "$ROOT" && cargo build --release --quiet --bin overdue --bin overdue-bench) ||
			die "cargo build --release failed"
		local bin
		mkdir -p "$ROOT/target/bench-bin"
		for bin in overdue overdue-bench; do
			cp "$ROOT/target/release/$bin" "$ROOT/target/bench-bin/$bin.tmp.$$"
			mv -f "$ROOT/target/bench-bin/$bin.tmp.$$" "$ROOT/target/bench-bin/$bin"
		done
		printf '%s\n' "$BENCH_COMMIT" >"$ROOT/target/bench-bin/COMMIT"
		BIN_DIR="$ROOT/target/bench-bin"
		OVERDUE="$BIN_DIR/overdue"
		HELPER="$BIN_DIR/overdue-bench"
	elif [[ -z "${BENCH_COMMIT:-}" && -s "$BIN_DIR/COMMIT" ]]; then
		BENCH_COMMIT="$(cat "$BIN_DIR/COMMIT")"
		export BENCH_COMMIT
	fi
	[[ -x "$OVERDUE" && -x "$HELPER" ]] || die "release binaries missing under target/release"
}

make_workdir() {
	WORK="$(mktemp -d "${TMPDIR:-/tmp}/overdue-bench.XXXXXX")"
}

cleanup() {
	local status=$?
	trap - EXIT INT TERM
	local pid
	for pid in "${BENCH_PIDS[@]}"; do
		stop_pid "$pid"
	done
	local db
	for db in "${BENCH_DBS[@]}"; do
		psql_admin -qc "drop database if exists $db with (force)" >/dev/null 2>&1 ||
			log "warning: could not drop database $db"
	done
	if [[ -n "$WORK" && -d "$WORK" ]]; then
		if [[ "${BENCH_KEEP:-0}" == 1 ]]; then
			log "kept $WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$status"
}

# Call once at the top of every script.
setup_traps() {
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# stop_pid PID [SECONDS]: stops a process we started: SIGTERM, up to SECONDS (default 20)
# to exit, then SIGKILL.
stop_pid() {
	local pid=$1 limit=${2:-20} i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < limit * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		[[ "${STOP_QUIET:-0}" == 1 ]] || log "warning: process $pid still runs ${limit}s after SIGTERM; killing it"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

forget_pid() {
	local pid=$1 kept=() p
	for p in "${BENCH_PIDS[@]}"; do
		[[ "$p" == "$pid" ]] || kept+=("$p")
	done
	BENCH_PIDS=("${kept[@]}")
}

# Ticks the whole machine has spent busy and in total so far, as "busy total".
machine_ticks() {
	awk '$1 == "cpu" {total = 0; for (i = 2; i <= NF; i++) total += $i; print total - $5 - $6, total; exit}' /proc/stat
}

# machine_busy_pct "BUSY0 TOTAL0" "BUSY1 TOTAL1": percent of all cores busy in between.
machine_busy_pct() {
	awk -v a="$1" -v b="$2" 'BEGIN {split(a, x, " "); split(b, y, " ");
		t = y[2] - x[2]; printf "%.1f", (t > 0 ? (y[1] - x[1]) / t * 100 : 0)}'
}

# --- PostgreSQL -----------------------------------------------------------------------

psql_admin() { psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d postgres -X "$@"; }
psql_db() {
	local db=$1
	shift
	psql -h "$PG_HOST" -p "$PG_PORT" -U "$PG_USER" -d "$db" -X -v ON_ERROR_STOP=1 "$@"
}
pg_url() { printf 'postgres://%s@%s:%s/%s' "$PG_USER" "$PG_HOST" "$PG_PORT" "$1"; }

check_postgres() {
	need psql postgresql-client
	psql_admin -Atqc 'select 1' >/dev/null 2>&1 ||
		die "PostgreSQL does not answer on $PG_HOST:$PG_PORT as $PG_USER"
}

# Creates a fresh database overdue_bench_<random>, registered for dropping; prints its name.
# Must run in the main shell (not in $(…)) so the registration sticks: sets PG_DB.
pg_create_db() {
	PG_DB="overdue_bench_$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
	BENCH_DBS+=("$PG_DB")
	psql_admin -qc "create database $PG_DB" >/dev/null || die "cannot create database $PG_DB"
}

pg_drop_db() {
	local db=$1 kept=() d
	psql_admin -qc "drop database if exists $db with (force)" >/dev/null 2>&1 || true
	for d in "${BENCH_DBS[@]}"; do
		[[ "$d" == "$db" ]] || kept+=("$d")
	done
	BENCH_DBS=("${kept[@]}")
}

# --- the server -----------------------------------------------------------------------

# A loopback port nobody listens on.
free_port() {
	local port i
	for ((i = 0; i < 100; i++)); do
		port=$((20000 + RANDOM % 40000))
		if ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
			echo "$port"
			return 0
		fi
	done
	die "no free port found"
}

# start_server LOG DATABASE_URL PORT [serve args…]: starts target/release/overdue in the
# background with the environment in SERVER_ENV (an array of VAR=value); sets SERVER_PID.
SERVER_ENV=()
start_server() {
	local logfile=$1 url=$2 port=$3
	shift 3
	env DATABASE_URL="$url" OVERDUE_LISTEN="127.0.0.1:$port" \
		OVERDUE_SITE_ROOT="http://127.0.0.1:$port" "${SERVER_ENV[@]}" \
		"$OVERDUE" serve "$@" </dev/null >/dev/null 2>"$logfile" &
	SERVER_PID=$!
	BENCH_PIDS+=("$SERVER_PID")
}

# wait_healthz PORT PID [SECONDS]
wait_healthz() {
	local port=$1 pid=$2 limit=${3:-60} i
	for ((i = 0; i < limit * 20; i++)); do
		if curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null; then
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# stop_server PID [SECONDS]
stop_server() {
	local pid=$1
	stop_pid "$pid" "${2:-20}"
	forget_pid "$pid"
}

# --- /proc ----------------------------------------------------------------------------

# CPU ticks (user + system) a process has used so far.
cpu_ticks() {
	local stat
	stat="$(cat "/proc/$1/stat")"
	# Fields after "pid (comm) ": state is 1st, utime the 12th, stime the 13th.
	awk '{print $12 + $13}' <<<"${stat##*) }"
}

status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

# Total CPU ticks used by the PostgreSQL backends connected to database $1, as pid:ticks.
pg_backend_ticks() {
	local pid
	for pid in $(psql_admin -Atc "select pid from pg_stat_activity where datname = '$1'"); do
		[[ -r /proc/$pid/stat ]] && printf '%s:%s\n' "$pid" "$(cpu_ticks "$pid" 2>/dev/null || echo 0)"
	done
}

# Ticks between two pg_backend_ticks samples: backends seen in both count their growth,
# new ones all of theirs (backends that left in between are missed).
pg_ticks_delta() {
	awk -F: 'NR == FNR {before[$1] = $2; next} {total += $2 - ($1 in before ? before[$1] : 0)} END {print total + 0}' "$1" "$2"
}

# --- results --------------------------------------------------------------------------

# The commit the binaries were built from, "+dirty" if the service's sources differed from
# it (bench/ and this helper's own source do not count). Fixed at build time.
git_commit() {
	if [[ -n "${BENCH_COMMIT:-}" ]]; then
		echo "$BENCH_COMMIT"
		return
	fi
	local c
	c="$(git -C "$ROOT" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
	if [[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no -- src migrations templates Cargo.toml Cargo.lock ':!src/bin/overdue-bench' 2>/dev/null)" ]]; then
		c="$c+dirty"
	fi
	echo "$c"
}

machine_json() {
	local cpu mem pgv
	cpu="$(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo)"
	mem="$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
	pgv="$(psql_admin -Atc 'show server_version' 2>/dev/null || echo unknown)"
	jq -cn --arg cpu "$cpu" --arg mem "$mem" --arg kernel "$(uname -r)" --arg pg "$pgv" \
		--argjson nproc "$(nproc)" --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
		'{nproc: $nproc, cpu: $cpu, ram: $mem, kernel: $kernel, postgres: $pg, loadavg_before: $load}'
}

# record NAME JSON: adds commit, time and machine to JSON and appends it to results/NAME.jsonl.
record() {
	local name=$1 json=$2
	need jq jq
	mkdir -p "$RESULTS_DIR"
	jq -c --arg commit "$(git_commit)" --arg at "$(date -u +%FT%TZ)" \
		--argjson machine "$MACHINE_JSON" \
		'{bench: "'"$name"'", at: $at, commit: $commit} + . + {machine: $machine}' \
		<<<"$json" >>"$RESULTS_DIR/$name.jsonl"
}

# Call once after argument parsing, before any load runs.
capture_machine() {
	need jq jq
	MACHINE_JSON="$(machine_json)"
}

# Parses common numbers: is_uint VALUE NAME
is_uint() {
	[[ "$1" =~ ^[0-9]+$ ]] || die "$2 must be a whole number, not '$1'"
}

# --- load -----------------------------------------------------------------------------

# run_wrk PORT UUIDS WINDOW CONNECTIONS THREADS OUTFILE: pings random checks from UUIDS for
# WINDOW seconds (plus a 2 s tail in which nothing new is sent, see ping.lua), then sets
# W_sent, W_ok, W_non2xx, W_connect, W_read, W_write, W_timeout, W_p50_us, W_p99_us, … and
# W_cpu_s (wrk's own CPU seconds).
WRK_TAIL=2
# shellcheck disable=SC2034 # set by run_wrk, read by the scripts that source this file
{
	W_sent=0 W_responses=0 W_ok=0 W_non2xx=0 W_connect=0 W_read=0 W_write=0 W_timeout=0
	W_duration_us=0 W_p50_us=0 W_p90_us=0 W_p99_us=0 W_p999_us=0 W_max_us=0 W_mean_us=0 W_cpu_s=0
}
run_wrk() {
	local port=$1 uuids=$2 window=$3 conns=$4 threads=$5 out=$6 line kv
	local TIMEFORMAT='%U %S'
	if ((threads > conns)); then threads=$conns; fi
	{ time wrk -t"$threads" -c"$conns" -d"$((window + WRK_TAIL))s" --timeout 10s \
		-s "$BENCH_DIR/ping.lua" "http://127.0.0.1:$port" -- "$uuids" "$window" >"$out"; } 2>"$out.time" ||
		die "wrk failed: $(cat "$out" "$out.time")"
	line="$(grep '^BENCH ' "$out" || true)"
	[[ -n "$line" ]] || die "wrk printed no BENCH line: $(cat "$out")"
	for kv in ${line#BENCH }; do
		[[ "$kv" =~ ^[a-z0-9_]+=[0-9.]+$ ]] || die "unexpected wrk output: $kv"
		printf -v "W_${kv%%=*}" '%s' "${kv#*=}"
	done
	# shellcheck disable=SC2034 # read by the scripts that source this file
	W_cpu_s="$(awk '{print $1 + $2}' "$out.time" | tail -n1)"
}

# ping_for_ratio BACKEND [PING.SH ARGS…]: the ping figure a ceiling is compared with. With
# RUN_PING=1, runs bench/ping.sh on BACKEND with the caller's CHECKS, DURATION and
# CONNECTIONS (and the arguments given); otherwise takes the latest line of
# results/ping.jsonl for BACKEND at CONNECTIONS. Sets PING_JSON, and PING_FAILED=1 if the
# ping run failed its checks.
# shellcheck disable=SC2034 # PING_JSON and PING_FAILED are read by the caller
ping_for_ratio() {
	local backend=$1
	shift
	PING_FAILED=0
	if [[ $RUN_PING == 1 ]]; then
		log "$backend: the ping run"
		BENCH_SKIP_BUILD=1 "$BENCH_DIR/ping.sh" --backend "$backend" --checks "$CHECKS" --duration "$DURATION" \
			--connections "$CONNECTIONS" --json-out "$WORK/ping.json" "$@" || PING_FAILED=1
		[[ -s "$WORK/ping.json" ]] || die "the ping run produced no result"
		PING_JSON="$(tail -n1 "$WORK/ping.json")"
	else
		PING_JSON="$(jq -c --arg b "$backend" --argjson c "$CONNECTIONS" 'select(.backend == $b and .connections == $c)' \
			"$RESULTS_DIR/ping.jsonl" 2>/dev/null | tail -n1)"
		[[ -n "$PING_JSON" ]] || die "no $backend ping result at $CONNECTIONS connections in $RESULTS_DIR/ping.jsonl"
	fi
}

# backends_of B: sets BACKENDS from a --backend value (sqlite, postgres or both).
# shellcheck disable=SC2034 # BACKENDS is read by the caller
backends_of() {
	case "$1" in
	sqlite) BACKENDS=(sqlite) ;;
	postgres) BACKENDS=(postgres) ;;
	both) BACKENDS=(sqlite postgres) ;;
	*) die "--backend must be sqlite, postgres or both" ;;
	esac
}

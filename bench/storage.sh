#!/usr/bin/env bash
# Storage: bytes on disk per ping and per check, on SQLite and PostgreSQL, after a long run
# with the default retention (OVERDUE_PING_LOG_LIMIT=1000 pings per check), showing that
# the pruner keeps the pings bounded however many arrive. N checks are seeded; wrk pings a
# hot subset of them for D seconds, so each hot check receives many times its retention;
# the size is sampled during the run; at the end the server is restarted so the pruner
# runs once more, and the tables are measured.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
usage: bench/storage.sh [--quick] [--checks N] [--hot H] [--duration S] [--connections C]
                        [--sample S] [--backend sqlite|postgres|both] [--vacuum auto|manual|none]
  --checks N        checks seeded (default 10000; --quick 200)
  --hot H           checks that wrk pings (default 100; --quick 5)
  --duration S      seconds of load (default 300; --quick 8)
  --connections C   wrk connections (default 16; --quick 8)
  --sample S        seconds between size samples during the run (default 20; --quick 2)
  --backend B       sqlite, postgres or both (default both)
  --vacuum V        PostgreSQL: auto (default) relies on autovacuum, or, where the server
                    runs with autovacuum = off, runs VACUUM on pings and checks once a minute
                    as autovacuum's default schedule would; manual always does that; none
                    never vacuums
USAGE
}

QUICK=0
for arg in "$@"; do [[ "$arg" == --quick ]] && QUICK=1; done
if [[ $QUICK == 1 ]]; then
	CHECKS=200 HOT=5 DURATION=8 CONNECTIONS=8 SAMPLE=2
else
	CHECKS=10000 HOT=100 DURATION=300 CONNECTIONS=16 SAMPLE=20
fi
BACKEND=both THREADS=2 VACUUM=auto
# The service's default retention; the pruner lets a check run this much over it before
# pruning it back in one go (PRUNE_SLACK in src/store/pruning.rs is 100); the bound
# checked below allows half the limit.
LIMIT=1000
BOUND_PER_CHECK=$((LIMIT + LIMIT / 2))
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ;;
	--checks) CHECKS=$2 && shift ;;
	--hot) HOT=$2 && shift ;;
	--duration) DURATION=$2 && shift ;;
	--connections) CONNECTIONS=$2 && shift ;;
	--sample) SAMPLE=$2 && shift ;;
	--backend) BACKEND=$2 && shift ;;
	--vacuum) VACUUM=$2 && shift ;;
	-h | --help) usage && exit 0 ;;
	*) usage >&2 && die "unknown option $1" ;;
	esac
	shift
done
for v in CHECKS HOT DURATION CONNECTIONS SAMPLE; do is_uint "${!v}" "--${v,,}"; done
((HOT > 0 && HOT <= CHECKS)) || die "--hot must be between 1 and --checks"
((DURATION > 0 && CONNECTIONS > 0 && SAMPLE > 0)) || die "--duration, --connections and --sample must be positive"
case "$VACUUM" in auto | manual | none) ;; *) die "--vacuum must be auto, manual or none" ;; esac
backends_of "$BACKEND"

setup_traps
need wrk wrk
need sqlite3 sqlite3
need jq jq
[[ " ${BACKENDS[*]} " == *" postgres "* ]] && check_postgres
build
make_workdir
capture_machine

FAILED=0

# Prints "received stored bytes wal_bytes" for the database now (bytes on disk, the WAL
# included; wal_bytes is SQLite's -wal file alone, "?" on PostgreSQL).
sample_sqlite() {
	local path=$1 counts wal
	counts="$(sqlite3 "$path" '.timeout 5000' 'select coalesce(sum(n_pings), 0) || " " || (select count(*) from pings) from checks' 2>/dev/null || echo "? ?")"
	wal="$(stat -c %s "$path-wal" 2>/dev/null || echo 0)"
	echo "$counts $(($(stat -c %s "$path") + wal)) $wal"
}
sample_postgres() {
	echo "$(psql_db "$1" -AtF ' ' -c 'select (select coalesce(sum(n_pings), 0) from checks), (select count(*) from pings), pg_database_size(current_database())' 2>/dev/null || echo "? ? ?") ?"
}

run_backend() {
	local backend=$1 url db="" db_path=""
	if [[ $backend == sqlite ]]; then
		db_path="$WORK/storage.db"
		url="sqlite://$db_path"
	else
		pg_create_db
		db=$PG_DB
		url="$(pg_url "$db")"
	fi
	log "storage/$backend: seeding $CHECKS checks; $HOT of them will be pinged"
	"$HELPER" seed --database-url "$url" --checks "$CHECKS" --uuids "$WORK/hot.txt" --uuids-limit "$HOT" >"$WORK/seed.json"

	local port pid
	port="$(free_port)"
	SERVER_ENV=()
	start_server "$WORK/server-$backend.log" "$url" "$port"
	pid=$SERVER_PID
	wait_healthz "$port" "$pid" 60 || die "server did not become healthy: $(tail -n 20 "$WORK/server-$backend.log")"

	# Size samples in the background while wrk runs.
	local samples="$WORK/samples-$backend"
	: >"$samples"
	(
		start=$(date +%s)
		while :; do
			if [[ $backend == sqlite ]]; then
				echo "$(($(date +%s) - start)) $(sample_sqlite "$db_path")" >>"$samples"
			else
				echo "$(($(date +%s) - start)) $(sample_postgres "$db")" >>"$samples"
			fi
			sleep "$SAMPLE"
		done
	) &
	local sampler=$!
	BENCH_PIDS+=("$sampler")

	# Vacuum: what reclaims the deleted pings' space on PostgreSQL.
	local vacuum_mode=null vacuumer=""
	if [[ $backend == postgres ]]; then
		local autovacuum
		autovacuum="$(psql_admin -Atc 'show autovacuum')"
		if [[ $VACUUM == manual || ($VACUUM == auto && $autovacuum == off) ]]; then
			vacuum_mode="\"VACUUM every 60 s by this script (server autovacuum: $autovacuum)\""
			(
				while sleep 60; do
					psql_db "$db" -qc 'vacuum pings' -c 'vacuum checks' >/dev/null 2>&1 || true
				done
			) &
			vacuumer=$!
			BENCH_PIDS+=("$vacuumer")
		else
			vacuum_mode="\"autovacuum $autovacuum; no manual VACUUM\""
		fi
		log "storage/$backend: vacuum: ${vacuum_mode//\"/}"
	fi

	log "storage/$backend: wrk, $CONNECTIONS connections, ${DURATION}s, on $HOT checks"
	run_wrk "$port" "$WORK/hot.txt" "$DURATION" "$CONNECTIONS" "$THREADS" "$WORK/wrk-$backend.out"
	local p
	for p in $sampler $vacuumer; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
		forget_pid "$p"
	done
	stop_server "$pid"

	# Restart: the pruner runs at once on start; wait until no check is due for pruning.
	log "storage/$backend: restarting so the pruner runs, and waiting for it"
	port="$(free_port)"
	start_server "$WORK/server-$backend-2.log" "$url" "$port"
	pid=$SERVER_PID
	wait_healthz "$port" "$pid" 60 || die "server did not become healthy: $(tail -n 20 "$WORK/server-$backend-2.log")"
	local over i
	for ((i = 0; i < 600; i++)); do
		if [[ $backend == sqlite ]]; then
			over="$(sqlite3 "$db_path" '.timeout 5000' "select count(*) from checks where n_pings > pruned_through + $LIMIT + 100")"
		else
			over="$(psql_db "$db" -Atc "select count(*) from checks where n_pings > pruned_through + $LIMIT + 100")"
		fi
		[[ "$over" == 0 ]] && break
		sleep 0.1
	done
	stop_server "$pid"
	# Where this script stands in for autovacuum, it vacuums once more after the last prune.
	[[ -z "$vacuumer" ]] || psql_db "$db" -qc 'vacuum pings' -c 'vacuum checks' >/dev/null
	local t_end
	t_end=$(($(tail -n1 "$samples" | cut -d' ' -f1) + SAMPLE))
	if [[ $backend == sqlite ]]; then
		echo "$t_end $(sample_sqlite "$db_path")" >>"$samples"
	else
		echo "$t_end $(sample_postgres "$db")" >>"$samples"
	fi

	# Sizes by table, indexes included.
	local sizes
	if [[ $backend == sqlite ]]; then
		sizes="$(sqlite3 "$db_path" "select
			(select coalesce(sum(d.pgsize), 0) from dbstat d join sqlite_schema m on m.name = d.name where m.tbl_name = 'pings'),
			(select coalesce(sum(d.pgsize), 0) from dbstat d join sqlite_schema m on m.name = d.name where m.tbl_name = 'checks'),
			(select page_count * page_size from pragma_page_count, pragma_page_size),
			(select freelist_count * page_size from pragma_freelist_count, pragma_page_size),
			(select count(*) from pings), (select coalesce(sum(n_pings), 0) from checks), 0")"
	else
		sizes="$(psql_db "$db" -At -c "select pg_total_relation_size('pings') || '|' ||
			pg_total_relation_size('checks') || '|' || pg_database_size(current_database()) || '|0|' ||
			(select count(*) from pings) || '|' || (select coalesce(sum(n_pings), 0) from checks) || '|' ||
			coalesce((select n_dead_tup from pg_stat_user_tables where relname = 'pings'), 0)")"
	fi
	local pings_bytes checks_bytes db_bytes free_bytes stored received dead
	IFS='|' read -r pings_bytes checks_bytes db_bytes free_bytes stored received dead <<<"$sizes"

	local bounded=true
	((stored <= HOT * BOUND_PER_CHECK)) || bounded=false
	local json
	json="$(jq -cn --arg backend "$backend" --argjson checks "$CHECKS" --argjson hot "$HOT" \
		--argjson duration "$DURATION" --argjson connections "$CONNECTIONS" --argjson limit "$LIMIT" \
		--argjson pings_bytes "$pings_bytes" --argjson checks_bytes "$checks_bytes" \
		--argjson db_bytes "$db_bytes" --argjson free_bytes "$free_bytes" --argjson stored "$stored" \
		--argjson received "$received" --argjson dead "$dead" --argjson ok "$W_ok" \
		--argjson bounded "$bounded" --argjson vacuum "$vacuum_mode" \
		--argjson samples "$(awk '{printf "%s[%s,%s,%s,%s,%s]", (NR > 1 ? "," : "["), $1, $2, $3, $4, $5} END {print (NR ? "]" : "[]")}' "$samples" | sed 's/?/null/g')" \
		'def r(n): (n * 10 | round) / 10;
		 {backend: $backend, checks: $checks, hot_checks: $hot, duration_s: $duration,
		  connections: $connections, retention: $limit,
		  pings_received: $received, pings_2xx: $ok, pings_stored: $stored,
		  bytes_per_ping: (if $stored > 0 then r($pings_bytes / $stored) else null end),
		  bytes_per_check: r($checks_bytes / $checks),
		  pings_table_mb: r($pings_bytes / 1048576), checks_table_mb: r($checks_bytes / 1048576),
		  database_mb: r($db_bytes / 1048576), free_mb: r($free_bytes / 1048576),
		  dead_ping_rows: $dead, bounded: $bounded, vacuum: $vacuum,
		  samples: ($samples | map({t_s: .[0], received: .[1], stored: .[2],
		    db_mb: (if .[3] == null then null else r(.[3] / 1048576) end),
		    wal_mb: (if .[4] == null then null else r(.[4] / 1048576) end)}))}
		 | .peak_db_mb = ([.samples[].db_mb | select(. != null)] | max)')"
	record storage "$json"
	jq -r '"storage/\(.backend): \(.pings_received) pings received by \(.hot_checks) of \(.checks) checks over \(.duration_s) s; \(.pings_stored) kept (retention \(.retention) a check): \(if .bounded then "bounded" else "NOT BOUNDED" end)
  bytes per ping \(.bytes_per_ping) (pings and their indexes: \(.pings_table_mb) MB); bytes per check \(.bytes_per_check) (checks and their indexes: \(.checks_table_mb) MB)
  database \(.database_mb) MB at the end\(if .free_mb > 0 then " (\(.free_mb) MB of it free pages)" else "" end), at most \(.peak_db_mb) MB on disk during the run\(if .dead_ping_rows > 0 then "; \(.dead_ping_rows) dead ping rows awaiting vacuum" else "" end)\(if .vacuum then "\n  vacuum: \(.vacuum)" else "" end)
  during the run (s, received, stored, MB on disk\(if .backend == "sqlite" then ", of which WAL" else "" end)):" ,
	  (.samples[] | "    \(.t_s)\t\(.received)\t\(.stored)\t\(.db_mb)\(if .wal_mb == null then "" else "\t\(.wal_mb)" end)")' <<<"$json"

	if [[ $bounded != true ]]; then
		log "storage/$backend: FAILED: $stored pings kept for $HOT checks, more than $BOUND_PER_CHECK a check"
		FAILED=1
	fi
	if [[ "$received" != "$W_ok" ]]; then
		log "storage/$backend: FAILED: wrk counted $W_ok 2xx answers but the checks counted $received pings"
		FAILED=1
	fi
	[[ -z "$db" ]] || pg_drop_db "$db"
	rm -f "$WORK/storage.db" "$WORK/storage.db-wal" "$WORK/storage.db-shm"
}

for b in "${BACKENDS[@]}"; do
	run_backend "$b"
done
exit "$FAILED"

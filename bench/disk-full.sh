#!/usr/bin/env bash
# Disk-full recovery on SQLite: the service runs with its database on a small tmpfs; a
# file fills what is left; pings with bodies go on. Reports how many pings were refused
# (503) while the disk was full, what /healthz said meanwhile, and how long after the
# file was removed the first ping was stored again and /healthz said 200, with no
# restart. Needs root (to mount the tmpfs).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'USAGE'
usage: bench/disk-full.sh [--quick] [--size MB] [--pings N]
  --size MB   size of the tmpfs (default 32; --quick 8)
  --pings N   pings sent while the disk is full (default 200; --quick 40)
USAGE
}

QUICK=0
for arg in "$@"; do [[ "$arg" == --quick ]] && QUICK=1; done
if [[ $QUICK == 1 ]]; then
	SIZE=8 PINGS=40
else
	SIZE=32 PINGS=200
fi
while [[ $# -gt 0 ]]; do
	case "$1" in
	--quick) ;;
	--size) SIZE=$2 && shift ;;
	--pings) PINGS=$2 && shift ;;
	-h | --help) usage && exit 0 ;;
	*) die "unknown option $1" ;;
	esac
	shift
done
is_uint "$SIZE" --size
is_uint "$PINGS" --pings
[[ $(id -u) == 0 ]] || die "mounting a tmpfs needs root"

setup_traps
build
capture_machine
make_workdir
MOUNT="$WORK/disk"
mkdir -p "$MOUNT"
mount -t tmpfs -o "size=${SIZE}m" tmpfs "$MOUNT" || die "cannot mount a tmpfs on $MOUNT"
unmount() { umount -l "$MOUNT" 2>/dev/null || true; }
trap 'unmount; cleanup' EXIT

url="sqlite://$MOUNT/overdue.db"
DATABASE_URL="$url" "$OVERDUE" migrate 2>/dev/null
printf 'bench-password\n' | DATABASE_URL="$url" "$OVERDUE" user create --email bench@example.com --password-stdin >/dev/null 2>&1
keys="$(DATABASE_URL="$url" "$OVERDUE" project create --owner bench@example.com --name bench 2>/dev/null)"
api_key="$(jq -r .api_key <<<"$keys")"
port="$(free_port)"
start_server "$WORK/server.log" "$url" "$port" --no-migrate
wait_healthz "$port" "$SERVER_PID" || die "the server did not start (see $WORK/server.log)"
base="http://127.0.0.1:$port"
uuid="$(curl -fsS -X POST -H "X-Api-Key: $api_key" -d '{"name": "disk", "timeout": 3600}' "$base/api/v3/checks/" | jq -r .uuid)"

body="$WORK/body"
head -c 60000 /dev/zero | tr '\0' 'x' >"$body"
ping() { curl -s -o /dev/null -w '%{http_code}' --max-time 30 --data-binary "@$body" "$base/ping/$uuid"; }
healthz() { curl -s -o /dev/null -w '%{http_code}' --max-time 30 "$base/healthz"; }

log "disk-full: filling the ${SIZE} MB tmpfs"
dd if=/dev/zero of="$MOUNT/filler" bs=64k status=none 2>/dev/null || true
refused=0 stored=0
for ((i = 0; i < PINGS; i++)); do
	case "$(ping)" in
	503) refused=$((refused + 1)) ;;
	200) stored=$((stored + 1)) ;;
	*) die "a ping got neither 200 nor 503" ;;
	esac
done
health_full="$(healthz)"
log "disk-full: $refused of $PINGS pings refused while full, /healthz $health_full; freeing the disk"

rm -f "$MOUNT/filler"
freed=$EPOCHREALTIME
until [[ "$(ping)" == 200 ]]; do
	awk -v a="$freed" -v b="$EPOCHREALTIME" 'BEGIN {exit !(b - a > 60)}' && die "no ping stored 60 s after the disk was freed"
	sleep 0.05
done
ping_ok_s="$(awk -v a="$freed" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}')"
until [[ "$(healthz)" == 200 ]]; do
	awk -v a="$freed" -v b="$EPOCHREALTIME" 'BEGIN {exit !(b - a > 60)}' && die "/healthz not 200 60 s after the disk was freed"
	sleep 0.05
done
health_ok_s="$(awk -v a="$freed" -v b="$EPOCHREALTIME" 'BEGIN {printf "%.2f", b - a}')"
[[ $health_full == 503 ]] || die "/healthz said $health_full while the disk was full"
((refused > 0)) || die "the full disk refused no ping"

log "disk-full: first ping stored ${ping_ok_s} s after freeing, /healthz 200 after ${health_ok_s} s"
record disk-full "$(jq -cn --argjson size "$SIZE" --argjson pings "$PINGS" --argjson refused "$refused" \
	--argjson stored "$stored" --arg health_full "$health_full" --argjson ping_ok_s "$ping_ok_s" \
	--argjson health_ok_s "$health_ok_s" \
	'{tmpfs_mb: $size, pings_while_full: $pings, refused_503: $refused, stored_while_full: $stored,
	  healthz_while_full: $health_full, first_ping_stored_after_s: $ping_ok_s, healthz_200_after_s: $health_ok_s}')"
printf 'disk-full: %s of %s pings refused while full; /healthz %s; recovered %s s after freeing (healthz %s s)\n' \
	"$refused" "$PINGS" "$health_full" "$ping_ok_s" "$health_ok_s"

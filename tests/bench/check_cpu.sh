#!/bin/bash
# CPU time per run of the watchdog check (fence_scsi_check): Debian's Python check against ours.
#
#   tests/bench/check_cpu.sh [-n RUNS] [-a AGENT] [-p PYTHON_CHECK]
#
# The watchdog daemon runs the check every second on every node, so its
# start-up cost matters. Each check runs RUNS times in a private mount namespace whose /run
# (= /var/run) holds cluster.key and a cluster.dev naming a device without persistent
# reservations: a loop device over a temporary file (losetup), or, when no loop device can be
# set up, a missing /dev path. Both checks then take the read-failure path (no key found,
# exit 2), so nothing but the check itself is measured, and no real storage is touched.
# CPU is user+sys of the waited-for children (getrusage RUSAGE_CHILDREN, which includes the
# sg_persist processes the Python check spawns), divided by RUNS.
# Needs root (unshare -m, losetup); otherwise it says so and exits 0 (make bench goes on).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=100
AGENT=$HERE/bin/fence_scsi_go
PYCHK=/usr/share/cluster/fence_scsi_check
while getopts n:a:p: o; do
	case $o in
	n) RUNS=$OPTARG ;;
	a) AGENT=$OPTARG ;;
	p) PYCHK=$OPTARG ;;
	*) sed -n '4p' "$0" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "bench-check: skipped: needs root (private mount namespace for /run, losetup)"
	exit 0
fi
[ -x "$AGENT" ] || { echo "bench-check: $AGENT not built (make build)" >&2; exit 1; }
PY=/usr/bin/python3
[ -x "$PY" ] || PY=$(command -v python3)

TMP=$(mktemp -d)
LOOP=""
cleanup() {
	[ -z "$LOOP" ] || losetup -d "$LOOP" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
truncate -s 1M "$TMP/disk"
if LOOP=$(losetup -f --show "$TMP/disk" 2>/dev/null); then
	DEV=$LOOP
	WHAT="loop device $LOOP over a 1 MiB file (SG_IO unsupported: read keys fails)"
else
	LOOP=""
	DEV=/dev/fsg-bench-missing
	WHAT="missing device $DEV (open fails)"
fi
mkdir -p "$TMP/run" "$TMP/bin"
echo fe5c0001 >"$TMP/run/cluster.key"
echo "$DEV" >"$TMP/run/cluster.dev"
ln -s "$AGENT" "$TMP/bin/fence_scsi_check"

cat >"$TMP/measure.py" <<'PYEOF'
import os, resource, subprocess, sys, time
runs, prog = int(sys.argv[1]), sys.argv[2]
first = subprocess.run([prog], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)  # warm-up
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.monotonic()
codes = {}
for _ in range(runs):
    rc = subprocess.call([prog], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    codes[rc] = codes.get(rc, 0) + 1
wall = time.monotonic() - t0
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
u, s = (r1.ru_utime - r0.ru_utime) / runs, (r1.ru_stime - r0.ru_stime) / runs
err = first.stderr.decode(errors="replace").strip().splitlines()
print("%-44s user %7.2f ms  sys %7.2f ms  cpu %7.2f ms  wall %7.2f ms  exit %s%s" % (
    prog, u * 1e3, s * 1e3, (u + s) * 1e3, wall / runs * 1e3,
    ",".join("%d x%d" % kv for kv in sorted(codes.items())),
    ("  [" + err[0][:70] + "]") if err else ""))
PYEOF

echo "bench-check: $RUNS runs each; cluster.dev: $WHAT"
# /bin/true: the cost of a bare fork+exec on this machine, for scale
progs=("$TMP/bin/fence_scsi_check" /bin/true)
if [ -x "$PYCHK" ]; then progs=("$PYCHK" "${progs[@]}"); else echo "bench-check: no Python check at $PYCHK"; fi
for p in "${progs[@]}"; do
	unshare -m --propagation private -- /bin/sh -c \
		'mount --bind "$1" /run && shift && exec "$@"' bench "$TMP/run" \
		"$PY" "$TMP/measure.py" "$RUNS" "$p"
done

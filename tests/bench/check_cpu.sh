#!/bin/bash
# CPU time per run of the watchdog check (fence_scsi_check): ours, Debian's Python check and an
# empty static Go program, on every path a host without PR storage can reach.
#
#   tests/bench/check_cpu.sh [-n RUNS] [-a AGENT] [-c CHECK] [-p PYTHON_CHECK] [-o RAWFILE]
#
# The watchdog daemon runs the check every few seconds on every node, so its start-up cost is
# what matters. Paths, each in a private mount namespace whose /run (= /var/run) holds the
# state files of that path, so that nothing on the host is read or changed:
#   not-configured  no cluster.dev (no cluster on this node): both checks exit 0
#   loop-device     cluster.key and a cluster.dev naming a loop device over a 1 MiB file (no
#                   persistent reservations: reading the keys fails, exit 2); skipped when no
#                   loop device can be set up
#   missing-device  the same with a /dev path that does not exist (open fails, exit 2)
#   version         `fence_scsi_go -V` (no check: the agent's own start-up)
# Ours is the check's own binary (CHECK, default bin/fence_scsi_check: what the packages install
# as fence_scsi_check); fence_scsi_go run under the name fence_scsi_check (the same check in the
# multi-mode binary) runs beside it as prog=agent.
# Key found / key gone need PR storage (tests/vm); BenchmarkRun in internal/check gives their
# in-process cost next to the device-error path's.
# In each path the programs run round-robin RUNS times (tests/bench/checkcpu: fork, exec,
# wait4), so all see the same load on a busy machine: the empty Go program
# (tests/bench/empty, `func main() {}`, built like the agent) is the floor, /bin/true the cost
# of any process. CPU is user+sys of each child including the processes it waited for (the
# Python check's sg_persist runs), per-run mean. Raw lines go to RAWFILE (default
# docs/benchmarks/check_cpu.txt) and tests/bench/check_report.sh turns them into the table
# of docs/benchmarks.md and docs/benchmarks-check.png.
# Needs root (unshare -m, losetup); otherwise it says so and exits 0 (make bench goes on).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=200
AGENT=$HERE/bin/fence_scsi_go
CHECK=$HERE/bin/fence_scsi_check
PYCHK=/usr/share/cluster/fence_scsi_check
RAW=$HERE/docs/benchmarks/check_cpu.txt
while getopts n:a:c:p:o: o; do
	case $o in
	n) RUNS=$OPTARG ;;
	a) AGENT=$OPTARG ;;
	c) CHECK=$OPTARG ;;
	p) PYCHK=$OPTARG ;;
	o) RAW=$OPTARG ;;
	*) sed -n '4p' "$0" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "bench-check: skipped: needs root (private mount namespace for /run, losetup)"
	exit 0
fi
[ -x "$AGENT" ] || { echo "bench-check: $AGENT not built (make build)" >&2; exit 1; }
[ -x "$CHECK" ] || { echo "bench-check: $CHECK not built (make build)" >&2; exit 1; }
GO=${GO:-go}

TMP=$(mktemp -d)
LOOP=""
cleanup() {
	[ -z "$LOOP" ] || losetup -d "$LOOP" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$TMP/bin"
# Private copies: a concurrent `make build` must not change a binary while it is measured.
cp "$AGENT" "$TMP/bin/fence_scsi_go"
mkdir -p "$TMP/bin/agent"
ln -s ../fence_scsi_go "$TMP/bin/agent/fence_scsi_check"
cp "$CHECK" "$TMP/bin/fence_scsi_check"
(cd "$HERE" && CGO_ENABLED=0 "$GO" build -trimpath -o "$TMP/bin/empty" ./tests/bench/empty &&
	CGO_ENABLED=0 "$GO" build -trimpath -o "$TMP/bin/checkcpu" ./tests/bench/checkcpu)

# state DIR DEV: a /run with cluster.key and a cluster.dev naming DEV.
state() {
	mkdir -p "$1"
	echo fe5c0001 >"$1/cluster.key"
	echo "$2" >"$1/cluster.dev"
}
mkdir -p "$TMP/run/not-configured" "$TMP/run/version"
truncate -s 1M "$TMP/disk"
paths="not-configured"
if LOOP=$(losetup -f --show "$TMP/disk" 2>/dev/null); then
	state "$TMP/run/loop-device" "$LOOP"
	paths="$paths loop-device"
else
	LOOP=""
	echo "bench-check: no loop device could be set up: loop-device path skipped"
fi
state "$TMP/run/missing-device" /dev/fsg-bench-missing
paths="$paths missing-device version"

size=$(stat -c %s "$AGENT")
strip --strip-unneeded -o "$TMP/stripped" "$AGENT" 2>/dev/null && ssize=$(stat -c %s "$TMP/stripped") || ssize=0
strip --strip-unneeded -o "$TMP/cstripped" "$CHECK" 2>/dev/null && csize=$(stat -c %s "$TMP/cstripped") || csize=0
{
	echo "# tests/bench/check_cpu.sh -n $RUNS, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# agent: $(cd "$HERE" && git log -1 --format='%h %s' 2>/dev/null | cut -c1-100)"
	echo "SIZE agent=$size stripped=$ssize empty=$(stat -c %s "$TMP/bin/empty") check=$(stat -c %s "$CHECK") check_stripped=$csize"
} >"$TMP/raw"
[ -x "$PYCHK" ] || echo "bench-check: no Python check at $PYCHK (Debian: apt-get install fence-agents): ours only"
for p in $paths; do
	if [ "$p" = version ]; then
		progs=("ours|$TMP/bin/fence_scsi_go|-V")
	else
		progs=("ours|$TMP/bin/fence_scsi_check" "agent|$TMP/bin/agent/fence_scsi_check")
		[ ! -x "$PYCHK" ] || progs+=("python|$PYCHK")
	fi
	progs+=("empty-go|$TMP/bin/empty" "true|/bin/true")
	echo "bench-check: $p: ${#progs[@]} programs x $RUNS runs" >&2
	unshare -m --propagation private -- /bin/sh -c 'mount --bind "$1" /run && shift && exec "$@"' \
		bench "$TMP/run/$p" "$TMP/bin/checkcpu" -n "$RUNS" "${progs[@]}" | sed "s/^/CPU path=$p prog=/" >>"$TMP/raw"
done
mkdir -p "$(dirname "$RAW")"
cp "$TMP/raw" "$RAW"
cat "$RAW"
"$HERE/tests/bench/check_report.sh" "$RAW"

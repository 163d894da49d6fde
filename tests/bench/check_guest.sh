#!/bin/bash
# CPU time per run of the watchdog check (fence_scsi_check) on the two paths that need PR
# storage, on real LIO in the QEMU guest of tests/vm: key found (node1 unfenced itself with
# `fence_scsi_go -o on`, exit 0) and key gone (node2 fenced node1 with `-o off -n node1`,
# exit 2). The host-side counterpart of tests/bench/check_cpu.sh (the paths without PR storage).
#
#   tests/bench/check_guest.sh [-s "1 4"] [-n RUNS] [-m RUNS_MANY] [-e E] [-a AGENT] [-l LEAN|none] [-o RAWFILE] [-A]
#
#   -s  LUN counts (one guest with max(-s) LUNs; default "1 4")
#   -n  rounds per path at 1 LUN (default 50): every program runs once per round ...
#   -m  rounds per path at more than 1 LUN (default 50)
#   -e  ... except the Python check, which runs in every E-th round only (default 10: it takes
#       7-15 s per run in the guest under TCG on a loaded host, the others 0.1-0.5 s)
#   -a  the agent (default bin/fence_scsi_go, as built by make build); measured as
#       fence_scsi_check through a symlink ("agent")
#   -l  the watchdog check's own binary ("ours"); default the regular file fence_scsi_check
#       next to the agent (make build's bin/fence_scsi_check) if there is one; "none": not measured
#   -o  raw file (default docs/benchmarks/check_cpu_guest.txt, replaced; -A: appended)
# Programs, round-robin in node1's private /run (tests/bench/checkcpu: fork, exec, wait4; CPU =
# user+sys of the child and what it waited for, the Python check's sg_persist included): ours,
# agent, Debian's Python check (/usr/share/cluster/fence_scsi_check in the guest), the check's
# floor (tests/bench/checkfloor: only the state files, the opens and one READ KEYS per device, with
# and without the bounded wait), an empty static Go program (tests/bench/empty) and /bin/true. The guest part is
# tests/bench/check_guest_scenario.sh. Raw lines are check_cpu.sh's with the LUN count:
#   CPU path=key-found luns=1 prog=ours user_ms=.. sys_ms=.. cpu_ms=.. wall_ms=.. minflt=.. runs=50 exit=0x50
# Then tests/bench/check_guest_report.sh writes the table of docs/benchmarks.md ("Watchdog
# check on PR storage") and docs/benchmarks-check-guest.png. Root only (QEMU guest); about
# 5-10 minutes under TCG with the defaults.
set -euo pipefail
{ # read whole before running: editing this file during a run must not change the run
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SETS="1 4" RUNS=50 RUNS_MANY=50 PYEVERY=10 AGENT=$ROOT/bin/fence_scsi_go LEAN="" RAW=$ROOT/docs/benchmarks/check_cpu_guest.txt
APPEND=0
while getopts s:n:m:e:a:l:o:A o; do
	case $o in
	s) SETS=$OPTARG ;;
	n) RUNS=$OPTARG ;;
	m) RUNS_MANY=$OPTARG ;;
	e) PYEVERY=$OPTARG ;;
	a) AGENT=$OPTARG ;;
	l) LEAN=$OPTARG ;;
	o) RAW=$OPTARG ;;
	A) APPEND=1 ;;
	*) sed -n '7,19p' "$0" >&2; exit 2 ;;
	esac
done
isnum() { case "$1" in '' | *[!0-9]*) return 1 ;; esac; }
MAX=0
for n in $SETS; do
	isnum "$n" && [ "$n" -ge 1 ] || { echo "bench-check-guest: -s: bad LUN count '$n'" >&2; exit 2; }
	[ "$n" -gt "$MAX" ] && MAX=$n
done
[ "$MAX" -ge 1 ] || { echo "bench-check-guest: -s needs LUN counts" >&2; exit 2; }
for v in RUNS RUNS_MANY PYEVERY; do
	isnum "${!v}" && [ "${!v}" -ge 1 ] || { echo "bench-check-guest: -n, -m and -e need a number >= 1 (got '${!v}')" >&2; exit 2; }
done
if [ "$(id -u)" != 0 ]; then echo "bench-check-guest: needs root (QEMU guest, see tests/vm/README.md)" >&2; exit 77; fi
[ -x "$AGENT" ] || { echo "bench-check-guest: $AGENT not built (make build)" >&2; exit 1; }
if [ -z "$LEAN" ]; then
	cand=$(dirname "$AGENT")/fence_scsi_check
	# A regular file, not a symlink to the agent: the separate binary make build may produce.
	if [ -f "$cand" ] && [ ! -L "$cand" ] && [ -x "$cand" ]; then LEAN=$cand; fi
elif [ "$LEAN" = none ]; then
	LEAN=""
else
	[ -f "$LEAN" ] && [ -x "$LEAN" ] || { echo "bench-check-guest: -l $LEAN: not an executable file" >&2; exit 2; }
fi
GO=${GO:-go}

# Private copies outside /tmp (the guest has its own /tmp) and outside bin/ (a concurrent
# `make build` must not change a binary while the guest runs it).
W=$(mktemp -d /var/tmp/fsg-chkguest.XXXXXX)
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
cp "$AGENT" "$W/fence_scsi_go"
[ -z "$LEAN" ] || cp "$LEAN" "$W/fence_scsi_check"
(cd "$ROOT" && CGO_ENABLED=0 "$GO" build -trimpath -o "$W/empty" ./tests/bench/empty &&
	CGO_ENABLED=0 "$GO" build -trimpath -o "$W/checkcpu" ./tests/bench/checkcpu &&
	CGO_ENABLED=0 "$GO" build -trimpath -o "$W/checkfloor" ./tests/bench/checkfloor &&
	CGO_ENABLED=0 "$GO" build -tags bounded -trimpath -o "$W/checkfloor-bounded" ./tests/bench/checkfloor)
{
	echo "CHK_SETS=\"$SETS\" CHK_RUNS=$RUNS CHK_RUNS_MANY=$RUNS_MANY CHK_PY_EVERY=$PYEVERY"
	echo "CHK_GO=$W/fence_scsi_go CHK_EMPTY=$W/empty CHK_CPU=$W/checkcpu CHK_LEAN=${LEAN:+$W/fence_scsi_check}"
	echo "CHK_FLOOR=$W/checkfloor CHK_FLOOR_BOUNDED=$W/checkfloor-bounded"
	cat "$ROOT/tests/bench/check_guest_scenario.sh"
} >"$W/scenario.sh"

# size FILE: "BYTES/STRIPPED" (stripped: as packaged; 0 if strip fails).
size() {
	local s=0
	strip --strip-unneeded -o "$W/stripped" "$1" 2>/dev/null && s=$(stat -c %s "$W/stripped")
	echo "$(stat -c %s "$1")/$s"
}
# Time limit of the guest: generous estimates under TCG (a round of the Go programs and
# /bin/true about 1 s, the Python check about 10 s and more per LUN), two paths per LUN count,
# plus boot and setup.
budget=300
for n in $SETS; do
	r=$RUNS
	[ "$n" = 1 ] || r=$RUNS_MANY
	budget=$((budget + 2 * (2 * r + (r / PYEVERY + 1) * (20 + 2 * n)) + 60))
done
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench-check-guest: LUN sets [$SETS], $RUNS rounds ($RUNS_MANY at more LUNs), Python in every ${PYEVERY}th; the check's own binary: ${LEAN:-none}; guest timeout ${budget}s; host load $load0"
out=$W/out.txt
rc=0
"$ROOT/tests/vm/run.sh" --nodes 2 --luns "$MAX" --timeout "$budget" --agent "$W/fence_scsi_go" "$W/scenario.sh" |
	tee "$out" || rc=$?
if [ "$rc" != 0 ]; then
	echo "bench-check-guest: guest run failed (exit $rc): $RAW not changed" >&2
	exit "$rc"
fi
mkdir -p "$(dirname "$RAW")"
[ "$APPEND" = 1 ] || : >"$RAW"
{
	echo "# run tests/bench/check_guest.sh -s \"$SETS\" -n $RUNS -m $RUNS_MANY -e $PYEVERY, $(date -u +%Y-%m-%dT%H:%MZ), host $(nproc) CPUs, host load at start $load0, at end $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# agent: $(cd "$ROOT" && git log -1 --format='%h %s' 2>/dev/null | cut -c1-100)"
	echo "# $(tr -d '\r' <"$out" | grep -a -m1 '^CHKGUEST ' || echo 'CHKGUEST ?')"
	echo "SIZE agent=$(size "$W/fence_scsi_go") check=$([ -z "$LEAN" ] && echo - || size "$W/fence_scsi_check") empty=$(stat -c %s "$W/empty")"
	tr -d '\r' <"$out" | grep -a '^CPU path=' || true
} >>"$RAW"
echo "bench-check-guest: $(tr -d '\r' <"$out" | grep -ac '^CPU path=' || true) lines written to $RAW"
"$ROOT/tests/bench/check_guest_report.sh" "$RAW"
}

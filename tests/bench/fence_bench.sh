#!/bin/bash
# Side-by-side benchmark of Debian's fence_scsi and fence_scsi_go on real SCSI-3 PR storage
# on, off and status for 1, 4, 16 and 64 LUNs in the QEMU guest of tests/vm, the floor of off
# (tests/bench/floor) at each LUN count, and both agents and the floor with 32 registered keys
# per LUN. `make bench-fence` runs it (as root; about 30-40 minutes under TCG on a shared
# 2-core host: Python's fence_scsi takes 2-60 s per call there).
#
#   tests/bench/fence_bench.sh [-s "1 4 16 64"] [-r REPS] [-p "16:3 64:2"] [-f FLOORREPS]
#                              [-F "FLOOR SETS"] [-K "KEY SETS"] [-k KEYS] [-o RAWFILE] [-a] [-n]
#
#   -s  LUN counts (one guest run with the largest LUN count of -s, -F, -K; both agents in it)
#   -r  repetitions per agent and LUN count (default 5)
#   -p  repetitions of fence_scsi at large LUN counts: "N:R ..." (R at N LUNs and more) or
#       one number R for 16 LUNs and more (default "16:3 64:2": ~1-2 min per call at 64)
#   -f  repetitions of the floor, each with a fence_scsi_go off and a no-op (default 30)
#   -F  LUN counts of the floor (default: those of -s; "" for none)
#   -K  LUN counts with a registration list of -k keys per LUN (default "1 16"; "" for none)
#   -k  registered keys per LUN in the -K sets: node1, node2 and k-2 extra sessions (default 32)
#   -o  raw results file (BENCH lines; default docs/benchmarks/results.txt, replaced; make
#       bench-fence writes a new file and moves it over results.txt when every run finished)
#   -a  append to the raw file instead of replacing it (e.g. one run for "1 4", one for "16")
#   -n  NVMe: namespaces of the kernel's NVMe-oF target (run.sh --target nvmet --kernel new),
#       fence_scsi_go only (results as agent=fence_scsi_go-nvme; fence_scsi is SCSI only;
#       no floor and no key sets)
# Then tests/bench/report.sh writes docs/benchmarks.md's tables and plots.
set -euo pipefail
{ # read whole before running: editing this file during a run must not change the run
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SETS="1 4 16 64" REPS=5 PYREPS="16:3 64:2" FLREPS=30 RAW=$ROOT/docs/benchmarks/results.txt APPEND=0
FLSETS=default KSETS="1 16" KEYS=32
TARGET=(--target lio)
while getopts s:r:p:f:F:K:k:o:an o; do
	case $o in
	s) SETS=$OPTARG ;;
	r) REPS=$OPTARG ;;
	p) PYREPS=$OPTARG ;;
	f) FLREPS=$OPTARG ;;
	F) FLSETS=$OPTARG ;;
	K) KSETS=$OPTARG ;;
	k) KEYS=$OPTARG ;;
	o) RAW=$OPTARG ;;
	a) APPEND=1 ;;
	n) TARGET=(--target nvmet --kernel new) ;;
	*) sed -n '7,25p' "$0" >&2; exit 2 ;;
	esac
done
[ "$FLSETS" != default ] || FLSETS=$SETS
[ "${TARGET[1]}" = lio ] || FLSETS="" KSETS=""
case $PYREPS in *:*) ;; *) PYREPS="16:$PYREPS" ;; esac
isnum() { case "$1" in '' | *[!0-9]*) return 1 ;; esac; }
for v in $SETS $FLSETS $KSETS $REPS $FLREPS $KEYS ${PYREPS//:/ }; do
	isnum "$v" || { echo "bench-fence: not a number: '$v'" >&2; exit 2; }
done
[ "$KEYS" -ge 3 ] && [ "$KEYS" -le 200 ] || { echo "bench-fence: -k must be 3..200" >&2; exit 2; }
MAX=0
for n in $SETS $FLSETS $KSETS; do [ "$n" -gt "$MAX" ] && MAX=$n; done
[ "$MAX" -ge 1 ] && [ "$MAX" -le 64 ] || { echo "bench-fence: LUN counts must be 1..64" >&2; exit 2; }
# LIO's rd_mcp allocates its RAM disks at once: 64 LUNs of 16 MiB would take 1 GiB of the
# guest's 1.5 GiB. Above 16 LUNs they are 4 MiB (PR does not care about the size).
LUNMB=16
[ "$MAX" -le 16 ] || LUNMB=4
if [ "$(id -u)" != 0 ]; then echo "bench-fence: needs root (QEMU guest, see tests/vm/README.md)" >&2; exit 77; fi

# Private copies of the agent and the floor, outside /tmp (the guest has its own /tmp) and
# outside bin/ (a concurrent `make build` must not change them while the guest runs them).
W=$(mktemp -d /var/tmp/fsg-bench.XXXXXX)
trap 'rm -rf "$W"' EXIT
chmod 755 "$W"
# The agent with make build's tags (urfave_cli_no_docs: no documentation generator linked).
(cd "$ROOT" && CGO_ENABLED=0 go build -trimpath -tags urfave_cli_no_docs -o "$W/fence_scsi_go" ./cmd/fence_scsi_go &&
	CGO_ENABLED=0 go build -trimpath -o "$W/floor" ./tests/bench/floor &&
	CGO_ENABLED=0 go build -trimpath -o "$W/timer" ./tests/bench/timer)
{
	echo "BENCH_LUNSETS=\"$SETS\" BENCH_REPS=$REPS BENCH_PY_REPS=\"$PYREPS\" BENCH_FLOOR_REPS=$FLREPS"
	echo "BENCH_FLOOR_SETS=\"$FLSETS\" BENCH_KEY_SETS=\"$KSETS\" BENCH_KEYS=$KEYS"
	echo "BENCH_GO=$W/fence_scsi_go BENCH_FLOOR=$W/floor BENCH_TIMER=$W/timer"
	cat "$ROOT/tests/bench/pr_bench.sh"
} >"$W/scenario.sh"

# Time budget of the guest: generous estimates per call under TCG (fence_scsi: 25 s + 6 s per
# LUN; fence_scsi_go: 2 s + 0.5 s per LUN), 4 calls per repetition, plus boot and resets; the
# floor sets 12 s + 1 s per LUN per repetition; the key sets the same as a LUN set and a floor
# set, plus 10 s + 1 s per LUN for each extra registrant.
pyreps() {
	local r=$REPS best=0 e
	for e in $PYREPS; do
		if [ "${e%%:*}" -le "$1" ] && [ "${e%%:*}" -ge "$best" ]; then best=${e%%:*} r=${e#*:}; fi
	done
	echo "$r"
}
setcost() { echo $((($(pyreps "$1") * 3 + 1) * (25 + 6 * $1) + (REPS * 3 + 1) * (2 + $1 / 2) + 10 * $1)); }
budget=$((300 + MAX * 3))
for n in $SETS; do budget=$((budget + $(setcost "$n"))); done
for n in $FLSETS; do budget=$((budget + FLREPS * (12 + n))); done
for n in $KSETS; do budget=$((budget + $(setcost "$n") + FLREPS * (12 + n) + (KEYS - 2) * (10 + n))); done
host="$(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg), $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "bench-fence: LUN sets [$SETS], $REPS reps (fence_scsi: $PYREPS), floor at [$FLSETS], $KEYS keys at [$KSETS]; guest timeout ${budget}s; host: $host"
out=$W/out.txt
rc=0
[ "${TARGET[1]}" = lio ] || "$ROOT/tests/vm/prepare.sh" --kernel new
"$ROOT/tests/vm/run.sh" "${TARGET[@]}" --nodes 2 --luns "$MAX" --lun-mb "$LUNMB" --timeout "$budget" --agent "$W/fence_scsi_go" "$W/scenario.sh" |
	tee "$out" || rc=$?
[ "$APPEND" = 1 ] || : >"$RAW"
{
	echo "# run $(date -u +%FT%TZ) ${TARGET[*]} sets=[$SETS] reps=$REPS pyreps=[$PYREPS] floor=[$FLSETS] keys=$KEYS@[$KSETS] rc=$rc host: $host"
	grep -a '^BENCH agent=' "$out" || true
} >>"$RAW"
echo "bench-fence: $(grep -ac '^BENCH agent=' "$out" || true) results appended to $RAW (guest run exit $rc)"
exit "$rc"
}

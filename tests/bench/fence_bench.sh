#!/bin/bash
# Side-by-side benchmark of Debian's fence_scsi and fence_scsi_go on real SCSI-3 PR storage
# on, off and status for 1, 4 and 16 LUNs in the QEMU guest of tests/vm, plus the
# floor of off (tests/bench/floor). `make bench-fence` runs it (as root; about 10-20 minutes
# under TCG on a shared 2-core host: Python's fence_scsi takes 2-25 s per call there).
#
#   tests/bench/fence_bench.sh [-s "1 4 16"] [-r REPS] [-p PYREPS16] [-f FLOORREPS] [-o RAWFILE] [-a] [-n]
#
#   -s  LUN counts (one guest run with max(-s) LUNs; both agents in that same guest run)
#   -r  repetitions per agent and LUN count (default 5)
#   -p  repetitions of fence_scsi at 16 LUNs and more (default 3: ~1 min per call)
#   -f  repetitions of the floor, each with a fence_scsi_go off and a no-op (default 10)
#   -o  raw results file (BENCH lines; default docs/benchmarks/results.txt, replaced)
#   -a  append to the raw file instead of replacing it (e.g. one run for "1 4", one for "16")
#   -n  NVMe: namespaces of the kernel's NVMe-oF target (run.sh --target nvmet --kernel new),
#       fence_scsi_go only (results as agent=fence_scsi_go-nvme; fence_scsi is SCSI only)
# Then tests/bench/report.sh writes docs/benchmarks.md's table and docs/benchmarks.png.
set -euo pipefail
{ # read whole before running: editing this file during a run must not change the run
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SETS="1 4 16" REPS=5 PYREPS=3 FLREPS=10 RAW=$ROOT/docs/benchmarks/results.txt APPEND=0
TARGET=(--target lio)
while getopts s:r:p:f:o:an o; do
	case $o in
	s) SETS=$OPTARG ;;
	r) REPS=$OPTARG ;;
	p) PYREPS=$OPTARG ;;
	f) FLREPS=$OPTARG ;;
	o) RAW=$OPTARG ;;
	a) APPEND=1 ;;
	n) TARGET=(--target nvmet --kernel new) ;;
	*) sed -n '6,16p' "$0" >&2; exit 2 ;;
	esac
done
MAX=0
for n in $SETS; do [ "$n" -gt "$MAX" ] && MAX=$n; done
[ "$MAX" -ge 1 ] || { echo "bench-fence: -s needs LUN counts" >&2; exit 2; }
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
	echo "BENCH_LUNSETS=\"$SETS\" BENCH_REPS=$REPS BENCH_PY_REPS16=$PYREPS BENCH_FLOOR_REPS=$FLREPS"
	echo "BENCH_GO=$W/fence_scsi_go BENCH_FLOOR=$W/floor BENCH_TIMER=$W/timer"
	cat "$ROOT/tests/bench/pr_bench.sh"
} >"$W/scenario.sh"

# Time budget of the guest: generous estimates per call under TCG (fence_scsi: 25 s + 6 s per
# LUN; fence_scsi_go: 2 s + 0.5 s per LUN), 4 calls per repetition, plus boot and resets.
budget=300
for n in $SETS; do
	pr=$REPS
	[ "$n" -lt 16 ] || pr=$PYREPS
	budget=$((budget + (pr * 3 + 1) * (25 + 6 * n) + (REPS * 3 + 1) * (2 + n / 2) + 10 * n))
	[ "$n" != 1 ] || budget=$((budget + FLREPS * 12))
done
host="$(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg), $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)"
echo "bench-fence: LUN sets [$SETS], $REPS reps ($PYREPS for fence_scsi at 16+ LUNs); guest timeout ${budget}s; host: $host"
out=$W/out.txt
rc=0
[ "${TARGET[1]}" = lio ] || "$ROOT/tests/vm/prepare.sh" --kernel new
"$ROOT/tests/vm/run.sh" "${TARGET[@]}" --nodes 2 --luns "$MAX" --timeout "$budget" --agent "$W/fence_scsi_go" "$W/scenario.sh" |
	tee "$out" || rc=$?
[ "$APPEND" = 1 ] || : >"$RAW"
{
	echo "# run $(date -u +%FT%TZ) ${TARGET[*]} sets=[$SETS] reps=$REPS pyreps16=$PYREPS rc=$rc host: $host"
	grep -a '^BENCH agent=' "$out" || true
} >>"$RAW"
echo "bench-fence: $(grep -ac '^BENCH agent=' "$out" || true) results appended to $RAW (guest run exit $rc)"
exit "$rc"
}

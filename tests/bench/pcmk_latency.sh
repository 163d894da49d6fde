#!/bin/bash
# Fence latency as Pacemaker sees it: stonith_admin --unfence / --fence answered by a
# stand-alone pacemaker-fenced in the QEMU guest of tests/vm, with Debian's fence_scsi and with
# fence_scsi_go on the same LIO LUNs (tests/bench/pcmk_bench.sh). Part of `make bench-fence`.
#
#   tests/bench/pcmk_latency.sh [-s "1 16"] [-r REPS] [-o RAWFILE]
#
# Needs root, Debian's pacemaker, pacemaker-cli-utils and fence-agents on the host, and
# fence_scsi_go installed as /usr/sbin/fence_scsi_go (Pacemaker runs agents from /usr/sbin
# only; `make bench-fence` installs the fresh build there). Results are appended to RAWFILE
# (default docs/benchmarks/results.txt) as BENCH lines with op=pcmk-unfence and op=pcmk-fence.
set -euo pipefail
{
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SETS="1 16" REPS=3 RAW=$ROOT/docs/benchmarks/results.txt
while getopts s:r:o: o; do
	case $o in
	s) SETS=$OPTARG ;;
	r) REPS=$OPTARG ;;
	o) RAW=$OPTARG ;;
	*) sed -n '6,6p' "$0" >&2; exit 2 ;;
	esac
done
MAX=0
for n in $SETS; do [ "$n" -gt "$MAX" ] && MAX=$n; done
[ "$MAX" -ge 1 ] || { echo "pcmk-latency: -s needs LUN counts" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "pcmk-latency: needs root" >&2; exit 77; }
for f in /usr/sbin/fence_scsi /usr/sbin/fence_scsi_go /usr/lib/pacemaker/pacemaker-fenced /usr/sbin/stonith_admin; do
	[ -x "$f" ] || { echo "pcmk-latency: $f missing (apt-get install pacemaker pacemaker-cli-utils fence-agents; make install)" >&2; exit 77; }
done
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
{
	echo "BENCH_LUNSETS=\"$SETS\" BENCH_REPS=$REPS"
	cat "$ROOT/tests/e2e/pacemaker_lib.sh" "$ROOT/tests/bench/pcmk_bench.sh"
} >"$W/scenario.sh"
# Generous under TCG: fence_scsi takes up to ~25 s + 6 s per LUN per call there.
budget=$((300 + REPS * 2 * (40 + 12 * MAX) * $(echo "$SETS" | wc -w)))
host="$(nproc) CPU(s), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "pcmk-latency: LUN sets [$SETS], $REPS reps; guest timeout ${budget}s; host: $host"
rc=0
"$ROOT/tests/vm/run.sh" --nodes 2 --luns "$MAX" --timeout "$budget" --agent /usr/sbin/fence_scsi_go "$W/scenario.sh" |
	tee "$W/out" || rc=$?
{
	echo "# run $(date -u +%FT%TZ) pacemaker-fenced sets=[$SETS] reps=$REPS rc=$rc host: $host"
	grep -a '^BENCH agent=' "$W/out" || true
} >>"$RAW"
echo "pcmk-latency: $(grep -ac '^BENCH agent=' "$W/out" || true) results appended to $RAW (guest run exit $rc)"
exit "$rc"
}

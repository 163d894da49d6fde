#!/bin/bash
# Turns the raw BENCH lines of tests/bench/fence_bench.sh into the table of docs/benchmarks.md
# (between the bench-table markers) and the plot docs/benchmarks.png (gnuplot; installed with
# apt-get if missing and we are root).
#
#   tests/bench/report.sh [RAWFILE...]     (default docs/benchmarks/results.txt)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bench/report_lib.sh"
[ $# -gt 0 ] || set -- "$ROOT/docs/benchmarks/results.txt"
MD=$ROOT/docs/benchmarks.md PNG=$ROOT/docs/benchmarks.png
PNG_PCMK=$ROOT/docs/benchmarks-pacemaker.png PNG_NVME=$ROOT/docs/benchmarks-nvme.png
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# agent op luns ms, for successful timed calls (not the untimed-by-design setup).
grep -ah '^BENCH agent=' "$@" | sed 's/^BENCH //' | awk '{
	delete f; for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	if (f["rc"] != "0" || f["op"] == "setup-on" || !("ms" in f)) next
	print f["agent"], f["op"], f["luns"], f["ms"] }' >"$W/samples"

# stats AGENT OP LUNS -> "median n min max" (empty if no sample)
stats() {
	awk -v a="$1" -v o="$2" -v l="$3" '$1 == a && $2 == o && $3 == l {print $4}' "$W/samples" | sort -n |
		awk '{v[NR] = $1} END { if (NR == 0) exit; m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			f = (m < 100) ? "%.1f" : "%.0f"; printf f " %d " f " " f "\n", m, NR, v[1], v[NR] }'
}
fmt() { # "median n min max" -> "1234 (n=5, 1200-1300)"
	[ -n "$1" ] || { echo "-"; return; }
	set -- $1
	echo "$1 (n=$2, $3-$4)"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.1fx", a / b }'; }

# pair_table TITLE HEADER A B "OPS" PLOTPREFIX: a table of agent A against agent B for each LUN
# count that A has samples of, and per op the plot data $W/plot.PLOTPREFIXop ("n a b").
pair_table() {
	local title=$1 header=$2 a=$3 b=$4 ops=$5 pp=$6 n op x y
	local counts
	counts=$(awk -v a="$a" -v ops=" $ops " '$1 == a && index(ops, " " $2 " ") {print $3}' "$W/samples" | sort -nu)
	[ -n "$counts" ] || return 0
	printf '\n%s\n\n%s\n|---:|---|---:|---:|---:|\n' "$title" "$header"
	for n in $counts; do
		for op in $ops; do
			x=$(stats "$a" "$op" "$n") y=$(stats "$b" "$op" "$n")
			[ -n "$x" ] || continue
			echo "| $n | ${op#pcmk-} | $(fmt "$x") | $(fmt "$y") | **$(ratio "${x%% *}" "${y%% *}")** |"
			printf '%s %s %s\n' "$n" "${x%% *}" "$(echo "${y:-?}" | cut -d' ' -f1)" >>"$W/plot.$pp$op"
		done
	done
}

luns=$(awk '{print $3}' "$W/samples" | sort -nu)
{
	echo "| LUNs | op | fence_scsi ms: median (n, min-max) | fence_scsi_go ms: median (n, min-max) | fence_scsi / fence_scsi_go |"
	echo "|---:|---|---:|---:|---:|"
	for n in $luns; do
		for op in on status off; do
			p=$(stats fence_scsi $op "$n") g=$(stats fence_scsi_go $op "$n")
			[ -n "$p$g" ] || continue
			echo "| $n | $op | $(fmt "$p") | $(fmt "$g") | **$(ratio "${p%% *}" "${g%% *}")** |"
			p1=${p%% *} g1=${g%% *}
			printf '%s %s %s %s\n' "$n" "$op" "${p1:-?}" "${g1:-?}" >>"$W/plot.$op"
		done
	done
	f=$(stats floor off 1)
	if [ -n "$f" ]; then
		echo
		echo "| 1 LUN, off | ms: median (n, min-max) | / floor |"
		echo "|---|---:|---:|"
		for a in floor fence_scsi_go-paired fence_scsi_go fence_scsi; do
			case $a in
			floor) d="floor (tests/bench/floor: off's five PR commands, whole process)" ;;
			fence_scsi_go-paired) d="fence_scsi_go off, interleaved with the floor runs" ;;
			*) d="$a off (table above)" ;;
			esac
			x=$(stats "$a" off 1)
			[ -n "$x" ] || continue
			echo "| $d | $(fmt "$x") | **$(ratio "${x%% *}" "${f%% *}")** |"
		done
		us=$({ grep -ah '^BENCH agent=floor-inproc' "$@" || true; } | sed 's/.*us=//' | sort -n | awk '{v[NR]=$1} END {if (NR) printf "%.1f (n=%d, %.1f-%.1f)", ((NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2) / 1000, NR, v[1]/1000, v[NR]/1000}')
		[ -z "$us" ] || echo "| floor's five PR commands alone (in-process, from open to last reply) | $us | |"
		t=$(stats true none 1)
		[ -z "$t" ] || echo "| /bin/true (starting any process in this guest, in every number) | $(fmt "$t") | |"
	fi
	pair_table "Fence latency as Pacemaker sees it (tests/bench/pcmk_latency.sh): stonith_admin's wall time, from its start to the fencer's answer, with a stand-alone pacemaker-fenced in the guest running the agent:" \
		"| LUNs | stonith_admin | fence_scsi ms: median (n, min-max) | fence_scsi_go ms: median (n, min-max) | fence_scsi / fence_scsi_go |" \
		fence_scsi fence_scsi_go "pcmk-unfence pcmk-fence" ""
	pair_table "NVMe namespaces of the kernel's NVMe-oF target (tests/bench/fence_bench.sh -n: its own guest run on the newer kernel, so the LIO column comes from another run; fence_scsi is SCSI only and fails there):" \
		"| namespaces | op | fence_scsi_go on NVMe ms: median (n, min-max) | fence_scsi_go on LIO LUNs, same count | NVMe / LIO |" \
		fence_scsi_go-nvme fence_scsi_go "on status off" nvme-
} >"$W/table.md"
cat "$W/table.md"

if md_table bench-table "$W/table.md" "$MD"; then echo "report: table written to $MD"; fi
have_gnuplot || { echo "report: gnuplot missing: no plot" >&2; exit 0; }
for op in on status off; do [ -f "$W/plot.$op" ] || : >"$W/plot.$op"; done
fl=$(stats floor off 1) tt=$(stats true none 1)
gnuplot <<GP
set terminal pngcairo size 820,620 font ",10"
set output "$PNG"
set termoption noenhanced
set datafile missing "?"
set title "Wall time per call, median (QEMU TCG guest, LIO over iSCSI; log scale)"
set logscale y
set logscale x 2
set xlabel "LUNs"
set ylabel "ms"
set xtics ("1" 1, "4" 4, "16" 16)
set xrange [0.8:20]
set key below maxcols 3
set grid
plot "$W/plot.on" u 1:3 w lp lw 2 dt 2 pt 6 lc 1 t "fence_scsi on", \
     "$W/plot.status" u 1:3 w lp lw 2 dt 2 pt 4 lc 2 t "fence_scsi status", \
     "$W/plot.off" u 1:3 w lp lw 2 dt 2 pt 8 lc 3 t "fence_scsi off", \
     "$W/plot.on" u 1:4 w lp lw 2 pt 7 lc 1 t "fence_scsi_go on", \
     "$W/plot.status" u 1:4 w lp lw 2 pt 5 lc 2 t "fence_scsi_go status", \
     "$W/plot.off" u 1:4 w lp lw 2 pt 9 lc 3 t "fence_scsi_go off"$( [ -n "$fl" ] && printf ', \\\n     "<echo 1 %s" u 1:2 w p pt 3 ps 2 lc rgb "black" t "floor (off, 1 LUN)"' "${fl%% *}")$( [ -n "$tt" ] && printf ', \\\n     %s w l dt 3 lw 2 lc rgb "gray40" t "process start (/bin/true)"' "${tt%% *}")
GP
echo "report: plot written to $PNG"

# xtics_of FILE...: gnuplot xtics for the LUN counts in the first column of FILEs.
xtics_of() { awk '{print $1}' "$@" | sort -nu | awk '{printf "%s\"%s\" %s", (NR > 1 ? ", " : ""), $1, $1}'; }
if [ -s "$W/plot.pcmk-fence" ]; then
	gnuplot <<GP
set terminal pngcairo size 820,520 font ",10"
set output "$PNG_PCMK"
set termoption noenhanced
set datafile missing "?"
set title "stonith_admin wall time through pacemaker-fenced, median (QEMU TCG guest, LIO; log scale)"
set logscale y
set logscale x 2
set xlabel "LUNs"
set ylabel "ms"
set xtics ($(xtics_of "$W/plot.pcmk-fence"))
set xrange [0.8:20]
set key below maxcols 2
set grid
plot "$W/plot.pcmk-unfence" u 1:2 w lp lw 2 dt 2 pt 6 lc 1 t "fence_scsi --unfence", \
     "$W/plot.pcmk-fence" u 1:2 w lp lw 2 dt 2 pt 8 lc 3 t "fence_scsi --fence", \
     "$W/plot.pcmk-unfence" u 1:3 w lp lw 2 pt 7 lc 1 t "fence_scsi_go --unfence", \
     "$W/plot.pcmk-fence" u 1:3 w lp lw 2 pt 9 lc 3 t "fence_scsi_go --fence"
GP
	echo "report: plot written to $PNG_PCMK"
fi
if [ -s "$W/plot.nvme-off" ]; then
	for op in on status; do [ -f "$W/plot.nvme-$op" ] || : >"$W/plot.nvme-$op"; done
	gnuplot <<GP
set terminal pngcairo size 820,520 font ",10"
set output "$PNG_NVME"
set termoption noenhanced
set datafile missing "?"
set title "fence_scsi_go wall time per call, median: NVMe namespaces (nvmet) and LIO LUNs; log scale"
set logscale y
set logscale x 2
set xlabel "LUNs or namespaces"
set ylabel "ms"
set xtics ($(xtics_of "$W/plot.nvme-off"))
set xrange [0.8:20]
set key below maxcols 3
set grid
plot "$W/plot.nvme-on" u 1:2 w lp lw 2 pt 7 lc 1 t "NVMe on", \
     "$W/plot.nvme-status" u 1:2 w lp lw 2 pt 5 lc 2 t "NVMe status", \
     "$W/plot.nvme-off" u 1:2 w lp lw 2 pt 9 lc 3 t "NVMe off", \
     "$W/plot.nvme-on" u 1:3 w lp lw 2 dt 2 pt 6 lc 1 t "LIO on", \
     "$W/plot.nvme-status" u 1:3 w lp lw 2 dt 2 pt 4 lc 2 t "LIO status", \
     "$W/plot.nvme-off" u 1:3 w lp lw 2 dt 2 pt 8 lc 3 t "LIO off"
GP
	echo "report: plot written to $PNG_NVME"
fi

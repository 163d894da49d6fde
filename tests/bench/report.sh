#!/bin/bash
# Turns the raw BENCH lines of tests/bench/fence_bench.sh into the tables of docs/benchmarks.md
# (between the bench-table markers) and the plots docs/benchmarks.png, -floor.png, -keys.png,
# -pacemaker.png and -nvme.png (gnuplot; installed with apt-get if missing and we are root).
#
#   tests/bench/report.sh [RAWFILE...]     (default docs/benchmarks/results.txt and, if there,
#                                           docs/benchmarks/results-scale.txt)
#
# When several runs timed the same agent, op, LUN count and key count, the newest run counts.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bench/report_lib.sh"
if [ $# = 0 ]; then
	set -- "$ROOT/docs/benchmarks/results.txt"
	[ ! -f "$ROOT/docs/benchmarks/results-scale.txt" ] || set -- "$@" "$ROOT/docs/benchmarks/results-scale.txt"
fi
MD=$ROOT/docs/benchmarks.md PNG=$ROOT/docs/benchmarks.png
PNG_PCMK=$ROOT/docs/benchmarks-pacemaker.png PNG_NVME=$ROOT/docs/benchmarks-nvme.png
PNG_FLOOR=$ROOT/docs/benchmarks-floor.png PNG_KEYS=$ROOT/docs/benchmarks-keys.png
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# agent op luns ms keys, for successful timed calls (not the untimed-by-design setup); keys is
# the registration list's length (2 unless the line says keys=K). floor-inproc lines (us=) give
# ms too. Several raw files (or runs appended to one) may time the same thing: for each agent,
# op, LUN count and keys, only the samples of the newest run (its "# run DATE" line) count, so
# that no median mixes two guest runs.
{ grep -ah -e '^BENCH agent=' -e '^# run ' "$@" || true; } | awk '
	/^# run / { run = $3; next }
	{ sub(/^BENCH /, "")
	delete f; for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
	if (f["agent"] == "floor-inproc" && ("us" in f)) { f["rc"] = "0"; f["ms"] = f["us"] / 1000 }
	if (f["rc"] != "0" || f["op"] == "setup-on" || !("ms" in f)) next
	k = f["agent"] " " f["op"] " " f["luns"] " " (("keys" in f) ? f["keys"] : 2)
	n++; key[n] = k; ms[n] = f["ms"]; at[n] = run; rp[n] = ("rep" in f) ? f["rep"] : 0
	if (!(k in newest) || run > newest[k]) newest[k] = run }
	END { for (i = 1; i <= n; i++) if (at[i] == newest[key[i]]) { split(key[i], p, " "); print p[1], p[2], p[3], ms[i], p[4], rp[i] } }' >"$W/samples"

# A table without samples is left out of the report; say so, so that a step of bench-fence that
# did not run is not mistaken for one that was never part of it.
for want in "fence_scsi_go off:the off tables" "fence_scsi_go pcmk-fence:the Pacemaker latency table" \
	"fence_scsi_go-nvme off:the NVMe table" "floor off:the floor table"; do
	awk -v a="${want%%:*}" '($1 " " $2) == a { found = 1 } END { exit !found }' "$W/samples" ||
		echo "report: no samples for ${want%%:*} in $*: leaving out ${want#*:}" >&2
done

# stats AGENT OP LUNS [KEYS] -> "median n min max" (empty if no sample); KEYS default 2.
stats() {
	awk -v a="$1" -v o="$2" -v l="$3" -v k="${4:-2}" '$1 == a && $2 == o && $3 == l && $5 == k {print $4}' "$W/samples" | sort -n |
		awk '{v[NR] = $1} END { if (NR == 0) exit; m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			f = (m < 100) ? "%.1f" : "%.0f"; printf f " %d " f " " f "\n", m, NR, v[1], v[NR] }'
}
fmt() { # "median n min max" -> "1234 (n=5, 1200-1300)"
	[ -n "$1" ] || { echo "-"; return; }
	set -- $1
	echo "$1 (n=$2, $3-$4)"
}
# pair_ratio LUNS KEYS [FLOOR]: each interleaved off against the floor (or FLOOR, e.g. floor3) run of its round (same
# repetition), "median (min-max)" of those ratios, two decimals.
pair_ratio() {
	awk -v l="$1" -v k="$2" -v fl="${3:-floor}" '$2 == "off" && $3 == l && $5 == k && $1 == fl {f[$6] = $4}
		$2 == "off" && $3 == l && $5 == k && $1 == "fence_scsi_go-paired" {p[$6] = $4}
		END { for (r in f) if ((r in p) && f[r] > 0) print p[r] / f[r] }' "$W/samples" | sort -g |
		awk '{v[NR] = $1} END { if (NR == 0) { print "-"; exit }
			m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.2fx (%.2f-%.2f)", m, v[1], v[NR] }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.1fx", a / b }'; }
ratio2() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2fx", a / b }'; }

# pair_table TITLE HEADER A B "OPS" PLOTPREFIX: a table of agent A against agent B for each LUN
# count that A has samples of, and per op the plot data $W/plot.PLOTPREFIXop ("n a b").
pair_table() {
	local title=$1 header=$2 a=$3 b=$4 ops=$5 pp=$6 n op x y
	local counts
	counts=$(awk -v a="$a" -v ops=" $ops " '$1 == a && $5 == 2 && index(ops, " " $2 " ") {print $3}' "$W/samples" | sort -nu)
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

# floor_table [KEYS]: the floor against fence_scsi_go's interleaved off for each LUN count with
# floor samples; plot data $W/plot.floorKEYS ("n floor paired true inproc").
floor_table() {
	local k=${1:-2} n f p t i y f3
	local counts
	counts=$(awk -v k="$k" '$1 == "floor" && $2 == "off" && $5 == k {print $3}' "$W/samples" | sort -nu)
	[ -n "$counts" ] || return 0
	echo
	echo "| LUNs | floor ms: median (n, min-max) | floor's PR commands in-process | fence_scsi_go off, interleaved | off / floor (medians) | off / floor, pair by pair: median (min-max) | /bin/true (process start) | fence_scsi off ${2:-(table above)} / floor |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in $counts; do
		f=$(stats floor off "$n" "$k") p=$(stats fence_scsi_go-paired off "$n" "$k")
		t=$(stats true none "$n" "$k") i=$(stats floor-inproc off "$n" "$k") y=$(stats fence_scsi off "$n" "$k")
		echo "| $n | $(fmt "$f") | $(fmt "$i") | $(fmt "$p") | **$(ratio2 "${p%% *}" "${f%% *}")** | $(pair_ratio "$n" "$k") | $(fmt "$t") | $(ratio "${y%% *}" "${f%% *}") |"
		printf '%s %s %s %s %s\n' "$n" "${f%% *}" "$(echo "${p:-?}" | cut -d' ' -f1)" "$(echo "${t:-?}" | cut -d' ' -f1)" "$(echo "${i:-?}" | cut -d' ' -f1)" >>"$W/plot.floor$k"
	done
}

# floor3_table [KEYS]: fence_scsi_go's off against the floors of its own sequence: floor3 (three
# commands per LUN, all LUNs at once) and floor3o (the same in the race order).
floor3_table() {
	local k=${1:-2} n p f3 f3o
	local counts
	counts=$(awk -v k="$k" '$1 == "floor3" && $2 == "off" && $5 == k {print $3}' "$W/samples" | sort -nu)
	[ -n "$counts" ] || return 0
	echo
	echo "| LUNs | fence_scsi_go off, interleaved | floor3 ms: median (n, min-max) | off / floor3 (medians) | off / floor3, pair by pair | floor3o (race order) ms: median (n, min-max) | off / floor3o (medians) | off / floor3o, pair by pair |"
	echo "|---:|---:|---:|---:|---:|---:|---:|---:|"
	for n in $counts; do
		p=$(stats fence_scsi_go-paired off "$n" "$k") f3=$(stats floor3 off "$n" "$k") f3o=$(stats floor3o off "$n" "$k")
		echo "| $n | $(fmt "$p") | $(fmt "$f3") | **$(ratio2 "${p%% *}" "${f3%% *}")** | $(pair_ratio "$n" "$k" floor3) | $(fmt "$f3o") | **$(ratio2 "${p%% *}" "${f3o%% *}")** | $(pair_ratio "$n" "$k" floor3o) |"
	done
}

# agent_table KEYS PREFIX: fence_scsi against fence_scsi_go per LUN count and op, for the
# samples with KEYS registered keys; plot data $W/plot.PREFIXop ("n op fence_scsi fence_scsi_go").
agent_table() {
	local k=$1 pp=$2 n op p g
	echo "| LUNs | op | fence_scsi ms: median (n, min-max) | fence_scsi_go ms: median (n, min-max) | fence_scsi / fence_scsi_go |"
	echo "|---:|---|---:|---:|---:|"
	for n in $(awk -v k="$k" '$5 == k && ($1 == "fence_scsi" || $1 == "fence_scsi_go") {print $3}' "$W/samples" | sort -nu); do
		for op in on status off; do
			p=$(stats fence_scsi $op "$n" "$k") g=$(stats fence_scsi_go $op "$n" "$k")
			[ -n "$p$g" ] || continue
			echo "| $n | $op | $(fmt "$p") | $(fmt "$g") | **$(ratio "${p%% *}" "${g%% *}")** |"
			p1=${p%% *} g1=${g%% *}
			printf '%s %s %s %s\n' "$n" "$op" "${p1:-?}" "${g1:-?}" >>"$W/plot.$pp$op"
		done
	done
}

KEYSETS=$(awk '$5 != 2 {print $5}' "$W/samples" | sort -nu)
{
	agent_table 2 ""
	if [ -n "$(awk '$1 == "floor" && $5 == 2' "$W/samples")" ]; then
		echo
		echo "The floor (tests/bench/floor: the five PR commands per LUN of fence_scsi's off sequence, one goroutine per LUN, whole process) against fence_scsi_go off run right after it on the same LUNs:"
		floor_table 2
		if [ -n "$(awk '$1 == "floor3" && $5 == 2' "$W/samples")" ]; then
			echo
			echo "The floors of fence_scsi_go's own sequence, timed in the same rounds: floor3 (\`floor -3\`: three commands per LUN, READ FULL STATUS, PREEMPT AND ABORT, READ FULL STATUS, all LUNs at once) and floor3o (\`floor -3 -o\`: the same in the race order, every LU's identity first, then the first LU alone, then the others):"
			floor3_table 2
		fi
	fi
	for k in $KEYSETS; do
		echo
		echo "$k registered keys on every LUN (node1, node2 and $((k - 2)) extra registrants, each its own iSCSI session):"
		echo
		agent_table "$k" "k$k-"
		floor_table "$k" "(same keys)"
		floor3_table "$k"
	done
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
# xtics_of FILE...: gnuplot xtics for the LUN counts in the first column of FILEs.
xtics_of() { awk '{print $1}' "$@" | sort -nu | awk '{printf "%s\"%s\" %s", (NR > 1 ? ", " : ""), $1, $1}'; }
# xmax_of FILE...: the right end of the x range (log scale): 1.25 times the largest count.
xmax_of() { awk '{print $1}' "$@" | sort -n | tail -1 | awk '{printf "%g", ($1 > 16 ? $1 : 16) * 1.25}'; }
# gp_xaxis FILE: the x axis of a plot of FILE's LUN counts (tics at each count, log range).
gp_xaxis() { printf 'set xtics (%s)\nset xrange [0.8:%s]\n' "$(xtics_of "$1")" "$(xmax_of "$1")"; }
tt=$(stats true none 1)
floorplot=""
[ ! -s "$W/plot.floor2" ] || floorplot=$(printf ', \\\n     "%s" u 1:2 w lp lw 2 pt 3 ps 1.5 lc rgb "black" t "floor (off)"' "$W/plot.floor2")
gnuplot <<GP
$(gp_png "$PNG" 820,620)
set title "Wall time per call, median (QEMU TCG guest, LIO over iSCSI; log scale)"
$(gp_loglog "LUNs")
set xtics ($(xtics_of "$W/plot.off" "$W/plot.on"))
set xrange [0.8:$(xmax_of "$W/plot.off" "$W/plot.on")]
set key below maxcols 3
set grid
plot "$W/plot.on" u 1:3 w lp lw 2 dt 2 pt 6 lc 1 t "fence_scsi on", \\
     "$W/plot.status" u 1:3 w lp lw 2 dt 2 pt 4 lc 2 t "fence_scsi status", \\
     "$W/plot.off" u 1:3 w lp lw 2 dt 2 pt 8 lc 3 t "fence_scsi off", \\
     "$W/plot.on" u 1:4 w lp lw 2 pt 7 lc 1 t "fence_scsi_go on", \\
     "$W/plot.status" u 1:4 w lp lw 2 pt 5 lc 2 t "fence_scsi_go status", \\
     "$W/plot.off" u 1:4 w lp lw 2 pt 9 lc 3 t "fence_scsi_go off"$floorplot$( [ -n "$tt" ] && printf ', \\\n     %s w l dt 3 lw 2 lc rgb "gray40" t "process start (/bin/true)"' "${tt%% *}")
GP
echo "report: plot written to $PNG"

if [ -s "$W/plot.pcmk-fence" ]; then
	gnuplot <<GP
$(gp_png "$PNG_PCMK" 820,520)
set title "stonith_admin wall time through pacemaker-fenced, median (QEMU TCG guest, LIO; log scale)"
$(gp_loglog "LUNs")
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
$(gp_png "$PNG_NVME" 820,520)
set title "fence_scsi_go wall time per call, median: NVMe namespaces (nvmet) and LIO LUNs; log scale"
$(gp_loglog "LUNs or namespaces")
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
if [ -s "$W/plot.floor2" ]; then
	gnuplot <<GP
$(gp_png "$PNG_FLOOR" 820,520)
set title "off against its floor, median (QEMU TCG guest, LIO over iSCSI; log scale)"
$(gp_loglog "LUNs")
$(gp_xaxis "$W/plot.floor2")
set key below maxcols 2
set grid
plot "$W/plot.floor2" u 1:3 w lp lw 2 pt 9 lc 3 t "fence_scsi_go off (interleaved with the floor)", \
     "$W/plot.floor2" u 1:2 w lp lw 2 pt 3 lc rgb "black" t "floor (whole process)", \
     "$W/plot.floor2" u 1:5 w lp lw 2 dt 2 pt 2 lc rgb "black" t "floor's PR commands in-process", \
     "$W/plot.floor2" u 1:4 w lp lw 2 dt 3 pt 1 lc rgb "gray40" t "process start (/bin/true)"
GP
	echo "report: plot written to $PNG_FLOOR"
fi
for k in $KEYSETS; do
	[ -s "$W/plot.k$k-off" ] || continue
	for op in on status; do [ -f "$W/plot.k$k-$op" ] || : >"$W/plot.k$k-$op"; done
	fk=""
	[ ! -s "$W/plot.floor$k" ] || fk=$(printf ', \\\n     "%s" u 1:2 w lp lw 2 pt 3 ps 1.5 lc rgb "black" t "floor (off)"' "$W/plot.floor$k")
	gnuplot <<GP
$(gp_png "$PNG_KEYS" 820,520)
set title "Wall time per call with $k registered keys per LUN, median (QEMU TCG guest, LIO; log scale)"
$(gp_loglog "LUNs")
$(gp_xaxis "$W/plot.k$k-off")
set key below maxcols 3
set grid
plot "$W/plot.k$k-on" u 1:3 w lp lw 2 dt 2 pt 6 lc 1 t "fence_scsi on", \
     "$W/plot.k$k-status" u 1:3 w lp lw 2 dt 2 pt 4 lc 2 t "fence_scsi status", \
     "$W/plot.k$k-off" u 1:3 w lp lw 2 dt 2 pt 8 lc 3 t "fence_scsi off", \
     "$W/plot.k$k-on" u 1:4 w lp lw 2 pt 7 lc 1 t "fence_scsi_go on", \
     "$W/plot.k$k-status" u 1:4 w lp lw 2 pt 5 lc 2 t "fence_scsi_go status", \
     "$W/plot.k$k-off" u 1:4 w lp lw 2 pt 9 lc 3 t "fence_scsi_go off"$fk
GP
	echo "report: plot written to $PNG_KEYS"
done

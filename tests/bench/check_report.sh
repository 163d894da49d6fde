#!/bin/bash
# Turns the raw lines of tests/bench/check_cpu.sh into the watchdog-check table of
# docs/benchmarks.md (between the check-table markers) and the plot docs/benchmarks-check.png
# (gnuplot; installed with apt-get if missing and we are root).
#
#   tests/bench/check_report.sh [RAWFILE]     (default docs/benchmarks/check_cpu.txt)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bench/report_lib.sh"
RAW=${1:-$ROOT/docs/benchmarks/check_cpu.txt}
MD=$ROOT/docs/benchmarks.md PNG=$ROOT/docs/benchmarks-check.png
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# path prog cpu_ms exit, from "CPU path=P prog=L user_ms=.. sys_ms=.. cpu_ms=C ... exit=E"
grep -a '^CPU ' "$RAW" | awk '{
	delete f; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = substr($i, length(kv[1]) + 2) }
	print f["path"], f["prog"], f["cpu_ms"], f["exit"] }' >"$W/cpu"
cpu() { awk -v p="$1" -v g="$2" '$1 == p && $2 == g {print $3}' "$W/cpu"; }
ex() { awk -v p="$1" -v g="$2" '$1 == p && $2 == g {print $4}' "$W/cpu"; }
desc() {
	case $1 in
	not-configured) echo "not configured (no cluster.dev)" ;;
	loop-device) echo "device error: loop device, no PR" ;;
	missing-device) echo "device error: missing device" ;;
	version) echo "\`fence_scsi_go -V\` (start-up only)" ;;
	*) echo "$1" ;;
	esac
}

read -r _ agent stripped empty check cstripped < <(grep -a '^SIZE ' "$RAW" | tr '=' ' ' | awk '{print $1, $3, $5, $7, $9, $11}')
{
	echo "| path | ours ms | Python ms | empty Go ms | /bin/true ms | ours / empty Go | Python / ours | Python / empty Go | ≤ 1.5x / ≥ 50x met? | fence_scsi_go as the check: ms, / empty Go |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"
	for p in $(awk '{print $1}' "$W/cpu" | awk '!seen[$0]++'); do
		o=$(cpu "$p" ours) py=$(cpu "$p" python) e=$(cpu "$p" empty-go) t=$(cpu "$p" true) a=$(cpu "$p" agent)
		oe=$(ratio "$o" "$e") po=$(ratio "$py" "$o") pe=$(ratio "$py" "$e")
		echo "| $(desc "$p"), exit $(ex "$p" ours | sed 's/x[0-9]*//g') | $(ms "$o") | $(ms "$py") | $(ms "$e") | $(ms "$t") | $(x "$oe") | $(x "$po") | $(x "$pe") | $(met "$oe" "$po") | $(ms "$a"), $(x "$(ratio "$a" "$e")") |"
		printf '"%s" %s %s %s %s\n' "$p" "${o:-?}" "${py:-?}" "${e:-?}" "${t:-?}" >>"$W/plot"
	done
	echo
	echo "Ours: bin/fence_scsi_check (the watchdog check's own binary) ${check:-?} bytes (${cstripped:-?} stripped, as packaged); in the row of -V, bin/fence_scsi_go $agent bytes ($stripped stripped). The empty Go program $empty bytes."
	echo "Source: \`$(head -1 "$RAW" | sed 's/^# //')\`; $(sed -n '2s/^# //p' "$RAW")."
} >"$W/table.md"
cat "$W/table.md"

if md_table check-table "$W/table.md" "$MD"; then echo "check-report: table written to $MD"; fi
have_gnuplot || { echo "check-report: gnuplot missing: no plot" >&2; exit 0; }
gnuplot <<GP
$(gp_png "$PNG" 820,520)
set title "Watchdog check: CPU (user+sys) per run, mean (log scale; same loop, same load)"
$(gp_hist)
set key top right
set grid ytics
set xtics nomirror
plot "$W/plot" u 3:xtic(1) t "Debian's Python check" lc rgb "#d62728", \
     "" u 2 t "fence_scsi_go" lc rgb "#1f77b4", \
     "" u 4 t "empty Go program" lc rgb "#7f7f7f", \
     "" u 5 t "/bin/true" lc rgb "#c7c7c7"
GP
echo "check-report: plot written to $PNG"

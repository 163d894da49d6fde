#!/bin/bash
# Turns the raw lines of tests/bench/check_guest.sh (the watchdog check on PR storage, in the
# QEMU guest) into the table of docs/benchmarks.md between the check-guest-table markers and
# the plot docs/benchmarks-check-guest.png (gnuplot; installed with apt-get if missing and we
# are root). Only the last run of the file counts (the lines after its last "# run" line).
#
#   tests/bench/check_guest_report.sh [RAWFILE]     (default docs/benchmarks/check_cpu_guest.txt)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/bench/report_lib.sh"
RAW=${1:-$ROOT/docs/benchmarks/check_cpu_guest.txt}
MD=$ROOT/docs/benchmarks.md PNG=$ROOT/docs/benchmarks-check-guest.png
[ -f "$RAW" ] || { echo "check-guest-report: $RAW: no such file" >&2; exit 1; }
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# The last run: from the last "# run" line on.
awk '/^# run / {n = NR} {l[NR] = $0} END {for (i = n ? n : 1; i <= NR; i++) print l[i]}' "$RAW" >"$W/run"
# path luns prog cpu_ms exit runs, from "CPU path=P luns=N prog=L ... cpu_ms=C ... runs=R exit=E"
grep -a '^CPU ' "$W/run" | awk '{
	delete f; for (i = 2; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = substr($i, length(kv[1]) + 2) }
	print f["path"], (f["luns"] == "" ? 1 : f["luns"]), f["prog"], f["cpu_ms"], f["exit"], (f["runs"] == "" ? "?" : f["runs"]) }' >"$W/cpu"
[ -s "$W/cpu" ] || { echo "check-guest-report: no CPU lines in the last run of $RAW" >&2; exit 1; }
# get P N PROG COLUMN: column 4 (cpu_ms), 5 (exit) or 6 (runs) of that row, empty if none.
get() { awk -v p="$1" -v n="$2" -v g="$3" -v c="$4" '$1 == p && $2 == n && $3 == g {print $c}' "$W/cpu"; }
desc() {
	case $1 in
	key-found) echo "key found" ;;
	key-gone) echo "key gone (fenced)" ;;
	*) echo "$1" ;;
	esac
}
name() {
	case $1 in
	ours) echo "bin/fence_scsi_check (the check's own binary)" ;;
	agent) echo "fence_scsi_go as fence_scsi_check (symlink)" ;;
	floor) echo "floor: state files, open, READ KEYS only (tests/bench/checkfloor)" ;;
	floor-bounded) echo "floor with the 5 s bounded wait (checkfloor -tags bounded)" ;;
	*) echo "$1" ;;
	esac
}
codes() { sed 's/x[0-9]*//g'; }

sizes=$(grep -a '^SIZE ' "$W/run" | tail -1)
field() { printf '%s\n' "$sizes" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
{
	echo "| path, LUNs, exit | check | runs: check / Python | check ms | Python ms | empty Go ms | /bin/true ms | check / empty Go | check / floor | Python / check | Python / empty Go | ≤ 1.5x / ≥ 50x met? |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
	while read -r p n; do
		py=$(get "$p" "$n" python 4) e=$(get "$p" "$n" empty-go 4) t=$(get "$p" "$n" true 4)
		pe=$(ratio "$py" "$e") f=$(get "$p" "$n" floor 4)
		for g in ours agent floor-bounded floor; do
			o=$(get "$p" "$n" "$g" 4)
			[ -n "$o" ] || continue
			oe=$(ratio "$o" "$e") po=$(ratio "$py" "$o") of=$(ratio "$o" "$f")
			echo "| $(desc "$p"), $n, exit $(get "$p" "$n" "$g" 5 | codes) | $(name "$g") | $(get "$p" "$n" "$g" 6) / $(get "$p" "$n" python 6) | $(ms "$o") | $(ms "$py") | $(ms "$e") | $(ms "$t") | $(x "$oe") | $(x "$of") | $(x "$po") | $(x "$pe") | $(met "$oe" "$po") |"
		done
		o=$(get "$p" "$n" ours 4) l=$(get "$p" "$n" agent 4)
		printf '"%s, %s LUN%s" %s %s %s %s %s %s\n' "${p#key-}" "$n" "$([ "$n" = 1 ] || echo s)" \
			"${o:-?}" "${l:-?}" "${py:-?}" "${e:-?}" "${t:-?}" "${f:-?}" >>"$W/plot"
	done < <(awk '!seen[$1 " " $2]++ {print $1, $2}' "$W/cpu")
	echo
	chk=$(field check)
	echo "Binaries (bytes / stripped, as packaged): fence_scsi_go $(field agent)$([ "${chk:--}" = - ] || echo "; bin/fence_scsi_check $chk"); the empty Go program $(field empty)."
	echo "Source: \`$(sed -n '1s/^# run //p' "$W/run")\`; $(sed -n '2s/^# //p' "$W/run"); guest: $(sed -n 's/^# CHKGUEST //p' "$W/run")."
} >"$W/table.md"
cat "$W/table.md"

if md_table check-guest-table "$W/table.md" "$MD"; then echo "check-guest-report: table written to $MD"; fi
have_gnuplot || { echo "check-guest-report: gnuplot missing: no plot" >&2; exit 0; }
ours_plot=""
if grep -q ' ours ' "$W/cpu"; then
	ours_plot='     "" u 2 t "bin/fence_scsi_check (own binary)" lc rgb "#1f77b4", \'$'\n'
fi
gnuplot <<GP
$(gp_png "$PNG" 1000,520)
set title "Watchdog check on LIO in the QEMU guest: CPU (user+sys) per run, mean (log scale)"
$(gp_hist)
set key outside right top vertical
set grid ytics
set xtics nomirror
plot "$W/plot" u 4:xtic(1) t "Debian's Python check" lc rgb "#d62728", \
$ours_plot     "" u 3 t "fence_scsi_go as fence_scsi_check" lc rgb "#2ca02c", \
     "" u 7 t "floor (state files, open, READ KEYS)" lc rgb "#ff7f0e", \
     "" u 5 t "empty Go program" lc rgb "#7f7f7f", \
     "" u 6 t "/bin/true" lc rgb "#c7c7c7"
GP
echo "check-guest-report: plot written to $PNG"

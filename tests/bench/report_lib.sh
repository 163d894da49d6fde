# Shared by tests/bench/report.sh, check_report.sh and check_guest_report.sh (sourced).

# md_table NAME TABLE MD: replace what lies between the lines <!-- NAME --> and <!-- /NAME -->
# of the markdown file MD with the file TABLE (nothing happens if MD lacks the markers).
md_table() {
	local name=$1 table=$2 md=$3 tmp
	[ -f "$md" ] && grep -q "^<!-- $name -->" "$md" || return 1
	tmp=$(mktemp)
	awk -v t="$table" -v first="<!-- $name -->" -v last="<!-- /$name -->" '
		$0 == first {print; while ((getline l < t) > 0) print l; skip = 1; next}
		$0 == last {skip = 0} !skip {print}' "$md" >"$tmp" && cat "$tmp" >"$md"
	rm -f "$tmp"
}

# have_gnuplot: gnuplot is there, installed with apt-get if missing and we are root.
have_gnuplot() {
	if ! command -v gnuplot >/dev/null && [ "$(id -u)" = 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends gnuplot-nox >/dev/null || true
	fi
	command -v gnuplot >/dev/null
}

# ratio A B: A / B with two decimals, "-" when either is missing or B is 0.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "-"; else printf "%.2f", a / b }'; }
# x RATIO: "**RATIOx**", or "-".
x() { [ "$1" = - ] && echo - || echo "**$1x**"; }
# ms VALUE: two decimals, or "-" when empty.
ms() { [ -n "$1" ] && printf '%.2f' "$1" || echo "-"; }
# met OURS/EMPTY PYTHON/OURS: the watchdog check's two targets (within 1.5x of an empty Go
# program, at least 50x less than Python's check), "yes" or "**no**" each.
met() {
	awk -v e="$1" -v p="$2" 'BEGIN {
		a = (e != "-" && e <= 1.5); b = (p == "-") ? -1 : (p >= 50)
		printf "%s / %s", a ? "yes" : "**no**", b < 0 ? "-" : (b ? "yes" : "**no**") }'
}

# gp_png OUT SIZE: the first lines of every plot's gnuplot script (PNG file OUT, SIZE as
# "820,520"), used inside the unquoted here-documents given to gnuplot.
gp_png() {
	printf 'set terminal pngcairo size %s font ",10"\nset output "%s"\nset termoption noenhanced\nset datafile missing "?"\n' "$2" "$1"
}
# gp_loglog XLABEL: log-log axes, x in powers of 2 (LUN counts), y in ms.
gp_loglog() { printf 'set logscale y\nset logscale x 2\nset xlabel "%s"\nset ylabel "ms"\n' "$1"; }
# gp_hist: clustered histogram bars on a log scale of ms (the watchdog check's plots).
gp_hist() {
	printf 'set style data histogram\nset style histogram clustered gap 1\nset style fill solid 0.8 border -1\nset logscale y\nset ylabel "ms"\n'
}

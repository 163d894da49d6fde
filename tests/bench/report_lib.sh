# Shared by tests/bench/report.sh and check_report.sh (sourced).

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

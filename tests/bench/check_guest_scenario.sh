# Guest side of the watchdog check's CPU benchmark on real PR storage; run by
# tests/bench/check_guest.sh through tests/vm/run.sh (--nodes 2), which prepends the CHK_*
# settings below. Helpers: tests/vm/guest/lib.sh.
#
# For every LUN count N in CHK_SETS (the first N LUNs of the guest): clear all PR state, node2
# and node1 unfence themselves with fence_scsi_go (-o on), which leaves node1's state files
# (/run/cluster.key, /run/cluster.dev naming its N devices) in node1's private /run (on_node),
# then in node1's namespace:
#   key-found  the checks run while node1's key is registered (they must exit 0)
#   key-gone   after node2 fenced node1 (-o off -n node1) (they must exit 2)
# Each path runs tests/bench/checkcpu once in node1's namespace: the programs round-robin,
# CHK_RUNS rounds (CHK_RUNS_MANY for N > 1), each run a fork, exec and wait4 whose rusage is its
# CPU including the processes it waited for (the Python check's sg_persist). The Python check
# runs only in every CHK_PY_EVERY-th round (it takes seconds per run under TCG, the others a
# fraction of a second), spread over the same stretch of time. Programs: ours
# (the check's own binary, bin/fence_scsi_check, when CHK_LEAN names it), agent (fence_scsi_go
# started as fence_scsi_check through a symlink), python (Debian's
# /usr/share/cluster/fence_scsi_check), empty-go (func main() {}), /bin/true, and the check's
# floor (tests/bench/checkfloor, CHK_FLOOR and CHK_FLOOR_BOUNDED: the state files, the opens and
# one READ KEYS per device, nothing else; "floor-bounded" waits for each SG_IO in a goroutine
# with a 5 s bound, as the check must), which must exit as the checks do.
# Results are console lines in tests/bench/check_cpu.sh's format with the LUN count added:
#   CPU path=key-found luns=N prog=LABEL user_ms=.. sys_ms=.. cpu_ms=.. wall_ms=.. minflt=.. runs=R exit=CODExR
# A check that exits otherwise than expected, even once in its counted runs, fails the run.
: "${CHK_SETS:=1}" "${CHK_RUNS:=100}" "${CHK_RUNS_MANY:=$CHK_RUNS}" "${CHK_PY_EVERY:=1}" "${CHK_LEAN:=}"
: "${CHK_FLOOR:=}" "${CHK_FLOOR_BOUNDED:=}"
: "${CHK_GO:?}" "${CHK_EMPTY:?}" "${CHK_CPU:?}" "${CHK_PY:=/usr/share/cluster/fence_scsi_check}"

# Private copies in the guest's /tmp: a concurrent `make build` on the host must not change a
# binary while it runs (9p).
B=/tmp/fsg-chk
mkdir -p "$B/lean"
cp "$CHK_GO" "$B/fence_scsi_go"
ln -sfn fence_scsi_go "$B/fence_scsi_check"
cp "$CHK_EMPTY" "$B/empty"
cp "$CHK_CPU" "$B/checkcpu"
chmod 755 "$B/fence_scsi_go" "$B/empty" "$B/checkcpu"
for f in "$CHK_FLOOR" "$CHK_FLOOR_BOUNDED"; do
	[ -z "$f" ] || { cp "$f" "$B/$(basename "$f")" && chmod 755 "$B/$(basename "$f")"; }
done
if [ -n "$CHK_LEAN" ]; then
	cp "$CHK_LEAN" "$B/lean/fence_scsi_check"
	chmod 755 "$B/lean/fence_scsi_check"
fi
[ -x "$CHK_PY" ] || { say "no Python check at $CHK_PY: ours and the agent only"; CHK_PY=""; }

# devlist K N: node K's devices of LUNs 1..N, comma-separated.
devlist() {
	local k=$1 n=$2 l out=""
	for ((l = 1; l <= n; l++)); do out="$out${out:+,}$(dev "$k" "$l")"; done
	echo "$out"
}

# checks: the label|path specs of the checks under test (not the empty program, not true).
checks() {
	[ -z "$CHK_LEAN" ] || echo "ours|$B/lean/fence_scsi_check"
	echo "agent|$B/fence_scsi_check"
	[ -z "$CHK_PY" ] || echo "python|$CHK_PY"
	[ -z "$CHK_FLOOR" ] || echo "floor|$B/$(basename "$CHK_FLOOR")"
	[ -z "$CHK_FLOOR_BOUNDED" ] || echo "floor-bounded|$B/$(basename "$CHK_FLOOR_BOUNDED")"
}

# measure PATH N RUNS WANT: one checkcpu run as node1; every check must exit WANT every time.
measure() {
	local path=$1 n=$2 runs=$3 want=$4 spec out line label ex r t0
	local -a progs=() every=()
	[ -z "$CHK_PY" ] || every=(-every "python=$CHK_PY_EVERY")
	while IFS= read -r spec; do progs+=("$spec"); done <<<"$(checks)"
	progs+=("empty-go|$B/empty" "true|/bin/true")
	say "checkcpu: ${#progs[@]} programs, $runs rounds (the Python check in every ${CHK_PY_EVERY}th), as node1"
	t0=$SECONDS
	out=$(on_node 1 "$B/checkcpu" -n "$runs" "${every[@]}" "${progs[@]}") || fail "checkcpu failed ($path, $n LUN(s))"
	say "checkcpu took $((SECONDS - t0)) s"
	while IFS= read -r line; do
		echo "CPU path=$path luns=$n prog=$line"
		label=${line%% *} ex=${line##*exit=} r=${line##*runs=} r=${r%% *}
		case $label in empty-go | true) continue ;; esac
		[ "$ex" = "${want}x$r" ] || fail "$path, $n LUN(s): $label exited $ex over $r runs, want ${want}x$r"
		pass "$path, $n LUN(s): $label exited $want in all $r runs"
	done <<<"$out"
}

step "Watchdog check CPU per run: LUN sets [$CHK_SETS], $CHK_RUNS rounds ($CHK_RUNS_MANY at more than 1 LUN), the Python check in every ${CHK_PY_EVERY}th"
say "guest: $(nproc) vCPU, kernel $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "CHKGUEST guest=$(nproc)vCPU kernel=$(uname -r)"
for n in $CHK_SETS; do
	[ "$n" -le "$FSG_LUNS" ] || fail "LUN set $n > $FSG_LUNS LUNs"
	runs=$CHK_RUNS
	[ "$n" = 1 ] || runs=$CHK_RUNS_MANY
	step "$n LUN(s): key found (node1 unfenced itself) (t=${SECONDS}s)"
	# A new guest has no PR state; after a LUN set, every node leaves every LUN.
	[ "$n" = "${CHK_SETS%% *}" ] || pr_reset_all
	expect_agent 0 2 -o on -n node2 -k "$(key 2)" -d "$(devlist 2 "$n")"
	expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$(devlist 1 "$n")"
	for ((l = 1; l <= n; l++)); do assert_keys "$l" 1 2; done
	on_node 1 sh -c 'for f in /run/cluster.key /run/cluster.dev; do echo "$f: $(tr "\n" " " <"$f")"; done' |
		sed 's/^/   node1 /'
	measure key-found "$n" "$runs" 0

	step "$n LUN(s): key gone (node2 fenced node1) (t=${SECONDS}s)"
	expect_agent 0 2 -o off -n node1 -k "$(key 1)" -d "$(devlist 2 "$n")"
	for ((l = 1; l <= n; l++)); do assert_keys "$l" 2; done
	measure key-gone "$n" "$runs" 2
done
step "Watchdog check CPU per run: done (t=${SECONDS}s)"

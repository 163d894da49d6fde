# Guest side of the fence agent benchmark; run by tests/bench/fence_bench.sh through
# tests/vm/run.sh, which prepends the BENCH_* settings below. Helpers: tests/vm/guest/lib.sh.
#
# For every LUN count in BENCH_LUNSETS (the first N LUNs of the guest): clear all PR state,
# then BENCH_REPS repetitions in which the two agents alternate (so that both see the same
# host load), each agent doing: node2 unfences itself (setup, not reported), then
#   on     node1 unfences itself (-o on; node2 holds the reservation, node1 is not registered)
#   status node1 asks for its own status (-o status, exit 0: ON)
#   off    node2 fences node1 (-o off -n node1 -k node1's key)
# Each call is timed by tests/bench/timer, one per node, started once through on_node (so it
# and the agents it starts see that node's private /run): from just before the fork to the
# end of the wait, the agent's whole process and nothing of the harness. With a single LUN,
# the floor (tests/bench/floor: the PR commands of off only, one process) is timed the same
# way, BENCH_FLOOR_REPS times, each followed by a fence_scsi_go off (agent=fence_scsi_go-paired)
# and by /bin/true (the cost of starting any process in this guest), so that the three see
# the same host load.
# Results are console lines: BENCH agent=A op=O luns=N rep=R ms=M rc=C (M with 0.1 ms).
# On NVMe namespaces (run.sh --target nvmet) only fence_scsi_go runs (fence_scsi is SCSI only),
# as agent=fence_scsi_go-nvme, read back with nvme-cli, and without the floor (an SG_IO program).
: "${BENCH_LUNSETS:=1}" "${BENCH_REPS:=5}" "${BENCH_PY_REPS16:=3}" "${BENCH_FLOOR_REPS:=10}"
: "${BENCH_GO:?}" "${BENCH_FLOOR:?}" "${BENCH_TIMER:?}" "${BENCH_PY:=/usr/sbin/fence_scsi}"

# Private copies: a concurrent `make build` on the host must not change a running binary.
mkdir -p /tmp/fsg-bench
cp "$BENCH_GO" /tmp/fsg-bench/fence_scsi_go
cp "$BENCH_FLOOR" /tmp/fsg-bench/floor
cp "$BENCH_TIMER" /tmp/fsg-bench/timer
chmod 755 /tmp/fsg-bench/fence_scsi_go /tmp/fsg-bench/floor /tmp/fsg-bench/timer
GO=/tmp/fsg-bench/fence_scsi_go FLOOR=/tmp/fsg-bench/floor
ERRORS=0
NVME=0 AGENTS="fence_scsi_go fence_scsi"
if [ "${FSG_TARGET:-lio}" = nvmet ]; then NVME=1 AGENTS=fence_scsi_go-nvme; fi

# devlist K N: node K's devices of LUNs 1..N, comma-separated.
devlist() {
	local k=$1 n=$2 l out=""
	for ((l = 1; l <= n; l++)); do out="$out${out:+,}$(dev "$k" "$l")"; done
	echo "$out"
}

# start_timer K: node K's timer (tests/bench/timer) in node K's mount namespace, reached
# through two FIFOs: TIN[K] (requests) and TOUT[K] (answers).
declare -A TIN TOUT
start_timer() {
	local k=$1 fd
	rm -f "/tmp/fsg-bench/t$k.in" "/tmp/fsg-bench/t$k.out"
	mkfifo "/tmp/fsg-bench/t$k.in" "/tmp/fsg-bench/t$k.out"
	on_node "$k" /tmp/fsg-bench/timer <"/tmp/fsg-bench/t$k.in" >"/tmp/fsg-bench/t$k.out" &
	exec {fd}>"/tmp/fsg-bench/t$k.in"
	TIN[$k]=$fd
	exec {fd}<"/tmp/fsg-bench/t$k.out"
	TOUT[$k]=$fd
}

# timed NAME OP N REP WANT K cmd...: run cmd as node K (through its timer), print a BENCH line.
timed() {
	local name=$1 op=$2 n=$3 rep=$4 want=$5 k=$6 req ans rc us ms
	shift 6
	req=/tmp/fsg-bench/out
	for a in "$@"; do req="$req"$'\t'"$a"; done
	printf '%s\n' "$req" >&"${TIN[$k]}"
	IFS= read -r ans <&"${TOUT[$k]}" || fail "timer of node $k: no answer"
	case $ans in
	"rc="*" us="*) ;;
	*) fail "timer of node $k: bad answer: $ans" ;;
	esac
	rc=${ans#rc=} rc=${rc%% *}
	us=${ans#* us=} us=${us%% *}
	[ "$rc" != -1 ] || fail "timer of node $k could not run $1: $ans"
	ms=$(awk -v u="$us" 'BEGIN { printf "%.1f", u / 1000 }')
	echo "BENCH agent=$name op=$op luns=$n rep=$rep ms=$ms rc=$rc"
	if [ "$rc" != "$want" ]; then
		ERRORS=$((ERRORS + 1))
		echo "BENCH-ERROR agent=$name op=$op luns=$n rep=$rep rc=$rc want=$want"
		sed 's/^/     | /' /tmp/fsg-bench/out | tail -n 20
	fi
}

# check_fenced N: node1's key is gone and node2's holds the reservation on LUNs 1..N.
check_fenced() {
	local n=$1 name=$2 l
	if [ "$NVME" = 1 ]; then
		for ((l = 1; l <= n; l++)); do
			if [ "$(nvme_keys "$l" 2)" != "$(_hexkey 2)" ] || [ "$(nvme_holder "$l" 2)" != "$(_hexkey 2)" ]; then
				ERRORS=$((ERRORS + 1))
				echo "BENCH-ERROR agent=$name luns=$n: namespace $l not fenced as expected (keys: $(nvme_keys "$l" 2 | tr '\n' ' ') holder: $(nvme_holder "$l" 2))"
			fi
		done
		return
	fi
	for ((l = 1; l <= n; l++)); do
		if [ "$(keys "$l" 2)" != "0x$(key 2 | sed 's/^0*//')" ] || [ "$(holder "$l" 2)" != "0x$(key 2 | sed 's/^0*//')" ]; then
			ERRORS=$((ERRORS + 1))
			echo "BENCH-ERROR agent=$name luns=$n: LUN $l not fenced as expected (keys: $(keys "$l" 2 | tr '\n' ' ') holder: $(holder "$l" 2))"
		fi
	done
}

step "Benchmark: LUN sets [$BENCH_LUNSETS], $BENCH_REPS repetitions ($BENCH_PY_REPS16 for fence_scsi at 16 LUNs)"
say "guest: $(nproc) vCPU, kernel $(uname -r); host load: see the host side"
# Warm-up (not reported): the first calls of a fresh guest are slower (page cache over 9p,
# TCG translation), and that would count against whichever agent runs first.
pr_reset_all
start_timer 1
start_timer 2
saved=$ERRORS
for ((r = 1; r <= 3; r++)); do
	for A in "$GO" "$BENCH_PY"; do
		[ "$NVME" = 0 ] || [ "$A" = "$GO" ] || continue
		timed warmup status "$FSG_LUNS" "$r" 2 2 "$A" -o status -n node2 -k "$(key 2)" -d "$(devlist 2 "$FSG_LUNS")" >/dev/null
	done
	[ "$NVME" = 1 ] || timed warmup floor 1 "$r" 1 2 "$FLOOR" >/dev/null
	timed warmup true 1 "$r" 0 2 /bin/true >/dev/null
done
ERRORS=$saved
for n in $BENCH_LUNSETS; do
	[ "$n" -le "$FSG_LUNS" ] || fail "LUN set $n > $FSG_LUNS LUNs"
	D1=$(devlist 1 "$n") D2=$(devlist 2 "$n")
	maxreps=$BENCH_REPS
	pr_reset_all
	step "$n LUN(s) or namespace(s): $AGENTS (alternating), $BENCH_REPS repetitions each"
	for ((r = 1; r <= maxreps; r++)); do
		for name in $AGENTS; do
			if [ "$name" = fence_scsi ]; then A=$BENCH_PY; else A=$GO; fi
			if [ "$name" = fence_scsi ] && [ "$n" -ge 16 ] && [ "$r" -gt "$BENCH_PY_REPS16" ]; then continue; fi
			# node2 (re)unfences itself with this agent, so that its state files are this
			# agent's; already registered, this is cheap for both.
			timed "$name" setup-on "$n" "$r" 0 2 "$A" -o on -n node2 -k "$(key 2)" -d "$D2"
			timed "$name" on "$n" "$r" 0 1 "$A" -o on -n node1 -k "$(key 1)" -d "$D1"
			timed "$name" status "$n" "$r" 0 1 "$A" -o status -n node1 -k "$(key 1)" -d "$D1"
			timed "$name" off "$n" "$r" 0 2 "$A" -o off -n node1 -k "$(key 1)" -d "$D2"
			[ "$r" != 1 ] || check_fenced "$n" "$name"
		done
	done
	if [ "$n" = 1 ] && [ "$NVME" = 0 ]; then
		step "floor: the PR commands of off only (read keys, register, preempt and abort, read keys, read reservation), 1 LUN; interleaved with fence_scsi_go off"
		pr_reset_all
		on_node 2 "$GO" -o on -n node2 -k "$(key 2)" -d "$D2" >/dev/null 2>&1 || fail "floor setup: node2 on"
		for ((r = 1; r <= BENCH_FLOOR_REPS; r++)); do
			on_node 1 "$GO" -o on -n node1 -k "$(key 1)" -d "$D1" >/dev/null 2>&1 || fail "floor setup: node1 on"
			timed floor off 1 "$r" 0 2 "$FLOOR" -d "$D2" -k "$(key 2)" -v "$(key 1)"
			sed -n 's/^inproc_us=/BENCH agent=floor-inproc op=off luns=1 rep='"$r"' us=/p' /tmp/fsg-bench/out
			[ "$r" != 1 ] || check_fenced 1 floor
			on_node 1 "$GO" -o on -n node1 -k "$(key 1)" -d "$D1" >/dev/null 2>&1 || fail "floor setup: node1 on"
			timed fence_scsi_go-paired off 1 "$r" 0 2 "$GO" -o off -n node1 -k "$(key 1)" -d "$D2"
			# The cost of starting any process here (the timer around /bin/true).
			timed true none 1 "$r" 0 2 /bin/true
		done
	fi
done
step "Benchmark done: $ERRORS error(s)"
[ "$ERRORS" = 0 ] || fail "$ERRORS benchmark error(s)"

# Guest side of the fence latency benchmark as Pacemaker sees it (tests/bench/pcmk_latency.sh
# prepends tests/e2e/pacemaker_lib.sh and the BENCH_* settings). A stand-alone pacemaker-fenced
# runs as node 2 with one stonith device per agent and LUN count (fence_scsi and fence_scsi_go,
# both from /usr/sbin, on node 2's paths of LUNs 1..N). Per repetition, with the LUNs cleared:
#   pcmk-unfence  stonith_admin --unfence localhost (node 2 registers and reserves)
#   (node 1 unfences itself by running the same agent directly: not timed)
#   pcmk-fence    stonith_admin --fence node1 (the fencer runs the agent's off)
# each timed from stonith_admin's start to its exit: what an administrator (or the cluster)
# waits for the fencer's answer. Results: BENCH agent=A op=O luns=N rep=R ms=M rc=C.
: "${BENCH_LUNSETS:=1 16}" "${BENCH_REPS:=3}"
declare -F fenced_start >/dev/null || fail "pacemaker_lib.sh not prepended (run tests/bench/pcmk_latency.sh)"
for a in fence_scsi fence_scsi_go; do [ -x "/usr/sbin/$a" ] || fail "/usr/sbin/$a is not installed on the host"; done
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2"
W=/tmp/fsg-pcmk-bench
mkdir -p "$W" /tmp/fsg-nodes/node1 /tmp/fsg-nodes/node2
CMAP=$W/corosync-cmapctl
cmap_stub "$CMAP" fsgbench node1=1 localhost=2
ERRORS=0

devlist() {
	local k=$1 n=$2 l out=""
	for ((l = 1; l <= n; l++)); do out="$out${out:+,}$(dev "$k" "$l")"; done
	echo "$out"
}
# clear N: every node leaves LUNs 1..N (the node directories, where the fencer's /run is, stay).
clear_luns() {
	local k l
	for ((k = 1; k <= FSG_NODES; k++)); do
		for ((l = 1; l <= $1; l++)); do _pr_unregister "$k" "$l"; done
	done
}
# timed_sa AGENT OP N REP WANT ARGS...: one stonith_admin call, timed, as a BENCH line.
timed_sa() {
	local a=$1 op=$2 n=$3 r=$4 want=$5 t0 rc=0
	shift 5
	t0=$(date +%s%N)
	stonith_admin "$@" >"$W/sa.out" 2>&1 || rc=$?
	echo "BENCH agent=$a op=$op luns=$n rep=$r ms=$(awk -v d="$(($(date +%s%N) - t0))" 'BEGIN { printf "%.1f", d / 1e6 }') rc=$rc"
	if [ "$rc" != "$want" ]; then
		ERRORS=$((ERRORS + 1))
		echo "BENCH-ERROR agent=$a op=$op luns=$n rep=$r rc=$rc want=$want"
		sed 's/^/     | /' "$W/sa.out"
		# What the fencer logged of the agent's run (its output and exit).
		grep -a 'log_op_output\|async_action_complete\|log_async_result' "$W/fenced.log" | tail -n 12 | sed 's/^/     fenced| /'
	fi
}

fenced_start 2 "$W"
trap 'rc=$?; [ "$rc" = 0 ] || fenced_log_tail "$W"; fenced_stop "$W"' EXIT
step "Pacemaker fence latency: LUN sets [$BENCH_LUNSETS], $BENCH_REPS repetitions per agent"
for n in $BENCH_LUNSETS; do
	[ "$n" -le "$FSG_LUNS" ] || fail "LUN set $n > $FSG_LUNS LUNs"
	D1=$(devlist 1 "$n") D2=$(devlist 2 "$n")
	for ((r = 1; r <= BENCH_REPS; r++)); do
		for a in fence_scsi_go fence_scsi; do # alternating, so both see the same host load
			expect_sa 0 --register "bench-$a" --agent "$a" -o "devices=$D2" \
				-o "corosync_cmap_path=$CMAP" -o "pcmk_host_list=node1 localhost" >/dev/null
			clear_luns "$n"
			timed_sa "$a" pcmk-unfence "$n" "$r" 0 --unfence localhost --timeout 300
			on_node 1 "/usr/sbin/$a" -o on -n node1 --corosync-cmap-path="$CMAP" -d "$D1" >/dev/null 2>&1 ||
				fail "$a: node 1 could not unfence itself ($n LUNs)"
			[ "$(keys 1 2 | wc -l)" = 2 ] || fail "$a: LUN 1 does not have both keys before the fence"
			timed_sa "$a" pcmk-fence "$n" "$r" 0 --fence node1 --timeout 300
			if [ "$(keys 1 2 | wc -l)" != 1 ] || [ "$(keys "$n" 2 | wc -l)" != 1 ]; then
				ERRORS=$((ERRORS + 1))
				echo "BENCH-ERROR agent=$a luns=$n rep=$r: node 1 still registered after the fence"
			fi
			expect_sa 0 --deregister "bench-$a" >/dev/null
		done
	done
done
step "Pacemaker fence latency done: $ERRORS error(s)"
[ "$ERRORS" = 0 ] || fail "$ERRORS benchmark error(s)"

# The split-brain shoot-out (docs/fencing-race.md): two nodes, every LUN shared, both unfenced;
# then at the same instant node 1 runs `off` of node 2 and node 2 runs `off` of node 1, as two
# partitioned Pacemaker nodes do. RACE_ITER iterations (set by the Go test). After each, exactly
# one `off` exits 0 and every LUN holds that node's key alone, reserved by it; the loser's writes
# fail and the winner's succeed; no LUN is ever left without a reservation. The kernel log is
# checked for a soft lockup (seen with fence_scsi in this race on LIO).
[ "$FSG_NODES" = 2 ] || fail "needs --nodes 2"
RACE_ITER=${RACE_ITER:-10}
BARRIER=/tmp/fsg-race.lock
splits=0 open=0 double=0 none=0 wins1=0 wins2=0 holder_won=0

# racer K VICTIM OUT: node K's off of node VICTIM, started when the barrier lock is released.
racer() {
	local k=$1 v=$2 out=$3 rc=0
	on_node "$k" flock -s "$BARRIER" "$AGENT" -o off -n "node$v" -k "$(key "$v")" -d "$(devs "$k")" \
		>"$out.out" 2>"$out.err" || rc=$?
	echo "$rc" >"$out.rc"
}

# lun_owner L: the node whose key alone is registered on LUN L and holds it, else "split:..."
# (from PR_KEYS and PR_HOLDER, set by pr_state L).
lun_owner() {
	case "$PR_KEYS" in
	"$K1") [ "$PR_HOLDER" = "$K1" ] && { echo 1; return; } ;;
	"$K2") [ "$PR_HOLDER" = "$K2" ] && { echo 2; return; } ;;
	esac
	echo "keys=[$PR_KEYS] holder=${PR_HOLDER:-none}"
}
K1=$(_hexkey 1) K2=$(_hexkey 2)

dmesg -c >/dev/null 2>&1 || true
for ((i = 1; i <= RACE_ITER; i++)); do
	pr_reset_all
	first=$((1 + (i % 2))) second=$((2 - (i % 2)))
	on_node "$first" "$AGENT" -o on -n "node$first" -k "$(key "$first")" -d "$(devs "$first")" >/dev/null ||
		fail "iteration $i: unfence node $first"
	on_node "$second" "$AGENT" -o on -n "node$second" -k "$(key "$second")" -d "$(devs "$second")" >/dev/null ||
		fail "iteration $i: unfence node $second"
	exec 9>"$BARRIER"
	flock -x 9
	racer 1 2 /tmp/race1 &
	p1=$!
	racer 2 1 /tmp/race2 &
	p2=$!
	sleep 0.5 # both racers are blocked on the lock
	flock -u 9
	exec 9>&-
	wait "$p1" "$p2" || true
	rc1=$(cat /tmp/race1.rc) rc2=$(cat /tmp/race2.rc)
	owners=""
	for ((l = 1; l <= FSG_LUNS; l++)); do
		pr_state "$l"
		[ -n "$PR_HOLDER" ] || open=$((open + 1))
		owners="$owners [$(lun_owner)]"
	done
	say "iteration $i (node $first unfenced first): node1 off node2 exit $rc1, node2 off node1 exit $rc2; LUN owners:$owners"
	if [ "$rc1" = 0 ] && [ "$rc2" = 0 ]; then double=$((double + 1)); fi
	if [ "$rc1" != 0 ] && [ "$rc2" != 0 ]; then none=$((none + 1)); fi
	w=""
	[ "$rc1" = 0 ] && w=1
	[ "$rc2" = 0 ] && w=2
	want=""
	for ((l = 1; l <= FSG_LUNS; l++)); do want="$want [${w:-?}]"; done
	if [ "$owners" != "$want" ]; then
		splits=$((splits + 1))
		sed 's/^/     node1 2> /' /tmp/race1.err
		sed 's/^/     node2 2> /' /tmp/race2.err
		continue
	fi
	[ "$w" = 1 ] && wins1=$((wins1 + 1))
	[ "$w" = 2 ] && wins2=$((wins2 + 1))
	# The node unfenced first holds the reservations; it has priority in the race (it preempts
	# at once, the other waits 2 s first), so it should win unless it was more than 2 s late.
	[ "$w" = "$first" ] && holder_won=$((holder_won + 1))
	loser=$((3 - w))
	grep -q "has been fenced" "/tmp/race$loser.err" || {
		sed 's/^/     2> /' "/tmp/race$loser.err"
		fail "iteration $i: the loser's error does not say it has been fenced"
	}
	for ((l = 1; l <= FSG_LUNS; l++)); do
		_write "$loser" "$l" >/dev/null && fail "iteration $i: loser node $loser still writes LUN $l"
		_write "$w" "$l" || fail "iteration $i: winner node $w cannot write LUN $l"
	done
done
if dmesg | grep -qi 'soft lockup\|hung_task\|blocked for more than'; then
	dmesg | grep -i 'soft lockup\|hung_task\|blocked for more than' | head -5
	fail "the kernel reported a lockup during the races"
fi
say "SHOOTOUT: iterations=$RACE_ITER splits=$splits unreserved_luns=$open both_exit0=$double none_exit0=$none node1_won=$wins1 node2_won=$wins2 holder_won=$holder_won"
[ "$splits$open$double$none" = 0000 ] || fail "the shoot-out broke the one-writer rule"
pass "$RACE_ITER races on $FSG_LUNS LUNs: exactly one winner each time, holding every LUN alone"

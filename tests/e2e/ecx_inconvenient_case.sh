# ecx_inconvenient_case: the "inconvenient case" of the EXPRESSCLUSTER write-up (a delayed server resumes) on two LUNs.
# Node 1 acquires both LUNs, defends them and writes sequence-numbered blocks; both of its
# processes are frozen (SIGSTOP of their process groups) as a delayed VM would be; node 2
# acquires (exit 0, after its wait window) and writes its own blocks over the same LBAs; node 1
# is resumed (SIGCONT). Node 1's writes must be refused by the target (EBADE), its defender must
# exit 1 within about one period, and every block written after the takeover must be node 2's
# (read back through node 2). Then node 2 `defend --once` -> 0 and `release` -> 0.
# Run with: tests/vm/run.sh --nodes 2 --luns 2 --agent $PWD/bin/fence_scsi_go tests/e2e/ecx_inconvenient_case.sh
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 2 ] || fail "needs --nodes 2 --luns 2"
FSG_WITNESS=2 # sg_persist through node 2's nexus: never consume node 1's unit attentions

declare -F ecx_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/ecx_lib.sh" ||
	fail "ecx_lib.sh not found: run through ecx_test.go or with --agent <repo>/bin/fence_scsi_go"

D1=$(devs 1) D2=$(devs 2)
say "node 1 devices $D1; node 2 devices $D2; P=${P}s M=$M T=${T}s W=${W}s"

step "Node 1 acquires LUNs 1 and 2 (nobody owns them: no wait)"
t=$(now)
expect_agent 0 1 acquire --devices="$D1" --key="$(key 1)"
say "node 1 acquire took $(since "$t") s"
for l in 1 2; do
	assert_keys "$l" 1
	assert_has "$(restype "$l")" "LUN $l reserved WE-AR" "all registrants"
done

step "Node 1 defends in the background and writes sequence-numbered blocks"
bg_node 1 /tmp/ecx-defend1.log "$AGENT" defend --devices="$D1" --key="$(key 1)"
DPID=$BG_PID
bg_node 1 /tmp/ecx-writer1.log bash /tmp/ecx-writer.sh node1 0.2 "$BASE" 0 3000 $(echo "$D1" | tr , ' ')
WPID=$BG_PID
[ "$(pgid_of "$DPID")" = "$DPID" ] && [ "$(pgid_of "$WPID")" = "$WPID" ] || fail "setsid did not make process-group leaders"
say "defender pid/pgid $DPID, writer pid/pgid $WPID"
# ~3 s of writing, longer if the host is slow: at least 2 successful writes per LUN (limit 60 s)
sleep 3
t=$(now)
for i in $(seq 600); do
	n1=$(awk '$2 == 1 && $5 == "ok"' /tmp/ecx-writer1.log | wc -l)
	n2=$(awk '$2 == 2 && $5 == "ok"' /tmp/ecx-writer1.log | wc -l)
	{ [ "$n1" -ge 2 ] && [ "$n2" -ge 2 ]; } || grep -q FAIL /tmp/ecx-writer1.log && break
	sleep 0.1
done
[ "$n1" -ge 2 ] && [ "$n2" -ge 2 ] || { cat /tmp/ecx-writer1.log; fail "node 1's writer: only $n1/$n2 successful writes to LUNs 1/2"; }
pass "node 1's writer wrote $n1 blocks to LUN 1 and $n2 to LUN 2 (after 3+$(since "$t")s)"
! grep -q FAIL /tmp/ecx-writer1.log || { cat /tmp/ecx-writer1.log; fail "node 1's writer failed while it owned the LUNs"; }
[ -d "/proc/$DPID" ] || { cat /tmp/ecx-defend1.log; fail "node 1's defender exited early"; }
sed 's/^/     defend1> /' /tmp/ecx-defend1.log

step "Node 1 is delayed: its defender and writer are frozen (SIGSTOP of both process groups)"
kill -STOP -- "-$DPID" "-$WPID"
T_FREEZE=$(now)
for p in $DPID $WPID; do
	for i in $(seq 50); do [ "$(pstate "$p")" = T ] && break; sleep 0.1; done
	[ "$(pstate "$p")" = T ] || fail "pid $p not stopped (state $(pstate "$p"))"
done
sleep 0.5 # a dd in flight at the freeze completes (in the kernel) before its process stops
LAST1=$(awk '{s=$1} END {print s+0}' /tmp/ecx-writer1.log)
pass "node 1 frozen at $T_FREEZE; its writer's last logged sequence number is $LAST1"

step "Node 2 acquires: node 1 does not renew, so node 2 must wait W=${W}s and then take over"
t=$(now)
expect_agent 0 2 acquire --devices="$D2" --key="$(key 2)"
ACQ2=$(since "$t")
T_TAKE=$(now)
say "takeover complete at $T_TAKE"
fge "$ACQ2" "$W" || fail "node 2's acquire took ${ACQ2}s, less than the wait window ${W}s"
pass "node 2's acquire took ${ACQ2}s (>= W=${W}s)"
assert_has "$AGENT_ERR" "node 2 reports the preemption" "preempted owner"
for l in 1 2; do
	show_pr "$l"
	assert_keys "$l" 2
done

assert_node1_refused() { assert_write_fails 1 "$1"; }
ecx_after_takeover LUN LUNs assert_node1_refused

step "Node 2 still holds the LUNs; defend --once -> 0; release -> 0"
for l in 1 2; do assert_keys "$l" 2; assert_write_ok 2 "$l"; done
expect_agent 0 2 defend --once --devices="$D2" --key="$(key 2)"
expect_agent 0 2 release --devices="$D2" --key="$(key 2)"
for l in 1 2; do
	show_pr "$l"
	assert_keys "$l"
	assert_holder "$l" none
done
say "SUMMARY: node 2 acquire (takeover) ${ACQ2}s (W=${W}s); node 1 defender exit 1 ${DET}s after resume (P=${P}s T=${T}s)"

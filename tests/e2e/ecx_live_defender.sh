# ecx_live_defender: a live defender wins. Node 1 acquires two
# LUNs and defends them in the background while a probe writes both LUNs every 0.5 s; node 2's
# `acquire` must exit 3 (owner alive) after at least its wait window, node 1 must never lose write
# access (no failed probe), its key and reservation stay as they were, node 1's `defend --once`
# says held (0), and SIGTERM stops node 1's defender with exit 0.
# Run with: tests/vm/run.sh --nodes 2 --luns 2 --agent $PWD/bin/fence_scsi_go tests/e2e/ecx_live_defender.sh
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 2 ] || fail "needs --nodes 2 --luns 2"
FSG_WITNESS=2

declare -F ecx_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/ecx_lib.sh" ||
	fail "ecx_lib.sh not found: run through ecx_test.go or with --agent <repo>/bin/fence_scsi_go"

D1=$(devs 1) D2=$(devs 2)
say "node 1 devices $D1; node 2 devices $D2; P=${P}s M=$M T=${T}s W=${W}s"

step "Node 1 acquires LUNs 1 and 2, defends them in the background, and probes its writes every 0.5 s"
expect_agent 0 1 acquire --devices="$D1" --key="$(key 1)"
bg_node 1 /tmp/ecx-defend1.log "$AGENT" defend --devices="$D1" --key="$(key 1)"
DPID=$BG_PID
bg_node 1 /tmp/ecx-probe1.log bash /tmp/ecx-writer.sh node1 0.5 "$BASE" 0 3000 $(echo "$D1" | tr , ' ')
WPID=$BG_PID
sleep 3
for i in $(seq 600); do # at least one successful probe per LUN (up to 60 s on a slow host)
	[ "$(awk '$5 == "ok" {print $2}' /tmp/ecx-probe1.log | sort -u | wc -l)" -ge 2 ] && break
	grep -q FAIL /tmp/ecx-probe1.log && break
	sleep 0.1
done
for l in 1 2; do
	n=$(awk -v l="$l" '$2 == l && $5 == "ok"' /tmp/ecx-probe1.log | wc -l)
	[ "$n" -ge 1 ] || { cat /tmp/ecx-probe1.log; fail "node 1's probe: no successful write to LUN $l"; }
	show_pr "$l"
	assert_keys "$l" 1
done
GEN0=$(for l in 1 2; do _pr_in "$l" 2 -k | sed -n 's/.*PR generation=\(0x[0-9a-fA-F]*\).*/\1/p'; done | tr '\n' ' ')
say "PR generations before node 2's attempt: $GEN0"

step "Node 2 tries to acquire while node 1 is alive: exit 3 after at least W=${W}s"
T_ATT=$(now)
expect_agent 3 2 acquire --devices="$D2" --key="$(key 2)"
ACQ2=$(since "$T_ATT")
fge "$ACQ2" "$W" || fail "node 2's acquire gave up after ${ACQ2}s, less than the wait window ${W}s"
pass "node 2's acquire exited 3 (owner alive) after ${ACQ2}s (>= W=${W}s)"
assert_has "$AGENT_ERR" "node 2 says the owner is alive" "owner alive"
T_END=$(now)
for i in $(seq 300); do # one more probe round on both LUNs after node 2 gave up (up to 30 s)
	[ "$(awk -v t="$T_END" '$3 > t {print $2}' /tmp/ecx-probe1.log | sort -u | wc -l)" -ge 2 ] && break
	sleep 0.1
done

step "Node 1 never lost write access; its key and reservation are unchanged"
kill -KILL -- "-$WPID" 2>/dev/null || true
wait "$WPID" 2>/dev/null || true
NP=$(wc -l </tmp/ecx-probe1.log)
NW=$(awk -v t="$T_ATT" '$3 > t' /tmp/ecx-probe1.log | wc -l)
if grep FAIL /tmp/ecx-probe1.log; then fail "node 1's probe failed (above)"; fi
[ "$NW" -ge 2 ] || fail "only $NW probe writes during node 2's attempt"
pass "all $NP probe writes of node 1 succeeded, $NW of them during and after node 2's attempt"
for l in 1 2; do
	show_pr "$l"
	assert_keys "$l" 1
	assert_has "$(restype "$l")" "LUN $l still WE-AR" "all registrants"
	assert_write_ok 1 "$l"
	assert_write_fails 2 "$l"
done
[ -d "/proc/$DPID" ] || { cat /tmp/ecx-defend1.log; fail "node 1's defender exited"; }
sed 's/^/     defend1> /' /tmp/ecx-defend1.log
expect_agent 0 1 defend --once --devices="$D1" --key="$(key 1)"

step "SIGTERM stops node 1's defender with exit 0 (the cluster manager stopping the monitor)"
kill -TERM "$DPID"
rc=0
wait "$DPID" || rc=$?
tail -n 2 /tmp/ecx-defend1.log | sed 's/^/     defend1> /'
[ "$rc" = 0 ] || fail "node 1's defender exited $rc after SIGTERM, want 0"
grep -q "defend: stopped" /tmp/ecx-defend1.log || fail "the defender does not say 'stopped'"
pass "node 1's defender exited 0 on SIGTERM"
for l in 1 2; do assert_keys "$l" 1; done
expect_agent 0 1 release --devices="$D1" --key="$(key 1)"
for l in 1 2; do assert_keys "$l"; assert_holder "$l" none; done
say "SUMMARY: node 2 acquire gave up (exit 3) after ${ACQ2}s (W=${W}s); $NP/$NP probe writes of node 1 succeeded"

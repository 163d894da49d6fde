# nvme_ecx: the "inconvenient case" of the EXPRESSCLUSTER write-up (a delayed server resumes) on
# the real NVMe-oF target (run.sh --target nvmet: the kernel's nvmet over TCP), as
# ecx_inconvenient_case.sh does it on LIO. Node 1 acquires every namespace, defends them and
# writes sequence-numbered blocks; both of its processes are frozen (SIGSTOP of their process
# groups) as a delayed VM would be; node 2 acquires (exit 0, after its wait window) and writes
# its own blocks over the same LBAs; node 1 is resumed (SIGCONT). Node 1's writes must be
# refused by the target (reservation conflict: EBADE), its defender must exit 1 (LOST) within
# about one period, and every block written after the takeover must be node 2's (read back
# through node 2). Then node 2 `defend --once` -> 0 and `release` -> 0.
# The reservation is read with nvme-cli (resv-report) through node 2's controller, never with
# the agent. Run with:
#   tests/vm/run.sh --target nvmet --nodes 2 --luns 2 --agent $PWD/bin/fence_scsi_go tests/e2e/nvme_ecx.sh
[ "$FSG_TARGET" = nvmet ] || fail "run with tests/vm/run.sh --target nvmet"
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 2 ] || fail "needs --nodes 2 --luns 2"
FSG_WITNESS=2

declare -F ecx_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/ecx_lib.sh" ||
	fail "ecx_lib.sh not found: run through nvme_test.go or with --agent <repo>/bin/fence_scsi_go"

# On a failure, the kernel's NVMe messages (controller resets, keep-alive expiries ...).
trap 'rc=$?; [ "$rc" = 0 ] || { echo "   -- kernel log, nvme lines --"; dmesg | grep nvme | tail -n 25 | sed "s/^/   | /"; }' EXIT

# show_ns L: keys, reservation type and holders of namespace L (nvme-cli, witness node 2).
show_ns() {
	local k h
	k=$(nvme_keys "$1" | tr '\n' ' ')
	h=$(nvme_holder "$1" | tr '\n' ' ')
	say "namespace $1: keys: ${k:-(none)} | rtype $(nvme_rtype "$1") | holders: ${h:-(none)}"
}

D1=$(devs 1) D2=$(devs 2)
say "node 1 devices $D1; node 2 devices $D2; P=${P}s M=$M T=${T}s W=${W}s"
for l in 1 2; do
	assert_nvme_keys "$l"
	assert_nvme_holder "$l" none
done

step "Node 1 acquires namespaces 1 and 2 (nobody owns them: no wait)"
t=$(now)
expect_agent 0 1 acquire --devices="$D1" --key="$(key 1)"
say "node 1 acquire took $(since "$t") s"
for l in 1 2; do
	show_ns "$l"
	assert_nvme_keys "$l" 1
	[ "$(nvme_rtype "$l")" = 5 ] || fail "namespace $l reservation type $(nvme_rtype "$l"), want 5 (WE-AR)"
	pass "namespace $l reserved Write Exclusive - All Registrants (RTYPE 5)"
	regs=$(nvme_regs "$l")
	assert_has "$regs" "namespace $l: node 1's key belongs to node 1's host ID" "0x$(key 1) $(nvme_hostid 1)"
done

step "Node 1 defends in the background and writes sequence-numbered blocks"
bg_node 1 /tmp/ecx-defend1.log "$AGENT" defend --devices="$D1" --key="$(key 1)"
DPID=$BG_PID
bg_node 1 /tmp/ecx-writer1.log bash /tmp/ecx-writer.sh node1 0.2 "$BASE" 0 3000 $(echo "$D1" | tr , ' ')
WPID=$BG_PID
[ "$(pgid_of "$DPID")" = "$DPID" ] && [ "$(pgid_of "$WPID")" = "$WPID" ] || fail "setsid did not make process-group leaders"
say "defender pid/pgid $DPID, writer pid/pgid $WPID"
sleep 3 # at least 2 successful writes per namespace (limit 60 s on a slow host)
t=$(now)
for i in $(seq 600); do
	n1=$(awk '$2 == 1 && $5 == "ok"' /tmp/ecx-writer1.log | wc -l)
	n2=$(awk '$2 == 2 && $5 == "ok"' /tmp/ecx-writer1.log | wc -l)
	{ [ "$n1" -ge 2 ] && [ "$n2" -ge 2 ]; } || grep -q FAIL /tmp/ecx-writer1.log && break
	sleep 0.1
done
[ "$n1" -ge 2 ] && [ "$n2" -ge 2 ] || { cat /tmp/ecx-writer1.log; fail "node 1's writer: only $n1/$n2 successful writes to namespaces 1/2"; }
pass "node 1's writer wrote $n1 blocks to namespace 1 and $n2 to namespace 2 (after 3+$(since "$t")s)"
! grep -q FAIL /tmp/ecx-writer1.log || { cat /tmp/ecx-writer1.log; fail "node 1's writer failed while it owned the namespaces"; }
[ -d "/proc/$DPID" ] || { cat /tmp/ecx-defend1.log; fail "node 1's defender exited early"; }
sed 's/^/     defend1> /' /tmp/ecx-defend1.log
for l in 1 2; do assert_nvme_keys "$l" 1; done

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
	show_ns "$l"
	assert_nvme_keys "$l" 2
	[ "$(nvme_rtype "$l")" = 5 ] || fail "namespace $l reservation type $(nvme_rtype "$l") after the takeover, want 5"
done
pass "node 1's registration is gone from both namespaces; node 2 holds WE-AR"

assert_node1_refused() {
	assert_has "$(write_check 1 "$1")" "node 1's direct write to namespace $1 refused: reservation conflict" conflict
}
ecx_after_takeover namespace namespaces assert_node1_refused
say "kernel: $(dmesg | grep 'reservation conflict' | tail -1 | sed 's/^\[[^]]*\] //')"

step "Node 2 still holds the namespaces; defend --once -> 0; release -> 0"
for l in 1 2; do
	assert_nvme_keys "$l" 2
	assert_has "$(write_check 2 "$l")" "node 2 writes namespace $l" ok
done
expect_agent 0 2 defend --once --devices="$D2" --key="$(key 2)"
expect_agent 0 2 release --devices="$D2" --key="$(key 2)"
for l in 1 2; do
	show_ns "$l"
	assert_nvme_keys "$l"
	assert_nvme_holder "$l" none
done
say "SUMMARY: node 2 acquire (takeover) ${ACQ2}s (W=${W}s); node 1 defender exit 1 ${DET}s after resume (P=${P}s T=${T}s); scenario ${SECONDS}s"

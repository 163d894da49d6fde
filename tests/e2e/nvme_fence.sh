# nvme_fence: fence_scsi's story on the real NVMe-oF target (run.sh --target nvmet: the kernel's
# nvmet over TCP; 2 or 3 nodes, 1 to 4 namespaces), with the same exit codes as on SCSI:
#
#   every node unfences (`on`, exit 0): nvme-cli shows every node's key, each under its own host
#   ID, and a Write Exclusive - Registrants Only reservation (RTYPE 3) held by the first node;
#   `status` of every node exits 0 (ON); node 1's watchdog check (the agent started as
#   fence_scsi_check) exits 0; node 2 reconnects (same host NQN and host ID: the freed
#   controller, then a second controller with another controller ID) and keeps its registration:
#   `status` still exits 0; node 2 fences node 1 (`off -n node1`, exit 0): node 1's key is gone,
#   node 2 holds the reservation, node 1's direct writes fail with a reservation conflict and
#   node 2's pass; `status` of node 1 exits 2 (OFF), asked by node 2 and by node 1 itself; node
#   1's watchdog check exits 2; node 1 unfences again and node 2, now the reservation holder,
#   fences it a second time (the holder's own preempt, which some nvmet versions ignore).
#
# Everything about the device is read with nvme-cli (resv-report) through node 2's controller
# (the witness), never with the agent. Run with:
#   tests/vm/run.sh --target nvmet --nodes 2 --luns 2 --agent $PWD/bin/fence_scsi_go tests/e2e/nvme_fence.sh
[ "$FSG_TARGET" = nvmet ] || fail "run with tests/vm/run.sh --target nvmet"
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2 (or 3)"
FSG_WITNESS=2

load_e2e_libs parity_lib nvme_lib

# On a failure, the kernel's NVMe messages (controller resets, keep-alive expiries ...).
trap nvme_fail_dmesg EXIT

N=$FSG_NODES L=$FSG_LUNS
ALL=$(seq 1 "$N")
OTHERS=$(seq 2 "$N")

check_setup /tmp/fsg-check
CHK=/tmp/fsg-check/fence_scsi_check

step "Setup: $L namespace(s) of one NVMe/TCP subsystem, $N hosts, one controller each"
for k in $ALL; do
	say "node $k: controller $(nvme_ctrl "$k"), host ID $(nvme_hostid "$k"), key $(key "$k"), devices $(devs "$k")"
done
for ((l = 1; l <= L; l++)); do
	assert_nvme_keys "$l"
	assert_nvme_holder "$l" none
done

step "1. Every node unfences: on (register its key; the first one reserves WE-RO)"
for k in $ALL; do
	expect_agent 0 "$k" -o on -n "node$k" -k "$(key "$k")" -d "$(devs "$k")"
	assert_has "$AGENT_OUT" "node $k: agent says Powered ON" "Success: Powered ON"
done
on_node 1 sh -c 'echo "   node1 /run/cluster.key: $(cat /run/cluster.key)"; echo "   node1 /run/cluster.dev: $(tr "\n" " " </run/cluster.dev)"'
for ((l = 1; l <= L; l++)); do
	show_ns "$l"
	assert_nvme_keys "$l" $ALL
	assert_nvme_holder "$l" 1
	assert_wero "$l"
	regs=$(nvme_regs "$l")
	for k in $ALL; do
		assert_has "$regs" "namespace $l: node $k's key under node $k's host ID" "0x$(key "$k") $(nvme_hostid "$k")"
	done
done

step "2. Status of every node: ON (exit 0); every node writes every namespace"
for k in $ALL; do status_of 0 "$k" "$k"; done
for k in $ALL; do
	for ((l = 1; l <= L; l++)); do assert_has "$(write_check "$k" "$l")" "node $k writes namespace $l" ok; done
done

step "3. Node 1's watchdog check (the agent as fence_scsi_check): exit 0 while registered"
expect_check 0 1 "$CHK" "node 1's check (registered)"

step "4. Node 2 disconnects and reconnects (same host NQN and host ID): registration kept"
old=$(devs 2) oldc=$(nvme_ctrl 2)
nvme_disconnect 2
FSG_WITNESS=1 assert_nvme_keys 1 $ALL
nvme_connect 2
say "node 2: controller $oldc -> $(nvme_ctrl 2) (cntlid $NVME_CNTLID); devices $old -> $(devs 2)"
for ((l = 1; l <= L; l++)); do
	assert_nvme_keys "$l" $ALL
	assert_nvme_holder "$l" 1
done
status_of 0 2 2
assert_has "$(write_check 2 1)" "node 2 writes through its new controller" ok
if [ "$(devs 2)" = "$old" ]; then
	expect_check 0 2 "$CHK" "node 2's check after the reconnect (same device names)"
else
	say "node 2's device names changed: its /run/cluster.dev names the old ones"
fi

step "5. Node 2 connects a second controller (another controller ID), then drops the first"
old=$(devs 2) oldc=$(nvme_ctrl 2) oldid=$NVME_CNTLID
nvme_connect 2 dup
[ "$NVME_CNTLID" != "$oldid" ] || fail "second controller got the same controller ID $oldid"
nvme_disconnect 2 "$oldc"
say "node 2: controller $oldc (cntlid $oldid) -> $(nvme_ctrl 2) (cntlid $NVME_CNTLID); devices $old -> $(devs 2)"
for ((l = 1; l <= L; l++)); do
	assert_nvme_keys "$l" $ALL
	assert_nvme_holder "$l" 1
done
status_of 0 2 2
assert_has "$(write_check 2 1)" "node 2 writes through controller ID $NVME_CNTLID" ok
# The check reads the devices /run/cluster.dev names: those of the first unfence, gone now
# (fence_scsi's check: exit 0 if the key is found on any listed device, else 2). Shown only.
run_check 2 "$CHK"
say "node 2's check with /run/cluster.dev naming the devices of its first unfence ($old): exit $CHECK_RC (not asserted)"
# A node whose device names changed unfences again with the new ones: still registered, exit 0,
# and the new names are added to /run/cluster.dev (as fence_scsi does; the old ones stay).
expect_agent 0 2 -o on -n node2 -k "$(key 2)" -d "$(devs 2)"
assert_has "$AGENT_OUT" "node 2 unfences again: Powered ON" "Success: Powered ON"
for ((l = 1; l <= L; l++)); do assert_nvme_keys "$l" $ALL; done
expect_check 0 2 "$CHK" "node 2's check after unfencing with its new devices"

step "6. Node 2 fences node 1: off -n node1 (preempt and abort node 1's key)"
expect_agent 0 2 -o off -n node1 -k "$(key 1)" -d "$(devs 2)"
assert_has "$AGENT_OUT" "agent says Powered OFF" "Success: Powered OFF"
for ((l = 1; l <= L; l++)); do
	show_ns "$l"
	assert_nvme_keys "$l" $OTHERS
	assert_nvme_holder "$l" 2
	assert_wero "$l"
done

step "7. Node 1's direct writes fail with a reservation conflict; the others write"
for ((l = 1; l <= L; l++)); do
	r=$(write_check 1 "$l")
	say "node 1's write to namespace $l: $r"
	assert_has "$r" "node 1's write to namespace $l refused: reservation conflict" conflict
	for k in $OTHERS; do assert_has "$(write_check "$k" "$l")" "node $k writes namespace $l" ok; done
done
say "kernel: $(dmesg | grep 'reservation conflict' | tail -1 | sed 's/^\[[^]]*\] //')"

step "8. Status of node 1: OFF (exit 2), asked by node 2 and by node 1 itself; node 2: ON (exit 0)"
status_of 2 2 1
status_of 2 1 1
status_of 0 2 2

step "9. Watchdog checks: node 1 exits 2 (fenced), node 2 exits 0"
expect_check 2 1 "$CHK" "node 1's check (fenced)"
expect_check 0 2 "$CHK" "node 2's check"
for ((l = 1; l <= L; l++)); do assert_nvme_keys "$l" $OTHERS; done # the checks changed nothing

# The holder fences. Some versions of nvmet's preempt (nvmet_pr_preempt, drivers/nvme/target/pr.c)
# only change the type when the holder of a WE-RO reservation sends it, and unregister nobody; the
# agent then sees the victim still registered, preempts once more under WE-AR and leaves the
# namespace WE-AR (docs/nvme.md). The guest's 7.3 kernel removes the victim at once, as the
# specification says (RTYPE stays 3); both outcomes fence, and which one happened is shown.
step "10. Node 1 unfences again; node 2, now the holder, fences it: key gone, writes refused"
expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$(devs 1)"
for ((l = 1; l <= L; l++)); do assert_nvme_keys "$l" $ALL; done
assert_has "$(write_check 1 1)" "node 1 writes again after unfencing" ok
FSG_SHOW_STDERR=0 expect_agent 0 2 -o off -n node1 -k "$(key 1)" -d "$(devs 2)" -v
assert_has "$AGENT_OUT" "the holder's off says Powered OFF" "Success: Powered OFF"
case "$AGENT_ERR" in
*"after a preempt by the WE-RO holder"*) quirk=1 && say "the target ignored the holder's preempt: the agent redid it under WE-AR" ;;
*) quirk=0 && say "the target applied the holder's preempt and abort at once (no second preempt sent)" ;;
esac
for ((l = 1; l <= L; l++)); do
	show_ns "$l"
	assert_nvme_keys "$l" $OTHERS
	if [ "$quirk" = 1 ]; then
		t=$(nvme_rtype "$l")
		[ "$t" = 5 ] || fail "namespace $l reservation type $t after the redone preempt, want 5 (Write Exclusive - All Registrants)"
		pass "namespace $l reservation is Write Exclusive - All Registrants (RTYPE 5)"
	else
		assert_wero "$l"
	fi
	assert_has "$(write_check 1 "$l")" "node 1's write to namespace $l refused after the holder's fence" conflict
	for k in $OTHERS; do assert_has "$(write_check "$k" "$l")" "node $k writes namespace $l" ok; done
done
status_of 2 2 1
expect_check 2 1 "$CHK" "node 1's check after the holder's fence"
say "scenario time: ${SECONDS}s since the scenario driver started"

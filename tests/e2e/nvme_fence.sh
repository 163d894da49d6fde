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
#   1's watchdog check exits 2.
#
# Everything about the device is read with nvme-cli (resv-report) through node 2's controller
# (the witness), never with the agent. Run with:
#   tests/vm/run.sh --target nvmet --nodes 2 --luns 2 --agent $PWD/bin/fence_scsi_go tests/e2e/nvme_fence.sh
[ "$FSG_TARGET" = nvmet ] || fail "run with tests/vm/run.sh --target nvmet"
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2 (or 3)"
FSG_WITNESS=2

declare -F parity_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/parity_lib.sh" ||
	fail "parity_lib.sh not found: run through nvme_test.go or with --agent <repo>/bin/fence_scsi_go"

# On a failure, the kernel's NVMe messages (controller resets, keep-alive expiries ...).
trap 'rc=$?; [ "$rc" = 0 ] || { echo "   -- kernel log, nvme lines --"; dmesg | grep nvme | tail -n 25 | sed "s/^/   | /"; }' EXIT

N=$FSG_NODES L=$FSG_LUNS
ALL=$(seq 1 "$N")
OTHERS=$(seq 2 "$N")

# show_ns L: keys, reservation type and holder of namespace L (nvme-cli, the witness).
show_ns() {
	local k h
	k=$(nvme_keys "$1" | tr '\n' ' ')
	h=$(nvme_holder "$1" | tr '\n' ' ')
	say "namespace $1: keys: ${k:-(none)} | rtype $(nvme_rtype "$1") | holder: ${h:-(none)}"
}

# assert_wero L: namespace L's reservation is Write Exclusive - Registrants Only (NVMe RTYPE 3).
assert_wero() {
	local t
	t=$(nvme_rtype "$1")
	[ "$t" = 3 ] || fail "namespace $1 reservation type $t, want 3 (Write Exclusive - Registrants Only)"
	pass "namespace $1 reservation is Write Exclusive - Registrants Only (RTYPE 3)"
}

# status_of WANT_RC ASKER NODE: `status -n nodeNODE` run by ASKER on its own devices.
status_of() {
	local want=$1 asker=$2 k=$3 text=ON
	[ "$want" = 0 ] || text=OFF
	expect_agent "$want" "$asker" -o status -n "node$k" -k "$(key "$k")" -d "$(devs "$asker")"
	assert_has "$AGENT_OUT" "node $k as node $asker sees it: Status: $text (exit $want)" "Status: $text"
}

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
say "scenario time: ${SECONDS}s since the scenario driver started"

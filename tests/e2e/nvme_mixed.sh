# nvme_mixed: one fence_scsi devices= list that mixes a SCSI LUN and an NVMe namespace (the
# agent picks the transport per device). run.sh --target lio+nvmet serves both in one guest:
# LIO LUN L over iSCSI (node K an initiator of its own) and namespace N over NVMe/TCP (node K a
# host of its own); `dev K L` is node K's LUN, `dev K nsN` its namespace, `devs K` both.
#
#   both nodes unfence (`on`, exit 0) with both devices: each key is registered on the LUN
#   (sg_persist) and on the namespace (nvme-cli resv-report), node 1 holds a Write Exclusive -
#   Registrants Only reservation on each; `status` of both nodes exits 0; node 2 fences node 1
#   (`off -n node1`, exit 0): node 1's key is gone from both, node 1's direct writes fail with a
#   reservation conflict on both devices and node 2's pass; `status` of node 1 exits 2 (asked
#   by node 2 and by node 1); node 1's watchdog check (fence_scsi_check) exits 2.
#
# Device state is read with sg_persist and nvme-cli through node 2 (the witness), never with the
# agent. Run by TestNVMeMixed (parity_lib.sh and nvme_lib.sh prepended), or:
#   tests/vm/run.sh --target lio+nvmet --nodes 2 --luns 1 --agent $PWD/bin/fence_scsi_go tests/e2e/nvme_mixed.sh
[ "$FSG_TARGET" = lio+nvmet ] || fail "run with tests/vm/run.sh --target lio+nvmet"
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2"
FSG_WITNESS=2

load_e2e_libs parity_lib nvme_lib
trap nvme_fail_dmesg EXIT

L=$FSG_LUNS
check_setup /tmp/fsg-check
CHK=/tmp/fsg-check/fence_scsi_check

# assert_both L KEYS... HOLDER: LUN L and namespace L are registered by exactly the nodes KEYS
# and reserved WE-RO by node HOLDER, each read with its own tool.
assert_both() {
	local l=$1 h=${*: -1} t
	local -a ks=("${@:2:$#-2}")
	show_pr "$l"
	assert_keys "$l" "${ks[@]}"
	assert_holder "$l" "$h"
	t=$(restype "$l")
	[ "$t" = "Write Exclusive, registrants only" ] || fail "LUN $l reservation type is '$t'"
	pass "LUN $l reservation is Write Exclusive, registrants only"
	show_ns "$l"
	assert_nvme_keys "$l" "${ks[@]}"
	assert_nvme_holder "$l" "$h"
	assert_wero "$l"
}

step "Setup: $L LIO LUN(s) over iSCSI and $L namespace(s) over NVMe/TCP, 2 nodes"
for k in 1 2; do
	say "node $k: key $(key "$k"), devices $(devs "$k") (NVMe controller $(nvme_ctrl "$k"), host ID $(nvme_hostid "$k"))"
done
for ((l = 1; l <= L; l++)); do
	assert_keys "$l"
	assert_holder "$l" none
	assert_nvme_keys "$l"
	assert_nvme_holder "$l" none
done

step "1. Both nodes unfence with the mixed list: on"
for k in 1 2; do
	expect_agent 0 "$k" -o on -n "node$k" -k "$(key "$k")" -d "$(devs "$k")"
	assert_has "$AGENT_OUT" "node $k: agent says Powered ON" "Success: Powered ON"
done
on_node 1 sh -c 'echo "   node1 /run/cluster.dev: $(tr "\n" " " </run/cluster.dev)"'
for ((l = 1; l <= L; l++)); do
	assert_both "$l" 1 2 1
	regs=$(nvme_regs "$l")
	for k in 1 2; do
		assert_has "$regs" "namespace $l: node $k's key under node $k's host ID" "0x$(key "$k") $(nvme_hostid "$k")"
	done
done

step "2. Status of both nodes: ON (exit 0); both write every device"
for k in 1 2; do status_of 0 "$k" "$k"; done
for k in 1 2; do
	for ((l = 1; l <= L; l++)); do
		assert_write_ok "$k" "$l"
		assert_write_ok "$k" "ns$l"
	done
done

step "3. Node 2 fences node 1: off -n node1"
expect_agent 0 2 -o off -n node1 -k "$(key 1)" -d "$(devs 2)"
assert_has "$AGENT_OUT" "agent says Powered OFF" "Success: Powered OFF"
for ((l = 1; l <= L; l++)); do assert_both "$l" 2 2; done

step "4. Node 1's writes fail on both devices (reservation conflict); node 2 writes both"
for ((l = 1; l <= L; l++)); do
	assert_write_fails 1 "$l"
	assert_write_fails 1 "ns$l"
	assert_write_ok 2 "$l"
	assert_write_ok 2 "ns$l"
done
dmesg | grep -i 'reservation conflict' | tail -n 4 | sed 's/^\[[^]]*\] /   kernel: /'

step "5. Status of node 1: OFF (exit 2), asked by node 2 and by node 1; node 2: ON"
status_of 2 2 1
status_of 2 1 1
status_of 0 2 2

step "6. Node 1's watchdog check (the agent as fence_scsi_check) exits 2; node 2's exits 0"
expect_check 2 1 "$CHK" "node 1's check (fenced)"
expect_check 0 2 "$CHK" "node 2's check"
for ((l = 1; l <= L; l++)); do assert_both "$l" 2 2; done # the checks changed nothing
say "scenario time: ${SECONDS}s since the scenario driver started"

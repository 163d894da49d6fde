#!/bin/bash
# The real NVMe-oF target (tests/vm/run.sh --target nvmet: the kernel's nvmet over TCP, 2 nodes,
# 1 namespace) does NVMe reservations the way fencing needs them. Driven and read with nvme-cli
# only, no agent: the target and the guest helpers are tested here, not our code.
#
#   register from two hosts; node 1 acquires Write Exclusive - Registrants Only; node 2
#   preempts and aborts node 1: node 1's direct write fails with a reservation conflict (and the
#   kernel logs it), node 2's succeeds; node 2 disconnects and reconnects (same host NQN and
#   host ID) and keeps its registration and reservation, also through a second controller with
#   another controller ID; Debian's fence_scsi (SCSI only) cannot use the namespace.
[ "$FSG_TARGET" = nvmet ] || fail "run with tests/vm/run.sh --target nvmet"
[ "$FSG_NODES" -ge 2 ] || fail "needs 2 nodes"

# On a failure, the kernel's NVMe messages (controller resets, keep-alive expiries ...).
trap 'rc=$?; [ "$rc" = 0 ] || { echo "   -- kernel log, nvme lines --"; dmesg | grep nvme | tail -n 25 | sed "s/^/   | /"; }' EXIT

K1=0x$(key 1) K2=0x$(key 2)
D1=$(dev 1 1) D2=$(dev 2 1)

# cntlid K: the controller ID of node K's controller.
cntlid() { cat "/sys/class/nvme/$(nvme_ctrl "$1")/cntlid"; }

# conflicts: how many "reservation conflict" lines the kernel has logged so far.
conflicts() { dmesg | grep -c 'reservation conflict' || true; }

step "the target: one namespace, one controller per node"
for k in 1 2; do
	c=$(nvme_ctrl "$k")
	say "node $k: $c (cntlid $(cntlid "$k"), host $(cat "/sys/class/nvme/$c/hostnqn")) -> $(dev "$k" 1)"
done
[ "$D1" != "$D2" ] || fail "nodes 1 and 2 share the device $D1"
pass "each node has its own device ($D1, $D2)"
w1=$(cat "/sys/block/${D1#/dev/}/wwid") w2=$(cat "/sys/block/${D2#/dev/}/wwid")
[ "$w1" = "$w2" ] || fail "different namespaces: $w1 / $w2"
pass "both are the same namespace ($w1)"
oncs=$(nvme id-ctrl "$D1" -o json | jq -r .oncs)
((oncs & 0x20)) || fail "controller does not report reservations (ONCS $oncs)"
rescap=$(nvme id-ns "$D1" -o json | jq -r .rescap)
((rescap & 0x04)) || fail "namespace lacks Write Exclusive - Registrants Only (RESCAP $rescap)"
pass "reservations supported (ONCS $oncs, RESCAP $rescap)"
ns=/sys/kernel/config/nvmet/subsystems/$FSG_SUBNQN/namespaces/1
[ "$(cat "$ns/resv_enable")" = 1 ] || fail "resv_enable is $(cat "$ns/resv_enable")"
if echo 0 >"$ns/resv_enable" 2>/dev/null; then fail "resv_enable changed on an enabled namespace"; fi
[ "$(cat "$ns/resv_enable")" = 1 ] || fail "resv_enable is $(cat "$ns/resv_enable") after a refused write"
pass "target side: resv_enable=1, refused to change while the namespace is enabled"
say "report: $(nvme_report 1 | jq -c .)"
assert_nvme_keys 1
assert_nvme_holder 1 none

step "register: node 1 with $K1, node 2 with $K2"
on_node 1 nvme resv-register "$D1" --nrkey="$K1" --rrega=0 || fail "node 1 register"
on_node 2 nvme resv-register "$D2" --nrkey="$K2" --rrega=0 || fail "node 2 register"
assert_nvme_keys 1 1 2
regs=$(nvme_regs 1 2)
say "registrants (node 2's view): ${regs//$'\n'/; }"
assert_has "$regs" "node 1's key belongs to node 1's host ID" "$K1 $(nvme_hostid 1)"
assert_has "$regs" "node 2's key belongs to node 2's host ID" "$K2 $(nvme_hostid 2)"

step "node 1 acquires Write Exclusive - Registrants Only (RTYPE 3)"
on_node 1 nvme resv-acquire "$D1" --crkey="$K1" --rtype=3 --racqa=0 || fail "node 1 acquire"
assert_nvme_holder 1 1
[ "$(nvme_rtype 1)" = 3 ] || fail "reservation type $(nvme_rtype 1), want 3"
pass "reservation type 3"
assert_has "$(write_check 1 1)" "node 1 (holder) writes" ok
assert_has "$(write_check 2 1)" "node 2 (registrant) writes" ok

step "node 2 preempts and aborts node 1"
before=$(conflicts)
on_node 2 nvme resv-acquire "$D2" --crkey="$K2" --prkey="$K1" --rtype=3 --racqa=2 || fail "node 2 preempt-and-abort"
assert_nvme_keys 1 2
assert_nvme_holder 1 2
r1=$(write_check 1 1)
say "node 1's write: $r1"
assert_has "$r1" "node 1's direct write fails with a reservation conflict" conflict
after=$(conflicts)
[ "$after" -gt "$before" ] || fail "the kernel logged no reservation conflict"
pass "the kernel logged it: $(dmesg | grep 'reservation conflict' | tail -1 | sed 's/^\[[^]]*\] //')"
assert_has "$(write_check 2 1)" "node 2 writes" ok
dd if="$D1" of=/dev/null bs=4096 count=1 iflag=direct status=none || fail "node 1 cannot read"
pass "node 1 still reads (Write Exclusive)"
assert_nvme_keys 1 2 # read through node 1's controller: a fenced host still reads the report
say "report: $(nvme_report 1 2 | jq -c .)"

step "node 2 disconnects and reconnects: same host NQN and host ID, a new controller"
old=$(nvme_ctrl 2) oldid=$(cntlid 2)
nvme_disconnect 2
FSG_WITNESS=1 assert_nvme_keys 1 2
FSG_WITNESS=1 assert_nvme_holder 1 2
nvme_connect 2 # (nvmet may give the freed controller ID again)
say "node 2: $old (cntlid $oldid) -> $(nvme_ctrl 2) (cntlid $NVME_CNTLID), $(dev 2 1)"
FSG_WITNESS=2 assert_nvme_keys 1 2
FSG_WITNESS=2 assert_nvme_holder 1 2
assert_has "$(write_check 2 1)" "node 2 writes through its new controller" ok
assert_has "$(write_check 1 1)" "node 1 is still fenced" conflict

step "node 2 connects a second controller, then drops the first (another controller ID)"
old=$(nvme_ctrl 2) oldid=$(cntlid 2)
nvme_connect 2 dup
[ "$NVME_CNTLID" != "$oldid" ] || fail "second controller got the same controller ID $oldid"
nvme_disconnect 2 "$old"
say "node 2: $old (cntlid $oldid) -> $(nvme_ctrl 2) (cntlid $NVME_CNTLID), $(dev 2 1)"
FSG_WITNESS=2 assert_nvme_keys 1 2
FSG_WITNESS=2 assert_nvme_holder 1 2
assert_has "$(write_check 2 1)" "node 2 writes through controller ID $NVME_CNTLID" ok

step "Debian's fence_scsi on the NVMe namespace (SCSI PR through sg_persist)"
D1=$(dev 1 1)
# fence K ARGS...: Debian's fence_scsi as node K, whatever $AGENT is.
fence() {
	local AGENT=/usr/sbin/fence_scsi
	FSG_SHOW_STDERR=1 agent "$@"
}
# Without -k, fence_scsi derives the key from corosync (no cluster here): it stops before any
# PR command. With -k, its first PR command (sg_persist -n -i -k, PERSISTENT RESERVE IN) is
# refused: the namespace is no SCSI device, and sg3_utils, which translates a few SCSI commands
# to NVMe itself, answers PERSISTENT RESERVE IN with Invalid opcode.
fence 1 -o status -n node1 -d "$D1"
[ "$AGENT_RC" = 1 ] || fail "fence_scsi status -n exited $AGENT_RC, want 1"
assert_has "$AGENT_ERR" "fence_scsi status -n: no cluster to derive the key from" "cannot get cluster name"
for action in status on; do
	fence 1 -o "$action" -k "$(key 1)" -d "$D1"
	[ "$AGENT_RC" = 1 ] || fail "fence_scsi $action -k exited $AGENT_RC, want 1"
	assert_has "$AGENT_ERR" "fence_scsi $action: reading the keys fails" \
		"Cannot get registration keys on device \"$D1\": PR in (Read keys): command not supported"
	assert_has "$AGENT_ERR" "fence_scsi $action: sg_persist's reason" "Illegal request, Invalid opcode"
done
assert_nvme_keys 1 2 # fence_scsi registered nothing
assert_nvme_holder 1 2
say "scenario time: ${SECONDS}s since the scenario driver started"

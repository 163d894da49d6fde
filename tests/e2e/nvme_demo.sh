# make demo NVME=1: the demo story on an NVMe namespace. Two hosts share one namespace of the
# kernel's NVMe-oF target (tests/vm/run.sh --target nvmet, NVMe/TCP over loopback, each node its
# own host NQN and host ID); node2 fences node1; node1's writes are refused by the target
# itself. Everything about the namespace is read with nvme-cli, never with the agent.
# Helpers: tests/vm/guest/lib.sh. $AGENT must be fence_scsi_go (fence_scsi is SCSI only).
[ "$FSG_TARGET" = nvmet ] || fail "run with tests/vm/run.sh --target nvmet --kernel new"
FSG_WITNESS=2 # read the namespace through node2's controller (it stays registered)
D1=$(dev 1 1)
D2=$(dev 2 1)
A=${AGENT##*/}

show() {
	say "namespace: keys $(nvme_keys 1 | tr '\n' ' ')| reservation type $(nvme_rtype 1) (3 = Write Exclusive - Registrants Only) | holder $(nvme_holder 1 | tr '\n' ' ')"
}

step "Setup: one NVMe namespace (nvmet, NVMe/TCP over loopback) seen by two hosts"
say "node1 sees it as $D1 (host ID $(nvme_hostid 1)), node2 as $D2 (host ID $(nvme_hostid 2))"
say "node1's key is $(key 1), node2's is $(key 2); agent: $FSG_AGENT_SOURCE"
show

step "1. Both nodes unfence themselves: $A -o on (Reservation Register, then Acquire WE-RO)"
expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$D1"
expect_agent 0 2 -o on -n node2 -k "$(key 2)" -d "$D2"
show
assert_nvme_keys 1 1 2
assert_nvme_holder 1 1
[ "$(nvme_rtype 1)" = 3 ] || fail "reservation type $(nvme_rtype 1), want 3 (Write Exclusive - Registrants Only)"

step "2. node1 writes (dd oflag=direct, straight to the namespace)"
assert_has "$(write_check 1 1)" "node 1 writes" ok

step "3. node2 fences node1: $A -o off -n node1 (Reservation Acquire: preempt and abort node1's key)"
expect_agent 0 2 -o off -n node1 -k "$(key 1)" -d "$D2"
assert_has "$AGENT_OUT" "agent says Powered OFF" "Success: Powered OFF"
show
assert_nvme_keys 1 2
assert_nvme_holder 1 2

step "4. node1 tries to write again"
r=$(write_check 1 1)
assert_has "$r" "node 1's write refused: reservation conflict" conflict
say "kernel: $(dmesg | grep 'reservation conflict' | tail -1 | sed 's/^\[[^]]*\] //')"

step "5. node2 still writes"
assert_has "$(write_check 2 1)" "node 2 writes" ok

step "6. Status of node1 as node2 sees it: OFF (exit 2)"
expect_agent 2 2 -o status -n node1 -k "$(key 1)" -d "$D2"

step "Demo complete: node1 was fenced by the NVMe target itself, node2 carries on"

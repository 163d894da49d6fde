# make demo: two nodes share one LUN; node2 fences node1; node1's writes are refused by the
# storage itself. Runs inside the test guest (tests/vm/run.sh); helpers: tests/vm/guest/lib.sh.
# $AGENT is Debian's fence_scsi or fence_scsi_go (Makefile variable AGENT).
FSG_WITNESS=2 # read keys through node2's nexus (it stays registered)
D1=$(dev 1 1)
D2=$(dev 2 1)
A=${AGENT##*/}

step "Setup: one LUN (LIO, iSCSI over loopback) seen by two nodes, each its own I_T nexus"
say "node1 sees it as $D1, node2 as $D2; node1's key is $(key 1), node2's is $(key 2)"
say "agent: $FSG_AGENT_SOURCE"
show_pr 1

step "1. Both nodes unfence themselves: $A -o on (register key, reserve Write Exclusive-Registrants Only)"
expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$D1"
expect_agent 0 2 -o on -n node2 -k "$(key 2)" -d "$D2"
show_pr 1
assert_keys 1 1 2
assert_holder 1 1 # of type Write Exclusive, registrants only:
[ "$(restype 1)" = "Write Exclusive, registrants only" ] || fail "reservation type is '$(restype 1)'"

step "2. node1 writes (dd oflag=direct, straight to the LUN)"
assert_write_ok 1 1

step "3. node2 fences node1: $A -o off -n node1 (PREEMPT AND ABORT of node1's key)"
expect_agent 0 2 -o off -n node1 -k "$(key 1)" -d "$D2"
assert_has "$AGENT_OUT" "agent says Powered OFF" "Success: Powered OFF"
show_pr 1
assert_keys 1 2
assert_holder 1 2

step "4. node1 tries to write again"
assert_write_fails 1 1

step "5. node2 still writes"
assert_write_ok 2 1

step "6. Status of node1 as node2 sees it: OFF (exit 2)"
expect_agent 2 2 -o status -n node1 -k "$(key 1)" -d "$D2"

step "Demo complete: node1 was fenced by the storage itself, node2 carries on"

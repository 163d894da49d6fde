# fence_refusals: fencing a node that is already OFF; fencing yourself is refused; the
# fencer's own registration was lost before `off` (it is then a fenced node and fences nobody).
[ "$FSG_NODES" -ge 3 ] || fail "needs --nodes 3"
FSG_WITNESS=1
all_luns() { local l; for ((l = 1; l <= FSG_LUNS; l++)); do echo "$l"; done; }

step "Unfence nodes 1..3; node 1 fences node 3"
for k in 1 2 3; do expect_agent 0 "$k" -o on -n "node$k" -k "$(key "$k")" -d "$(devs "$k")"; done
expect_agent 0 1 -o off -n node3 -k "$(key 3)" -d "$(devs 1)"
for l in $(all_luns); do assert_keys "$l" 1 2; assert_holder "$l" 1; done

step "Fencing node 3 again: 'Success: Already OFF', exit 0, nothing changes"
expect_agent 0 1 -o off -n node3 -k "$(key 3)" -d "$(devs 1)"
assert_has "$AGENT_OUT" "agent says Already OFF" "Success: Already OFF"
for l in $(all_luns); do assert_keys "$l" 1 2; assert_holder "$l" 1; assert_write_fails 3 "$l"; done

step "Node 1 tries to fence itself: refused, exit 1, nothing changes"
expect_agent 1 1 -o off -n node1 -k "$(key 1)" -d "$(devs 1)"
assert_has "$AGENT_OUT$AGENT_ERR" "refusal explained" "cannot be same" "fence yourself"
for l in $(all_luns); do assert_keys "$l" 1 2; assert_holder "$l" 1; assert_write_ok 1 "$l"; done

step "Node 2's own registration is lost (unregistered behind its back), then node 2 fences node 1"
for l in $(all_luns); do
	d=$(dev 2 "$l")
	sg_turs "$d" >/dev/null 2>&1 || true
	sg_persist -n -o -G -K "0x$(key 2)" -S 0 -d "$d" >/dev/null || fail "unregister node 2 on LUN $l"
	assert_keys "$l" 1
done
agent 2 -o off -n node1 -k "$(key 1)" -d "$(devs 2)"
# Node 2's key is gone from every LUN: to the storage it is a fenced node. fence_scsi_go refuses
# (exit 1, "has been fenced") and changes nothing; fence_scsi 4.12.1 also fails (its preempt
# gets RESERVATION CONFLICT, "Failed to verify"). fence-agents HEAD registers the fencer again
# and fences node 1 (exit 0), which is what lets a fenced node come back in a fencing race
# (docs/fencing-race.md).
[ "$AGENT_RC" = 1 ] || fail "a node whose key is gone fenced another node (exit $AGENT_RC)"
if [ "${AGENT##*/}" = fence_scsi_go ]; then
	assert_has "$AGENT_ERR" "refusal explained: this node has been fenced" "has been fenced"
fi
for l in $(all_luns); do assert_keys "$l" 1; assert_holder "$l" 1; assert_write_ok 1 "$l"; done
pass "node 2 registered nothing and fenced nothing; node 1 keeps writing"

# fence_one: unfence 3 nodes on every LUN (run with --luns 1 and --luns 4); status of
# each; fence one (the reservation holder); its status is OFF (exit 2); its writes fail on every
# LUN; the others still write. Witness: sg_persist through node 2's nexus; writes: dd oflag=direct.
[ "$FSG_NODES" -ge 3 ] || fail "needs --nodes 3"
FSG_WITNESS=2

step "Unfence nodes 1..3 on $FSG_LUNS LUN(s)"
for k in 1 2 3; do
	expect_agent 0 "$k" -o on -n "node$k" -k "$(key "$k")" -d "$(devs "$k")"
	assert_has "$AGENT_OUT" "node $k: agent says Powered ON" "Success: Powered ON"
done
for ((l = 1; l <= FSG_LUNS; l++)); do
	assert_keys "$l" 1 2 3
	assert_holder "$l" 1
done

step "Status of every node: ON (exit 0)"
for k in 1 2 3; do
	expect_agent 0 "$k" -o status -n "node$k" -k "$(key "$k")" -d "$(devs "$k")"
	assert_has "$AGENT_OUT" "node $k: Status: ON" "Status: ON"
done
for k in 1 2 3; do for ((l = 1; l <= FSG_LUNS; l++)); do assert_write_ok "$k" "$l"; done; done

step "Node 3 fences node 1 (the reservation holder)"
expect_agent 0 3 -o off -n node1 -k "$(key 1)" -d "$(devs 3)"
assert_has "$AGENT_OUT" "agent says Powered OFF" "Success: Powered OFF"
for ((l = 1; l <= FSG_LUNS; l++)); do
	show_pr "$l"
	assert_keys "$l" 2 3
	assert_holder "$l" 3
done

step "Status of node 1, asked by node 2 and by node 1 itself: OFF (exit 2)"
expect_agent 2 2 -o status -n node1 -k "$(key 1)" -d "$(devs 2)"
assert_has "$AGENT_OUT" "Status: OFF" "Status: OFF"
expect_agent 2 1 -o status -n node1 -k "$(key 1)" -d "$(devs 1)"

step "Node 1's writes fail on every LUN; nodes 2 and 3 still write"
for ((l = 1; l <= FSG_LUNS; l++)); do
	assert_write_fails 1 "$l"
	assert_write_ok 2 "$l"
	assert_write_ok 3 "$l"
done

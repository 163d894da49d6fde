# fence_not_ready: LIO cannot write its APTPL file (/etc/target/pr removed), so it answers
# REGISTER with NOT READY although the registration happens. The agent must verify by reading
# the keys back and report what is really on the device.
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2"
FSG_WITNESS=2

step "Remove LIO's /etc/target/pr: REGISTER now answers NOT READY"
pr_dir_remove
d=$(dev 2 1)
sg_turs "$d" >/dev/null 2>&1 || true
if sg_persist -n -o -I -S 0x1234 -d "$d" >/tmp/reg.out 2>&1; then
	fail "REGISTER succeeded: this kernel's LIO does not show the quirk"
fi
say "sg_persist REGISTER: $(tr '\n' ' ' </tmp/reg.out)"
keys 1 | grep -qx 0x1234 || fail "the registration did not happen"
pass "REGISTER failed, yet key 0x1234 is registered (the quirk)"
sg_turs "$d" >/dev/null 2>&1 || true
sg_persist -n -o -G -K 0x1234 -S 0 -d "$d" >/dev/null 2>&1 || true
keys 1 | grep -qx 0x1234 && { sg_turs "$d" >/dev/null 2>&1 || true; sg_persist -n -o -G -K 0x1234 -S 0 -d "$d" >/dev/null 2>&1 || true; }
keys 1 | grep -qx 0x1234 && fail "cannot remove test key 0x1234"

step "Node 1 unfences while REGISTER answers NOT READY"
agent 1 -o on -n node1 -k "$(key 1)" -d "$(devs 1)"
show_pr 1
if keys 1 | grep -qx "0x$(key 1 | sed 's/^0*//')"; then
	[ "$AGENT_RC" = 0 ] || fail "key registered, yet the agent exited $AGENT_RC"
	assert_has "$AGENT_OUT" "agent says Powered ON" "Success: Powered ON"
	[ -n "$(holder 1)" ] || fail "agent said ON but no reservation exists"
	assert_write_ok 1 1
	pass "agent verified by reading back and reported ON"
else
	[ "$AGENT_RC" = 1 ] || fail "key not registered, yet the agent exited $AGENT_RC"
	pass "key not registered and the agent reported failure"
fi

step "Restore /etc/target/pr; node 2 unfences"
pr_dir_restore
expect_agent 0 2 -o on -n node2 -k "$(key 2)" -d "$(devs 2)"
assert_keys 1 1 2

step "Remove /etc/target/pr again; node 2 fences node 1 (PREEMPT AND ABORT may answer NOT READY)"
pr_dir_remove
agent 2 -o off -n node1 -k "$(key 1)" -d "$(devs 2)"
show_pr 1
if keys 1 | grep -qx "0x$(key 1 | sed 's/^0*//')"; then
	[ "$AGENT_RC" = 1 ] || fail "node 1 still registered, yet the agent exited $AGENT_RC"
	pass "preempt did not happen and the agent reported failure"
else
	[ "$AGENT_RC" = 0 ] || fail "node 1's key is gone, yet the agent exited $AGENT_RC"
	assert_has "$AGENT_OUT" "agent says Powered OFF" "Success: Powered OFF"
	assert_write_fails 1 1
	assert_write_ok 2 1
	pass "agent verified by reading back and reported OFF"
fi
pr_dir_restore

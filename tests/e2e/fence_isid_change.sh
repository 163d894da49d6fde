# fence_isid_change: node 1's iSCSI session logs out and in again.
# The new session has a new ISID, so it is a new I_T nexus; the old nexus' registration stays
# behind on the LUN. `on` must leave exactly one registration of node 1's key: the live one.
# Debian's fence_scsi 4.12.1 fails this (it sees its key, and as reservation holder does nothing).
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2"
FSG_WITNESS=2
isids_of() { registrations "$1" | awk -v k="0x$(key "$2" | sed 's/^0*//')" '$1 == k {print $2}'; }

step "Unfence nodes 1 and 2"
expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$(devs 1)"
expect_agent 0 2 -o on -n node2 -k "$(key 2)" -d "$(devs 2)"
declare -A OLD
for ((l = 1; l <= FSG_LUNS; l++)); do
	assert_keys "$l" 1 2
	OLD[$l]=$(isids_of "$l" 1)
	[ "$(echo "${OLD[$l]}" | wc -w)" = 1 ] || fail "LUN $l: want one registration of node 1, have ISIDs ${OLD[$l]}"
	say "LUN $l: node 1 registered through ISID ${OLD[$l]}"
done

step "Node 1 logs out and in again (new session, new ISID)"
node_logout 1
node_login 1 9
for ((l = 1; l <= FSG_LUNS; l++)); do
	say "LUN $l registrations (key ISID): $(registrations "$l" | tr '\n' ';')"
	[ "$(isids_of "$l" 1)" = "${OLD[$l]}" ] || fail "LUN $l: stale registration not as expected"
done
pass "the old nexus' registration is still there (stale)"

step "Node 1 unfences again through its new session"
expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$(devs 1)"
for ((l = 1; l <= FSG_LUNS; l++)); do
	now=$(isids_of "$l" 1)
	say "LUN $l registrations (key ISID): $(registrations "$l" | tr '\n' ';')"
	[ "$(echo "$now" | wc -w)" = 1 ] || fail "LUN $l: want exactly one registration of node 1's key, have ISIDs: $(echo $now)"
	[ "$now" != "${OLD[$l]}" ] || fail "LUN $l: the remaining registration is the stale one (${OLD[$l]})"
	pass "LUN $l: exactly one registration of node 1's key, the live one ($now)"
	[ -n "$(holder "$l")" ] || fail "LUN $l: no reservation left"
	pass "LUN $l: reservation held by $(holder "$l")"
	assert_write_ok 1 "$l"
	assert_write_ok 2 "$l"
done

# fence_scsi_go only: off from a re-established session must not register the key again
# (docs/fencing-race.md): it is refused until the node unfences, then it fences.
if [ "${FSG_AGENT_SOURCE##*/}" = fence_scsi_go ] || [ "${AGENT##*/}" = fence_scsi_go ]; then
	step "Node 1 logs out and in again, then fences node 2 before unfencing: refused, nothing changes"
	node_logout 1
	node_login 1 10
	expect_agent 1 1 -o off -n node2 -k "$(key 2)" -d "$(devs 1)"
	assert_has "$AGENT_ERR" "refusal explained: run on first" "only through another I_T nexus"
	for ((l = 1; l <= FSG_LUNS; l++)); do
		assert_keys "$l" 1 2
		assert_write_ok 2 "$l"
	done
	step "Node 1 unfences through the new session, then fences node 2"
	expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$(devs 1)"
	expect_agent 0 1 -o off -n node2 -k "$(key 2)" -d "$(devs 1)"
	for ((l = 1; l <= FSG_LUNS; l++)); do
		assert_keys "$l" 1
		assert_holder "$l" 1
		assert_write_fails 2 "$l"
		assert_write_ok 1 "$l"
	done
fi

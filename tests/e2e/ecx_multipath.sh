# ecx_multipath: run with --nodes 2 --luns 1 --paths 2 (parity_lib.sh is
# prepended). Each node combines its two iSCSI sessions to LUN 1 (two I_T nexuses) with dmsetup
# into a multipath device and gives only that device to acquire/defend: the agent works through
# both paths. Checked: node 1's key is registered through both paths (WE-AR: every path of the
# owner writes, round-robin over both); node 2 takes the LUN over (no defender running on node 1)
# through its own multipath device: node 1's key is gone from both paths, its writes through the
# multipath device fail, node 2's succeed, node 1's `defend --once` reports the loss; a
# holder-only type (1) over a multipath device is refused before any PR command.
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_PATHS" -ge 2 ] || fail "needs --nodes 2 --paths 2"
FSG_WITNESS=2
gen() { _pr_in 1 2 -k | sed -n 's/.*PR generation=\(0x[0-9a-fA-F]*\).*/\1/p'; }
wear() { assert_has "$(restype 1)" "LUN 1 reserved WE-AR" "all registrants"; }

step "Each node: a multipath device over its $FSG_PATHS paths to LUN 1"
mpath_create 1 mpatha 1
M1=$MPATH_DEV
mpath_create 2 mpathb 1
M2=$MPATH_DEV

step "A holder-only type over a multipath device is refused before any PR command"
G0=$(gen)
expect_agent 1 1 acquire --devices="$M1" --key="$(key 1)" --type=1
[ "$(gen)" = "$G0" ] || fail "the refused acquire changed the LUN (generation $G0 -> $(gen))"
[ -z "$(keys 1)" ] || fail "the refused acquire left keys: $(keys 1 | tr '\n' ' ')"
pass "type 1 refused on $M1, nothing sent"

step "Node 1 acquires LUN 1 through $M1 only"
expect_agent 0 1 acquire --devices="$M1" --key="$(key 1)"
assert_has "$AGENT_ERR" "the agent works through the paths of $M1" "multipath device"
assert_key_count 1 1 "$FSG_PATHS"
wear
for i in 1 2 3 4; do assert_dev_write_ok "$M1"; done
expect_agent 0 1 defend --once --devices="$M1" --key="$(key 1)"

step "Node 2 takes LUN 1 over through $M2 (node 1 is not defending)"
expect_agent 0 2 acquire --devices="$M2" --key="$(key 2)"
show_pr 1
assert_key_count 1 1 0
assert_key_count 1 2 "$FSG_PATHS"
wear
for i in 1 2; do assert_dev_write_fails "$M1"; done
for i in 1 2 3 4; do assert_dev_write_ok "$M2"; done
expect_agent 1 1 defend --once --devices="$M1" --key="$(key 1)"
pass "node 1's defender reports the loss"
expect_agent 0 2 release --devices="$M2" --key="$(key 2)"
[ -z "$(keys 1)" ] || fail "keys left after node 2's release: $(keys 1 | tr '\n' ' ')"
pass "node 2's release unregistered both of its paths"
echo "SUMMARY: multipath acquire/defend/release through dm devices: both paths registered, takeover removes both"

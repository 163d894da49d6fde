# Parity, multipath: run with --nodes 2 --luns 1 --paths 2. Node 1's two iSCSI
# sessions (two I_T nexuses, distinct ISIDs) to LUN 1 are combined by dmsetup into
# /dev/mapper/mpatha -> ../dm-N. `on` (mpath_register_method=multi, the default) registers both
# paths exactly once each, also when run twice (the second run registers nothing again); node 2's `off` removes both
# and writes through the multipath device fail; `single` registers exactly one path.
# Witness: READ KEYS / READ FULL STATUS through node 2's path 1.
declare -F parity_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/parity_lib.sh" ||
	fail "parity_lib.sh not found: run through parity_test.go or with --agent <repo>/bin/fence_scsi_go"
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_PATHS" -ge 2 ] || fail "needs --nodes 2 --paths 2"
FSG_WITNESS=2

step "Node 1: multipath device over its $FSG_PATHS paths to LUN 1"
mpath_create 1 mpatha 1
assert_dev_write_ok "$MPATH_DEV"

step "Node 1 unfences through $MPATH_DEV (default mpath_register_method=multi), twice"
for i in 1 2; do
	expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$MPATH_DEV"
	assert_key_count 1 1 "$FSG_PATHS"
	registrations 1 | sed 's/^/     registration: /'
done
n=$(registrations 1 | awk -v k="$(_hexkey 1)" '$1 == k {print $2}' | sort -u | wc -l)
[ "$n" = "$FSG_PATHS" ] || fail "node 1's key is registered through $n distinct ISIDs, want $FSG_PATHS"
pass "node 1's key registered through $n distinct I_T nexuses (ISIDs), no duplicates"
expect_agent 0 1 -o status -n node1 -k "$(key 1)" -d "$MPATH_DEV"
assert_has "$AGENT_OUT" "Status: ON" "Status: ON"

step "Node 2 unfences (its path 1); node 1 writes through the multipath device"
expect_agent 0 2 -o on -n node2 -k "$(key 2)" -d "$(dev 2 1)"
show_pr 1
assert_keys 1 1 1 2
for i in 1 2 3 4; do assert_dev_write_ok "$MPATH_DEV"; done
parity_marker "MPATH-KEYS-ON $(keys 1 | tr '\n' ' ')"

step "Node 2 fences node 1"
expect_agent 0 2 -o off -n node1 -k "$(key 1)" -d "$(dev 2 1)"
assert_has "$AGENT_OUT" "agent says Powered OFF" "Success: Powered OFF"
show_pr 1
assert_keys 1 2
assert_holder 1 2
parity_marker "MPATH-KEYS-OFF $(keys 1 | tr '\n' ' ')"
# round-robin spreads I/O over both paths: several writes, every one must fail
for i in 1 2 3 4; do assert_dev_write_fails "$MPATH_DEV"; done
for ((p = 1; p <= FSG_PATHS; p++)); do assert_dev_write_fails "$(dev 1 1 "$p")"; done
assert_write_ok 2 1
expect_agent 2 1 -o status -n node1 -k "$(key 1)" -d "$MPATH_DEV"

step "Node 1 unfences again with mpath_register_method=single: one registration"
expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$MPATH_DEV" --mpath-register-method=single
show_pr 1
assert_key_count 1 1 1
assert_key_count 1 2 1
parity_marker "MPATH-KEYS-SINGLE $(keys 1 | tr '\n' ' ')"

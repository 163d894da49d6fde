# check-storage on tgt (the user-space target): run with --target tgt --nodes 2 --luns 2
# (check_storage_lib.sh is prepended). tgt has no READ FULL STATUS and no per-LU switch to turn
# PR off, so this is the part of check_storage.sh (LIO) that does not need them: a fresh LU and
# a healthy cluster are ready (exit 0) with the keys decoded and the PR generation unchanged, an
# unfinished unfence (keys, no reservation) is not ready (exit 2), and --write-test passes and
# leaves the keys and the reservation as it found them.
[ "$FSG_TARGET" = tgt ] || fail "needs --target tgt"
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 2 ] || fail "needs --nodes 2 --luns 2"
L1=$(dev 1 1) L2=$(dev 1 2)
# prstate L: the keys (sorted) and the reservation of LUN L, as sg_persist reads them.
prstate() { echo "keys: $(keys "$1" | sort | tr '\n' ' ') holder: $(holder "$1") type: $(restype "$1")"; }

step "Fresh LUNs on tgt: nothing registered, the read-only check passes and changes nothing"
pr_reset_all
G1=$(gen 1) G2=$(gen 2)
chk 0 1 --devices="$L1,$L2"
want_rules
printf '%s' "$AGENT_OUT" | jq -r '.devices[].paths[] | "     path \(.path) identity \(.identity) \(.vendor)/\(.product)/\(.revision) PR \(.pr_supported) full status \(.full_status)"'
[ "$(gen 1)" = "$G1" ] && [ "$(gen 2)" = "$G2" ] || fail "generation changed: LUN1 $G1 -> $(gen 1), LUN2 $G2 -> $(gen 2)"
pass "PR generation unchanged (LUN 1 $G1, LUN 2 $G2)"

step "Both nodes unfence (derived keys): ready, keys decoded to node names, generation unchanged"
expect_agent 0 1 -o on -n node1 --corosync-cmap-path="$CMAP" -d "$L1,$L2"
expect_agent 0 2 -o on -n node2 --corosync-cmap-path="$CMAP" -d "$(dev 2 1),$(dev 2 2)"
G1=$(gen 1) G2=$(gen 2)
agent 1 check-storage --corosync-cmap-path="$CMAP" --nodename=node1 --devices="$L1,$L2"
[ "$AGENT_RC" = 0 ] || fail "check-storage (text) exited $AGENT_RC"
printf '%s\n' "$AGENT_OUT" | grep -q "this node (node1)" && printf '%s\n' "$AGENT_OUT" | grep -qE "^ +$K2 +node2 " ||
	fail "keys not decoded to node names"
chk 0 1 --devices="$L1,$L2"
want_rules
[ "$(gen 1)" = "$G1" ] && [ "$(gen 2)" = "$G2" ] || fail "generation changed: LUN1 $G1 -> $(gen 1), LUN2 $G2 -> $(gen 2)"
pass "keys decoded (this node (node1), node2); PR generation unchanged"

step "Unfinished unfence on LUN 2: registrations, no reservation -> not ready (exit 2)"
h=$(holder 2)
k=1
[ "$h" = "$(printf '%s' "$K2" | tr A-F a-f)" ] && k=2
sg_turs "$(dev "$k" 2)" >/dev/null 2>&1 || true
sg_persist -n -o -L -T 5 -K "$h" -d "$(dev "$k" 2)" >/dev/null 2>&1 ||
	sg_persist -n -o -L -T 5 -K "$h" -d "$(dev "$k" 2)" >/dev/null || fail "release LUN 2 through node $k"
[ -z "$(holder 2)" ] || fail "LUN 2 still reserved"
chk 2 1 --devices="$L1,$L2"
want_rules unfinished-unfence

step "--write-test on a fresh LU: passes, keys and reservation as found"
pr_reset_all
before=$(prstate 1)
chk 0 1 --devices="$L1" --write-test
printf '%s' "$AGENT_OUT" | jq -r '.. | objects | select(has("steps")) | .steps[]? | "     step: \(.)"' 2>/dev/null || true
after=$(prstate 1)
[ "$after" = "$before" ] || fail "LUN 1 after the write test: $after; before: $before"
pass "write test passed; LUN 1 as found ($after)"
echo "SUMMARY: check-storage on tgt: ready (fresh, healthy, keys decoded), unfinished-unfence, --write-test restoring the state"

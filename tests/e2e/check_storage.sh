# check-storage on real storage: run with --nodes 2 --luns 3 --paths 2 --nopr 3 (parity_lib.sh,
# check_storage_lib.sh and pacemaker_lib.sh are prepended). A stand-in corosync-cmapctl (cluster
# "fsgcheck", nodes node1 and node2) lets both the agent and check-storage derive the keys
# (key_value=id); the last step runs a real corosync (two-node nodelist) and decodes the keys
# through the real corosync-cmapctl.
# Checked: exit 0 ready / 2 not ready; the read-only check never changes the PR generation and
# opens every device O_RDONLY (strace); the verdicts no-pr (LUN 3, emulate_pr=0),
# unregistered-path (one path of node 1's multipath device unregistered), unknown-key,
# duplicate-lu, identity-mismatch, unfinished-unfence and a clean pass with keys decoded to node
# names; --write-test through both paths of the multipath device and through --peer-device (an
# unregistered nexus's WRITE refused with RESERVATION CONFLICT, a registered one's accepted,
# PREEMPT AND ABORT removing the other key) with READ FULL STATUS identical before and after;
# refused without --force on a LU with registrations, which --force leaves untouched; a write
# test killed with SIGKILL halfway, cleaned up by --cleanup and by the next --write-test.
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 3 ] && [ "$FSG_PATHS" -ge 2 ] || fail "needs --nodes 2 --luns 3 --paths 2 --nopr 3"
# reset_all: every nexus of every node (all paths) unregisters from LUNs 1 and 2.
reset_all() {
	local k l p d
	for ((k = 1; k <= FSG_NODES; k++)); do
		for ((l = 1; l <= 2; l++)); do
			for ((p = 1; p <= FSG_PATHS; p++)); do
				d=$(dev "$k" "$l" "$p")
				sg_turs "$d" >/dev/null 2>&1 || true
				sg_persist -n -o -I -S 0 -d "$d" >/dev/null 2>&1 || sg_persist -n -o -I -S 0 -d "$d" >/dev/null 2>&1 ||
					fail "reset: unregister node $k LUN $l path $p"
			done
		done
	done
	for l in 1 2; do [ -z "$(keys "$l")$(holder "$l")" ] || fail "reset: LUN $l still has PR state"; done
}

step "Node 1: multipath device over its $FSG_PATHS paths to LUN 1"
mpath_create 1 mpatha 1
M=$MPATH_DEV
P1=$(dev 1 1 1) P2=$(dev 1 1 2) L2=$(dev 1 2) L3=$(dev 1 3)
S1=$(_session 1 1)
say "$P1: $(readlink -f "/sys/block/${P1#/dev/}/device"); session attributes: $(ls "$S1" | tr '\n' ' ')"
# With the ISID in sysfs each path's own nexus is looked up in READ FULL STATUS; without it
# check-storage counts this host's nexuses carrying the key (docs/check-storage.md).
if [ -r "$S1/isid" ]; then BYNEXUS=1 YES="yes,yes" PARTIAL="yes,no"; else BYNEXUS=0 YES="yes (counted),yes (counted)" PARTIAL="unknown,unknown"; fi
say "per-path method: $([ $BYNEXUS = 1 ] && echo "by nexus (ISID $(cat "$S1/isid"))" || echo "counting (no isid attribute)")"

step "Fresh LUNs: nothing registered yet, read-only check passes and changes nothing"
G1=$(gen 1) G2=$(gen 2)
chk 0 1 --devices="$M,$L2"
want_rules
[ "$(gen 1)" = "$G1" ] && [ "$(gen 2)" = "$G2" ] || fail "generation changed: LUN1 $G1 -> $(gen 1), LUN2 $G2 -> $(gen 2)"
pass "PR generation unchanged (LUN 1 $G1, LUN 2 $G2)"
[ "$(printf '%s' "$AGENT_OUT" | jq -r '.devices[0].paths | length')" = "$FSG_PATHS" ] || fail "multipath not expanded"
printf '%s' "$AGENT_OUT" | jq -r '.devices[0].paths[] | "     path \(.path) nexus \(.nexus // "-") identity \(.identity) \(.vendor)/\(.product)/\(.revision) serial \(.serial)"'
printf '%s' "$AGENT_OUT" | jq -e '.devices[0].paths[0].capabilities.types | index("WE-RO")' >/dev/null || fail "WE-RO not in the type mask"

step "LUN 3 has no PR (emulate_pr=0): rule no-pr, exit 2 (not ready)"
chk 2 1 --devices="$L3"
want_rules no-pr
agent 1 check-storage --corosync-cmap-path="$CMAP" --nodename=node1 --devices="$L3"
[ "$AGENT_RC" = 2 ] || fail "text run exited $AGENT_RC"
printf '%s\n' "$AGENT_OUT" | grep -q "^OVERALL: FAIL" || fail "no OVERALL: FAIL line"

step "Both nodes unfence with derived keys (the agent, key_value=id through the stand-in cmapctl)"
expect_agent 0 1 -o on -n node1 --corosync-cmap-path="$CMAP" -d "$M,$L2"
expect_agent 0 2 -o on -n node2 --corosync-cmap-path="$CMAP" -d "$(dev 2 1),$(dev 2 2)"
show_pr 1
show_pr 2

step "Healthy cluster: check passes, keys decoded to node names, generation unchanged, O_RDONLY opens"
G1=$(gen 1) G2=$(gen 2)
# Under strace only the opens are asserted (this node is also given by --key there: the traced run
# once lost its corosync-cmapctl child's exit status); names are asserted on untraced runs.
strace -f -qq -e trace=openat -o /tmp/fsg-check.strace true 2>/dev/null || fail "strace does not run"
rc=0
on_node 1 strace -f -qq -e trace=openat -o /tmp/fsg-check.strace "$AGENT" check-storage --key="${K1#0x}" --corosync-cmap-path="$CMAP" \
	--devices="$M,$L2" >/tmp/fsg-check.out 2>/tmp/fsg-check.err || rc=$?
sed 's/^/     2> /' /tmp/fsg-check.err
[ "$rc" = 0 ] || fail "check-storage under strace exited $rc"
opens=$(grep -E 'openat\(.*"/dev/(sd|dm-|mapper)' /tmp/fsg-check.strace || true)
[ -n "$opens" ] || fail "strace saw no device open"
printf '%s\n' "$opens" | sed 's/^/     strace: /'
! printf '%s\n' "$opens" | grep -v O_RDONLY | grep -q . || fail "a device was opened without O_RDONLY"
pass "every device open was O_RDONLY"
agent 1 check-storage --corosync-cmap-path="$CMAP" --nodename=node1 --devices="$M,$L2"
[ "$AGENT_RC" = 0 ] || fail "check-storage (text) exited $AGENT_RC"
printf '%s\n' "$AGENT_OUT" | grep -q "this node (node1)" && printf '%s\n' "$AGENT_OUT" | grep -qE "^ +$K2 +node2 " ||
	fail "keys not decoded to node names"
pass "keys decoded: this node (node1), node2"
chk 0 1 --devices="$M,$L2"
want_rules
[ "$(gen 1)" = "$G1" ] && [ "$(gen 2)" = "$G2" ] || fail "generation changed: LUN1 $G1 -> $(gen 1), LUN2 $G2 -> $(gen 2)"
pass "PR generation unchanged (LUN 1 $G1, LUN 2 $G2) after three checks"

regs=$(printf '%s' "$AGENT_OUT" | jq -r '.devices[0].paths[0].registrations[] | "\(.key) \(.owner) \(.nexus) \(.holder)"')
printf '%s\n' "$regs" | sed 's/^/     registration: /'
[ "$(printf '%s\n' "$regs" | grep -c "this node (node1)")" = "$FSG_PATHS" ] || fail "node 1's key not on $FSG_PATHS nexuses"
printf '%s\n' "$regs" | grep -q " node2 " || fail "node 2's key not decoded"
method=$(printf '%s' "$AGENT_OUT" | jq -r '[.devices[0].paths[].this_node_registered] | join(",")')
say "this node registered per path: $method"
[ "$method" = "$YES" ] || fail "per-path registration '$method', want $YES"

step "Node 1's path 2 of LUN 1 unregistered: rule unregistered-path names that path"
sg_persist -n -o -I -S 0 -d "$P2" >/dev/null || fail "unregister $P2"
# If path 2 held the reservation (the dm device sent `on`'s RESERVE through either path), its
# unregistration released it; reserve again through path 1 so that only the path is missing.
if [ -z "$(holder 1)" ]; then
	sg_turs "$P1" >/dev/null 2>&1 || true
	sg_persist -n -o -R -T 5 -K "$K1" -d "$P1" >/dev/null || fail "reserve again through $P1"
	say "path 2 held the reservation: reserved again through path 1"
fi
chk 2 1 --devices="$M,$L2"
want_rules unregistered-path
printf '%s' "$AGENT_OUT" | jq -r '.problems[] | "     \(.rule): \(.message)"'
if [ $BYNEXUS = 1 ]; then
	printf '%s' "$AGENT_OUT" | jq -r '.problems[0].message' | grep -q "through $P2\$" || fail "message does not name $P2"
else
	printf '%s' "$AGENT_OUT" | jq -r '.problems[0].message' | grep -q "through 1 I_T nexus(es) of this host but the device has 2 path(s)" ||
		fail "message does not count 1 of 2"
fi
[ "$(printf '%s' "$AGENT_OUT" | jq -r '[.devices[0].paths[].this_node_registered] | join(",")')" = "$PARTIAL" ] || fail "per path, want $PARTIAL"
expect_agent 0 1 -o on -n node1 --corosync-cmap-path="$CMAP" -d "$M"
chk 0 1 --devices="$M"

step "A key of no cluster node on LUN 2 (node 2's second path): rule unknown-key"
sg_persist -n -o -I -S 0xbad0 -d "$(dev 2 2 2)" >/dev/null 2>&1 ||
	sg_persist -n -o -I -S 0xbad0 -d "$(dev 2 2 2)" >/dev/null || fail "register 0xbad0"
chk 2 1 --devices="$M,$L2"
want_rules unknown-key
printf '%s' "$AGENT_OUT" | jq -r '.problems[0].message' | grep -q "0xbad0 (unknown)" || fail "key not named unknown"
sg_persist -n -o -I -S 0 -d "$(dev 2 2 2)" >/dev/null || fail "unregister 0xbad0"

step "The same LU under two names: rule duplicate-lu"
chk 2 1 --devices="$M,$P1"
want_rules duplicate-lu

step "A multipath map over paths of two different LUNs: rule identity-mismatch"
mm1=$(cat "/sys/block/${P1#/dev/}/dev")
X2=$(dev 1 2 2)
mm2=$(cat "/sys/block/${X2#/dev/}/dev")
sz=$(blockdev --getsz "$P1")
DM_DISABLE_UDEV=1 dmsetup create mixed --noudevsync --table "0 $sz multipath 0 0 1 1 round-robin 0 2 1 $mm1 1 $mm2 1" ||
	fail "dmsetup create mixed"
minor=$(DM_DISABLE_UDEV=1 dmsetup info -c --noheadings -o minor mixed | tr -d ' ')
chk 2 1 --devices="/dev/dm-$minor"
want_rules identity-mismatch
printf '%s' "$AGENT_OUT" | jq -r '.problems[0].message' | grep -q "$P1" || fail "message does not name $P1"
DM_DISABLE_UDEV=1 dmsetup remove --noudevsync mixed || fail "dmsetup remove mixed"

step "Keys but no reservation (an unfinished unfence): rule unfinished-unfence"
reset_all
sg_persist -n -o -I -S "$K1" -d "$L2" >/dev/null || fail "register"
chk 2 1 --devices="$L2" --aptpl
want_rules unfinished-unfence
pass "--aptpl: LIO reports PTPL_C, no no-aptpl"

step "--write-test is refused on a LU with a registration (nothing sent)"
G2=$(gen 2)
chk 2 1 --devices="$L2" --write-test
printf '%s' "$AGENT_OUT" | jq -r '.write_tests[0].error' | grep -q '^refused' || fail "not refused"
[ "$(gen 2)" = "$G2" ] && [ "$(keys 2)" = "$(printf '%s' "$K1" | tr A-F a-f)" ] || fail "refused write test changed LUN 2"
pass "refused, LUN 2 unchanged (generation $G2)"


# fullstate L: READ FULL STATUS of LUN L (sg_persist, node 1 path 1) without the generation.
fullstate() { _pr_in "$1" 1 -s | grep -v 'PR generation'; }
same_state() {
	local l=$1 before=$2 now
	now=$(fullstate "$l")
	[ "$now" = "$before" ] || fail "LUN $l PR state changed:$(printf '\n--- before\n%s\n--- after\n%s' "$before" "$now")"
}
wt_field() { printf '%s' "$AGENT_OUT" | jq -r ".write_tests[0].$1"; }
# want_steps strict|same: the write test's steps name the two-nexus checks. strict: the two
# nexuses belong to different initiators, so the unregistered and the preempted nexus's WRITEs
# must be refused with RESERVATION CONFLICT. same: two paths of one initiator; LIO grants
# reservation access per initiator name (not per I_T nexus), so those WRITEs may be accepted,
# and check-storage must then say so in a note.
want_steps() {
	local steps w
	steps=$(printf '%s' "$AGENT_OUT" | jq -r '.write_tests[0].steps[]')
	printf '%s\n' "$steps" | sed 's/^/     step: /'
	for w in "WRITE through registered .* accepted" "PREEMPT AND ABORT through .* removed 0x5343524154434801"; do
		printf '%s\n' "$steps" | grep -q "$w" || fail "no step '$w'"
	done
	for w in unregistered preempted; do
		if printf '%s\n' "$steps" | grep -q "^WRITE through $w .* refused with RESERVATION CONFLICT"; then
			pass "WRITE through the $w nexus refused with RESERVATION CONFLICT"
		elif [ "$1" = same ] && printf '%s\n' "$steps" | grep -q "^note: WRITE through $w .* accepted: it shares the initiator name"; then
			say "WRITE through the $w nexus (same initiator, other ISID) accepted by this target: noted"
		else
			fail "no RESERVATION CONFLICT step for the $w nexus"
		fi
	done
	[ "$(wt_field ok) $(wt_field restored)" = "true true" ] || fail "write test ok=$(wt_field ok) restored=$(wt_field restored)"
}

step "--write-test through both paths of the multipath device: passes, PR state exactly as found"
reset_all
S1=$(fullstate 1)
G1=$(gen 1)
chk 0 1 --devices="$M" --write-test
want_steps same
same_state 1 "$S1"
say "generation $G1 -> $(gen 1) (PR OUT was sent); READ FULL STATUS before and after: $(printf '%s' "$S1" | tr '\n' ' ')"
pass "LUN 1: --write-test passed, READ FULL STATUS identical before and after"

step "--write-test on single-path LUN 2 with --peer-device (node 2's session to it: another initiator)"
S2=$(fullstate 2)
PEER=$(dev 2 2)
agent 1 check-storage --corosync-cmap-path="$CMAP" --nodename=node1 --devices="$L2" --peer-device="$PEER" --write-test
[ "$AGENT_RC" = 0 ] || fail "exit $AGENT_RC"
chk 0 1 --devices="$L2" --peer-device="$PEER" --write-test
want_steps strict
[ "$(printf '%s' "$AGENT_OUT" | jq -r '.write_tests[0].nexuses | join(",")')" = "$L2,$PEER" ] || fail "nexuses"
same_state 2 "$S2"
pass "LUN 2 through $L2 and peer $PEER: unregistered and preempted WRITEs refused, registered accepted, state identical"

step "Node 2 registered and reserved on LUN 2: --write-test refused without --force; --force leaves it untouched"
expect_agent 0 2 -o on -n node2 --corosync-cmap-path="$CMAP" -d "$(dev 2 2)"
S2=$(fullstate 2)
G2=$(gen 2)
# Without a cluster (no corosync-cmapctl, no --key) node 1's own registration is not required, so
# only the write test decides the exit code.
NOCL=--corosync-cmap-path=/nonexistent
expect_agent 2 1 check-storage "$NOCL" --json --devices="$L2" --peer-device="$(dev 1 2 2)" --write-test
printf '%s' "$AGENT_OUT" | jq -r '.write_tests[0].error' | sed 's/^/     /'
printf '%s' "$AGENT_OUT" | jq -r '.write_tests[0].error' | grep -q '^refused: the LU has 1 registration' || fail "not refused"
want_rules write-test
[ "$(gen 2)" = "$G2" ] || fail "generation changed"
expect_agent 0 1 check-storage "$NOCL" --json --devices="$L2" --peer-device="$(dev 1 2 2)" --write-test --force
printf '%s' "$AGENT_OUT" | jq -r '.write_tests[0].steps[] | "     step: \(.)"'
same_state 2 "$S2"
assert_write_ok 2 2
pass "--force: node 2's registration and reservation kept, READ FULL STATUS identical"

# killed_write_test keys|holder KEY: node 1's --write-test on the multipath device with a 10 s
# pause after each step, killed with SIGKILL once READ KEYS lists KEY (keys) or READ RESERVATION
# shows KEY as the holder (holder). LEFT is then the scratch keys registered.
killed_write_test() {
	local what=$1 want=$2 pid i
	mkdir -p /tmp/fsg-nodes/node1
	# Started directly: unshare execs the shell, which execs the agent, so $! is the agent.
	unshare -m --propagation private -- /bin/sh -c 'mount --bind "$1" /run && shift && exec "$@"' \
		fsg-node /tmp/fsg-nodes/node1 "$AGENT" check-storage --corosync-cmap-path="$CMAP" --nodename=node1 \
		--devices="$M" --write-test --step-delay=10s >/tmp/fsg-killed.out 2>/tmp/fsg-killed.err &
	pid=$!
	for i in $(seq 1 300); do
		if "$what" 1 | grep -qx "$want"; then break; fi
		kill -0 "$pid" 2>/dev/null || fail "the write test ended before $what $want showed: $(cat /tmp/fsg-killed.out /tmp/fsg-killed.err)"
		sleep 0.2
	done
	kill -9 "$pid" 2>/dev/null || fail "the write test had ended before the kill"
	wait "$pid" 2>/dev/null || true
	sed 's/^/     2> /' /tmp/fsg-killed.err
	LEFT=$(keys 1 | grep '^0x53435241544348' | sort -u)
	say "killed with SIGKILL once $what showed $want; LUN 1 keys now: $(keys 1 | tr '\n' ' ') holder: $(holder 1)"
	[ -n "$LEFT" ] || fail "the kill left no scratch key"
}

step "A --write-test killed with SIGKILL halfway (after the second nexus registered); --cleanup removes only scratch keys"
reset_all
S1=$(fullstate 1)
killed_write_test keys 0x5343524154434802
chk 2 1 --devices="$M"
want_rules scratch-key
sg_turs "$(dev 2 1)" >/dev/null 2>&1 || true
sg_persist -n -o -I -S "$K2" -d "$(dev 2 1)" >/dev/null || fail "node 2 registers"
# node 2 is registered without a reservation now: unfinished-unfence, and node 1 is not registered.
chk 2 1 --devices="$M" --cleanup
want_rules unfinished-unfence unregistered-path
printf '%s' "$AGENT_OUT" | jq -r '.cleanups[0].removed[] | "     cleanup: \(.)"'
n=$(printf '%s\n' "$LEFT" | wc -l)
[ "$(printf '%s' "$AGENT_OUT" | jq -r '.cleanups[0].removed | length')" = "$n" ] || fail "cleanup did not remove the $n scratch key(s) left"
[ "$(keys 1)" = "$(printf '%s' "$K2" | tr A-F a-f)" ] || fail "after --cleanup LUN 1 keys: $(keys 1 | tr '\n' ' '), want node 2's $K2 only"
[ -z "$(holder 1)" ] || fail "reservation left: $(holder 1)"
pass "--cleanup removed the $n scratch key(s) (and a reservation they held), node 2's key kept"
# The clean-up's PREEMPT/RELEASE left node 2's nexus a UNIT ATTENTION: the first try may report it.
sg_persist -n -o -I -S 0 -d "$(dev 2 1)" >/dev/null 2>&1 ||
	sg_persist -n -o -I -S 0 -d "$(dev 2 1)" >/dev/null || fail "node 2 unregisters"
same_state 1 "$S1"
pass "READ FULL STATUS as before the killed run"

step "A --write-test killed after its RESERVE; the next --write-test cleans up and passes"
killed_write_test holder 0x5343524154434801
chk 0 1 --devices="$M" --write-test
printf '%s' "$AGENT_OUT" | jq -r '.cleanups[0].removed[] | "     cleanup: \(.)"'
[ "$(printf '%s' "$AGENT_OUT" | jq -r '.cleanups[0].removed | length')" -ge 1 ] || fail "nothing cleaned"
want_steps same
same_state 1 "$S1"
pass "the next run cleaned the killed run's scratch key and reservation, passed, READ FULL STATUS as before"

step "Real corosync (two-node nodelist, cluster fsgreal): keys decoded to node names through the real corosync-cmapctl"
command -v corosync >/dev/null || fail "corosync is not installed on the host"
reset_all
W=/tmp/fsg-corosync
mkdir -p "$W"
corosync_conf fsgreal 2 - >"$W/corosync.conf"
cat >"$W/run.sh" <<'COROEOF'
#!/bin/sh
set -e
for d in /etc/corosync /var/lib/corosync /var/log/corosync; do mount -t tmpfs -o mode=0755 fsgcheck "$d"; done
cp "$1/corosync.conf" /etc/corosync/corosync.conf
exec corosync -f
COROEOF
chmod 755 "$W/run.sh"
# Started directly in node 1's mount namespace (as on_node does): $! is corosync itself.
unshare -m --propagation private -- /bin/sh -c 'mount --bind "$1" /run && shift && exec "$@"' \
	fsg-node /tmp/fsg-nodes/node1 "$W/run.sh" "$W" >"$W/corosync.out" 2>&1 &
CPID=$!
stop_corosync() { kill -TERM "$CPID" 2>/dev/null; wait "$CPID" 2>/dev/null || true; }
ok=0
for _ in $(seq 1 120); do
	if corosync-cmapctl totem.cluster_name 2>/dev/null | grep -q fsgreal; then ok=1; break; fi
	sleep 0.5
done
[ "$ok" = 1 ] || { cat "$W/corosync.out"; fail "corosync did not start"; }
corosync-cmapctl nodelist | sed 's/^/     cmap: /'
hostname node1
H=$(printf %s fsgreal | md5sum | cut -c1-4)
R1=0x$(printf '%s0000' "$H" | sed 's/^0*//') R2=0x$(printf '%s0001' "$H" | sed 's/^0*//')
say "expected keys: node1 $R1, node2 $R2"
expect_agent 0 1 -o on -n node1 -d "$M,$L2"
expect_agent 0 2 -o on -n node2 -d "$(dev 2 1),$(dev 2 2)"
agent 1 check-storage --devices="$M,$L2"
[ "$AGENT_RC" = 0 ] || fail "check-storage with the real corosync exited $AGENT_RC"
printf '%s\n' "$AGENT_OUT" | grep -q "^this node: node1, key $R1" || fail "this node not found by host name"
printf '%s\n' "$AGENT_OUT" | grep -qE "^ +$R1 +this node \(node1\) " || fail "this node's key not decoded"
printf '%s\n' "$AGENT_OUT" | grep -qE "^ +$R2 +node2 " || fail "node 2's key not decoded"
sg_persist -n -o -I -S 0xbad0 -d "$(dev 2 2 2)" >/dev/null 2>&1 ||
	sg_persist -n -o -I -S 0xbad0 -d "$(dev 2 2 2)" >/dev/null || fail "register 0xbad0"
# Not chk: it points check-storage at the stand-in cmapctl; this one reads the real corosync.
expect_agent 2 1 check-storage --json --devices="$M,$L2"
want_rules unknown-key
printf '%s' "$AGENT_OUT" | jq -r '.cluster_nodes | to_entries[] | "     cluster node: \(.key) \(.value)"'
[ "$(printf '%s' "$AGENT_OUT" | jq -r --arg k "$R2" '.cluster_nodes[$k]')" = node2 ] || fail "cluster_nodes"
printf '%s' "$AGENT_OUT" | jq -r '.devices[1].paths[0].registrations[] | "     \(.key) \(.owner)"' | grep -q "0xbad0 unknown" || fail "0xbad0 not unknown"
pass "real corosync: this node (node1) by host name, node2 by name, 0xbad0 unknown"
stop_corosync
echo "SUMMARY: check-storage verdicts, read-only guarantee, write test (two nexuses, --peer-device, --force), SIGKILL clean-up, real corosync names"

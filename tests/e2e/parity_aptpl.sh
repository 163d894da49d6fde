# Parity (issue 6), APTPL and read-only: run with --nodes 2 --luns 1. `on` without --aptpl
# leaves "Persist Through Power Loss Active" off on LIO (REPORT CAPABILITIES, PTPL_A 0);
# `on --aptpl` turns it on (PTPL_A 1) and LIO writes its APTPL file. `status --readonly` works
# (ON, then OFF after a fence) and opens the device read-only only (strace).
declare -F parity_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/parity_lib.sh" ||
	fail "parity_lib.sh not found: run through parity_test.go or with --agent <repo>/bin/fence_scsi_go"
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2"
FSG_WITNESS=2

step "Node 1 unfences without --aptpl: PTPL_A 0"
expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$(dev 1 1)"
pr_caps 1 | sed 's/^/     /'
a=$(ptpl_active 1)
[ "$a" = 0 ] || fail "PTPL_A is $a after a registration without APTPL, want 0"
pass "REPORT CAPABILITIES: PTPL_A 0 (persistence not active)"
parity_marker "APTPL without=$a"

step "Node 2 unfences with --aptpl: PTPL_A 1"
expect_agent 0 2 -o on -n node2 -k "$(key 2)" -d "$(dev 2 1)" --aptpl
pr_caps 1 | sed 's/^/     /'
a=$(ptpl_active 1)
[ "$a" = 1 ] || fail "PTPL_A is $a after a registration with APTPL, want 1"
pass "REPORT CAPABILITIES: PTPL_A 1 (persist through power loss active)"
parity_marker "APTPL with=$a"
assert_keys 1 1 2
f=$(ls /tmp/fsg-etc-target/pr/ 2>/dev/null | head -1)
if [ -n "$f" ]; then
	say "LIO's APTPL file /etc/target/pr/$f:"
	# LIO pads the file with NULs
	tr -d '\0' <"/tmp/fsg-etc-target/pr/$f" | grep -E 'initiator_node|sa_res_key|res_holder|res_type' | sed 's/^/       /' | head -12
	# LIO writes the keys in decimal
	for k in 1 2; do
		tr -d '\0' <"/tmp/fsg-etc-target/pr/$f" | grep -qx "sa_res_key=$((16#$(key "$k")))" ||
			fail "node $k's key $(key "$k") ($((16#$(key "$k")))) is not in LIO's APTPL file"
	done
	pass "both registrations are in LIO's APTPL file (keys in decimal)"
else
	fail "no APTPL file under /etc/target/pr after a registration with APTPL"
fi

step "status --readonly: ON for node 1, read-only opens only"
expect_agent 0 1 -o status -n node1 -k "$(key 1)" -d "$(dev 1 1)" --readonly
case "$AGENT_OUT" in *"Status: ON"*) ;; *) fail "no 'Status: ON'" ;; esac
d=$(dev 1 1)
if command -v strace >/dev/null; then
	on_node 1 strace -f -qq -e trace=open,openat -o /tmp/strace-ro.txt "$AGENT" -o status -k "$(key 1)" -d "$d" --readonly >/dev/null 2>&1 || true
	grep -F "\"$d\"" /tmp/strace-ro.txt | sed 's/^/     strace: /'
	grep -F "\"$d\"" /tmp/strace-ro.txt | grep -q O_RDONLY || fail "no read-only open of $d"
	! grep -F "\"$d\"" /tmp/strace-ro.txt | grep -qE 'O_RDWR|O_WRONLY' || fail "$d opened for writing with --readonly"
	pass "status --readonly opens $d O_RDONLY only"
	on_node 1 strace -f -qq -e trace=open,openat -o /tmp/strace-rw.txt "$AGENT" -o status -k "$(key 1)" -d "$d" >/dev/null 2>&1 || true
	grep -F "\"$d\"" /tmp/strace-rw.txt | sed 's/^/     strace (without --readonly): /'
else
	say "strace not installed: read-only open not verified"
fi

step "Node 2 fences node 1; status --readonly: OFF (exit 2)"
expect_agent 0 2 -o off -n node1 -k "$(key 1)" -d "$(dev 2 1)"
expect_agent 2 1 -o status -n node1 -k "$(key 1)" -d "$(dev 1 1)" --readonly
case "$AGENT_OUT" in *"Status: OFF"*) ;; *) fail "no 'Status: OFF'" ;; esac
parity_marker "READONLY status-after-fence rc=$AGENT_RC"
a=$(ptpl_active 1)
say "PTPL_A after a fence without --aptpl: $a (the fencer re-registered its key without APTPL)"

step "With aptpl on every action (as pacemaker passes it): node 1 unfences, node 2 fences it, PTPL_A stays 1"
expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$(dev 1 1)" --aptpl
expect_agent 0 2 -o off -n node1 -k "$(key 1)" -d "$(dev 2 1)" --aptpl
assert_keys 1 2
a=$(ptpl_active 1)
[ "$a" = 1 ] || fail "PTPL_A is $a after on/off with --aptpl, want 1"
pass "PTPL_A 1 after a fence with --aptpl"
parity_marker "APTPL after-off-with-aptpl=$a"

# Parity, APTPL and read-only: run with --nodes 2 --luns 1. `on` without --aptpl
# leaves "Persist Through Power Loss Active" off on LIO (REPORT CAPABILITIES, PTPL_A 0), and a
# power cycle of the LU (lu_power_cycle: destroyed and recreated, restored from LIO's APTPL file
# as the target's boot does) loses the registration; `on --aptpl` turns it on (PTPL_A 1), LIO
# writes its APTPL file, and at the end a fence (keys, reservation, the fenced node's refused
# writes) survives a power cycle. `status --readonly` works
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

step "Power loss without APTPL: the registration is gone"
lu_power_cycle 1
[ -z "$(keys 1)" ] || fail "registrations survived a power cycle without APTPL: $(keys 1 | tr '\n' ' ')"
pass "no registrations after the power cycle (persistence was not active)"
parity_marker "POWERLOSS without-aptpl keys=0"
expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$(dev 1 1)"

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
assert_has "$AGENT_OUT" "Status: ON" "Status: ON"
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
assert_has "$AGENT_OUT" "Status: OFF" "Status: OFF"
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

step "Power loss with APTPL active: the fence survives"
show_pr 1
before_keys=$(keys 1 | sort | tr '\n' ' ') before_holder=$(holder 1) before_type=$(restype 1)
lu_power_cycle 1
show_pr 1
after_keys=$(keys 1 | sort | tr '\n' ' ')
[ "$after_keys" = "$before_keys" ] || fail "keys after the power cycle [$after_keys], before [$before_keys]"
[ "$(holder 1)" = "$before_holder" ] && [ "$(restype 1)" = "$before_type" ] ||
	fail "reservation after the power cycle: $(holder 1) $(restype 1); before: $before_holder $before_type"
pass "same keys [$after_keys] and reservation ($before_holder, $before_type) after the power cycle"
a=$(ptpl_active 1)
[ "$a" = 1 ] || fail "PTPL_A is $a after the power cycle, want 1"
assert_write_fails 1 1
assert_write_ok 2 1
expect_agent 2 1 -o status -n node1 -k "$(key 1)" -d "$(dev 1 1)"
expect_agent 0 2 -o status -n node2 -k "$(key 2)" -d "$(dev 2 1)"
parity_marker "POWERLOSS with-aptpl survived=1"

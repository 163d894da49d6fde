# ecx_release_nopr: release and clean hand-over, a LUN without
# PR support, an unsafe wait. LUN 3 is exported with PR emulation off (run with --luns 3 --nopr 3).
#  a) node 1 acquires and releases LUNs 1-2; node 2 then acquires them at once (no wait window);
#     node 2 writes, node 1 is refused; a late `release` from node 1 leaves node 2's reservation.
#  b) acquire over LUNs 1-3 fails with exit 1 and a clear message naming LUN 3's device, leaving
#     no registration of ours on LUNs 1-2 (with node 2 holding them, and with them free).
#  c) an unsafe --wait is refused with exit 1 before any PR command: PR generations unchanged.
# Run with: tests/vm/run.sh --nodes 2 --luns 3 --nopr 3 --agent $PWD/bin/fence_scsi_go tests/e2e/ecx_release_nopr.sh
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 3 ] || fail "needs --nodes 2 --luns 3 --nopr 3"
[ "$(cat /sys/kernel/config/target/core/rd_mcp_0/lun3/attrib/emulate_pr)" = 0 ] || fail "LUN 3 has PR emulation on (--nopr 3)"
FSG_WITNESS=2

declare -F ecx_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/ecx_lib.sh" ||
	fail "ecx_lib.sh not found: run through ecx_test.go or with --agent <repo>/bin/fence_scsi_go"
gen() { _pr_in "$1" "${2:-2}" -k | sed -n 's/.*PR generation=\(0x[0-9a-fA-F]*\).*/\1/p'; }
wear() { assert_has "$(restype "$1")" "LUN $1 reserved WE-AR" "all registrants"; }

A1="$(dev 1 1),$(dev 1 2)" A2="$(dev 2 1),$(dev 2 2)"
say "node 1 PR LUNs $A1, no-PR LUN $(dev 1 3); node 2 PR LUNs $A2; W=${W}s"

step "a) Node 1 acquires LUNs 1-2 and releases them"
expect_agent 0 1 acquire --devices="$A1" --key="$(key 1)"
for l in 1 2; do assert_keys "$l" 1; wear "$l"; assert_write_ok 1 "$l"; done
expect_agent 0 1 release --devices="$A1" --key="$(key 1)"
for l in 1 2; do assert_keys "$l"; assert_holder "$l" none; done

step "a) Node 2 acquires the free LUNs: quick, no wait window"
t=$(now)
expect_agent 0 2 acquire --devices="$A2" --key="$(key 2)"
ACQ=$(since "$t")
assert_lacks "$AGENT_ERR" "node 2 did not wait for free LUNs" "watching"
fge "$W" "$ACQ" || fail "node 2's acquire of free LUNs took ${ACQ}s (>= W=${W}s)"
pass "node 2 acquired the free LUNs in ${ACQ}s without a wait window (W=${W}s)"
for l in 1 2; do
	assert_keys "$l" 2
	wear "$l"
	assert_write_ok 2 "$l"
	assert_write_fails 1 "$l"
done

step "a) A late release from node 1 must leave node 2's reservation intact"
G0="$(gen 1) $(gen 2)"
expect_agent 0 1 release --devices="$A1" --key="$(key 1)"
say "PR generations before/after node 1's late release: $G0 / $(gen 1) $(gen 2)"
[ "$G0" = "$(gen 1) $(gen 2)" ] || fail "node 1's late release sent a PR OUT that changed the LUNs"
for l in 1 2; do
	show_pr "$l"
	assert_keys "$l" 2
	wear "$l"
	assert_write_ok 2 "$l"
	assert_write_fails 1 "$l"
done
expect_agent 0 2 defend --once --devices="$A2" --key="$(key 2)"

step "b) What LUN 3 (emulate_pr=0) answers to PR IN"
d3=$(dev 1 3)
sg_turs "$d3" >/dev/null 2>&1 || true
if sg_persist -n -i -k -d "$d3" >/tmp/prin.out 2>&1; then fail "PR IN succeeded on LUN 3"; fi
say "sg_persist READ KEYS on LUN 3: $(tr '\n' ' ' </tmp/prin.out)"

nopr_refused() { # $1: what the case is; agent result already in AGENT_*
	assert_has "$AGENT_ERR" "$1: the error names $d3" "$d3"
	assert_has "$AGENT_ERR" "$1: the error says the device has no PR support" \
		"[Nn]ot support" "no PR" "persistent reservation" "PR support" "Persistent Reserv"
}

step "b) Node 1 acquires LUNs 1-3 while node 2 holds LUNs 1-2: exit 1, node 2 undisturbed"
G0="$(gen 1) $(gen 2)"
t=$(now)
expect_agent 1 1 acquire --devices="$A1,$d3" --key="$(key 1)"
say "failed after $(since "$t")s; PR generations of LUNs 1-2 before/after: $G0 / $(gen 1) $(gen 2)"
nopr_refused "with an owner"
for l in 1 2; do
	show_pr "$l"
	assert_keys "$l" 2
	wear "$l"
	assert_write_ok 2 "$l"
done

step "b) Node 2 releases; node 1 acquires LUNs 1-3 again: exit 1, no registration left on LUNs 1-2"
expect_agent 0 2 release --devices="$A2" --key="$(key 2)"
t=$(now)
expect_agent 1 1 acquire --devices="$A1,$d3" --key="$(key 1)"
say "failed after $(since "$t")s"
nopr_refused "free LUNs"
for l in 1 2; do
	show_pr "$l"
	assert_keys "$l"
	assert_holder "$l" none
done

step "c) An unsafe --wait is refused (exit 1) before any PR command"
expect_agent 0 2 acquire --devices="$A2" --key="$(key 2)"
G0="$(gen 1) $(gen 2)"
say "PR generations of LUNs 1-2: $G0"
for args in "--wait=8s" "--wait=5s" "--misses=2 --wait=9s" "--period=2s --command-timeout=2s"; do
	# shellcheck disable=SC2086 # word splitting of $args is intended
	expect_agent 1 1 acquire --devices="$A1" --key="$(key 1)" $args
	assert_has "$AGENT_ERR" "acquire $args refused with a clear message" "unsafe timing: wait" "must exceed the command timeout"
	assert_lacks "$AGENT_ERR" "acquire $args touched no device" "acquire /dev" "watching"
done
expect_agent 1 2 defend --once --devices="$A2" --key="$(key 2)" --wait=5s
assert_has "$AGENT_ERR" "defend --wait=5s refused too" "unsafe timing: wait"
G1="$(gen 1) $(gen 2)"
[ "$G0" = "$G1" ] || fail "PR generations changed: $G0 -> $G1"
pass "PR generations unchanged ($G1): no PR OUT was sent"
for l in 1 2; do assert_keys "$l" 2; wear "$l"; done
expect_agent 0 2 release --devices="$A2" --key="$(key 2)"
for l in 1 2; do assert_keys "$l"; assert_holder "$l" none; done
say "SUMMARY: clean hand-over acquire ${ACQ}s (no wait); no-PR LUN refused with exit 1; unsafe waits refused with exit 1"

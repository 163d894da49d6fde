# Parity, fence_scsi_check_hardreboot: run with --nodes 2 --luns 1. While node 1 is
# registered the hardreboot check exits 0; after node 2 fences it, it reboots the machine at once
# (reboot(2)). QEMU runs with -no-reboot, so the reboot ends QEMU: the console stops right after
# the marker "FSG-PARITY: HARDREBOOT-NEXT", with no result line. parity_test.go asserts exactly
# that (run by hand, run.sh reports "guest ended without a result (qemu exit 0)": expected).
declare -F parity_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/parity_lib.sh" ||
	fail "parity_lib.sh not found: run through parity_test.go or with --agent <repo>/bin/fence_scsi_go"
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2"
FSG_WITNESS=2
check_setup /tmp/fsg-check
HR=/tmp/fsg-check/fence_scsi_check_hardreboot

step "Nodes 1 and 2 unfence; node 1's hardreboot check exits 0 (no reboot)"
expect_agent 0 1 -o on -n node1 -k "$(key 1)" -d "$(dev 1 1)"
expect_agent 0 2 -o on -n node2 -k "$(key 2)" -d "$(dev 2 1)"
run_check 1 "$HR"
[ "$CHECK_RC" = 0 ] || fail "hardreboot check exited $CHECK_RC while registered, want 0"
parity_marker "HARDREBOOT registered rc=$CHECK_RC"

step "Node 2 fences node 1; node 1's hardreboot check must reboot the guest now"
expect_agent 0 2 -o off -n node1 -k "$(key 1)" -d "$(dev 2 1)"
assert_keys 1 2
sync
parity_marker "HARDREBOOT-NEXT"
rc=0
on_node 1 "$HR" || rc=$?
parity_marker "HARDREBOOT-RETURNED rc=$rc"
fail "fence_scsi_check_hardreboot returned (exit $rc) instead of rebooting"

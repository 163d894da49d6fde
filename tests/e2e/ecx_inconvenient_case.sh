# ecx_inconvenient_case: the "inconvenient case" of the EXPRESSCLUSTER write-up (a delayed server resumes) on two LUNs.
# Node 1 acquires both LUNs, defends them and writes sequence-numbered blocks; both of its
# processes are frozen (SIGSTOP of their process groups) as a delayed VM would be; node 2
# acquires (exit 0, after its wait window) and writes its own blocks over the same LBAs; node 1
# is resumed (SIGCONT). Node 1's writes must be refused by the target (EBADE), its defender must
# exit 1 within about one period, and every block written after the takeover must be node 2's
# (read back through node 2). Then node 2 `defend --once` -> 0 and `release` -> 0.
# Run with: tests/vm/run.sh --nodes 2 --luns 2 --agent $PWD/bin/fence_scsi_go tests/e2e/ecx_inconvenient_case.sh
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 2 ] || fail "needs --nodes 2 --luns 2"
FSG_WITNESS=2 # sg_persist through node 2's nexus: never consume node 1's unit attentions

declare -F ecx_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/ecx_lib.sh" ||
	fail "ecx_lib.sh not found: run through ecx_test.go or with --agent <repo>/bin/fence_scsi_go"

D1=$(devs 1) D2=$(devs 2)
say "node 1 devices $D1; node 2 devices $D2; P=${P}s M=$M T=${T}s W=${W}s"

# owned K L: LUN L is held by node K's key alone, reserved WE-AR.
owned() {
	show_pr "$2"
	assert_keys "$2" "$1"
	assert_has "$(restype "$2")" "LUN $2 reserved WE-AR" "all registrants"
}
ecx_until_takeover LUN LUNs owned

assert_node1_refused() { assert_write_fails 1 "$1"; }
ecx_after_takeover LUN LUNs assert_node1_refused

held() { assert_keys "$1" 2; assert_write_ok 2 "$1"; }
released() { show_pr "$1"; assert_keys "$1"; assert_holder "$1" none; }
ecx_node2_releases LUNs held released

# nvme_ecx: the "inconvenient case" of the EXPRESSCLUSTER write-up (a delayed server resumes) on
# the real NVMe-oF target (run.sh --target nvmet: the kernel's nvmet over TCP), as
# ecx_inconvenient_case.sh does it on LIO. Node 1 acquires every namespace, defends them and
# writes sequence-numbered blocks; both of its processes are frozen (SIGSTOP of their process
# groups) as a delayed VM would be; node 2 acquires (exit 0, after its wait window) and writes
# its own blocks over the same LBAs; node 1 is resumed (SIGCONT). Node 1's writes must be
# refused by the target (reservation conflict: EBADE), its defender must exit 1 (LOST) within
# about one period, and every block written after the takeover must be node 2's (read back
# through node 2). Then node 2 `defend --once` -> 0 and `release` -> 0.
# The reservation is read with nvme-cli (resv-report) through node 2's controller, never with
# the agent. Run with:
#   tests/vm/run.sh --target nvmet --nodes 2 --luns 2 --agent $PWD/bin/fence_scsi_go tests/e2e/nvme_ecx.sh
[ "$FSG_TARGET" = nvmet ] || fail "run with tests/vm/run.sh --target nvmet"
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 2 ] || fail "needs --nodes 2 --luns 2"
FSG_WITNESS=2

declare -F ecx_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/ecx_lib.sh" ||
	fail "ecx_lib.sh not found: run through nvme_test.go or with --agent <repo>/bin/fence_scsi_go"

# On a failure, the kernel's NVMe messages (controller resets, keep-alive expiries ...).
trap 'rc=$?; [ "$rc" = 0 ] || { echo "   -- kernel log, nvme lines --"; dmesg | grep nvme | tail -n 25 | sed "s/^/   | /"; }' EXIT

# show_ns L: keys, reservation type and holders of namespace L (nvme-cli, witness node 2).
show_ns() {
	local k h
	k=$(nvme_keys "$1" | tr '\n' ' ')
	h=$(nvme_holder "$1" | tr '\n' ' ')
	say "namespace $1: keys: ${k:-(none)} | rtype $(nvme_rtype "$1") | holders: ${h:-(none)}"
}

D1=$(devs 1) D2=$(devs 2)
say "node 1 devices $D1; node 2 devices $D2; P=${P}s M=$M T=${T}s W=${W}s"
for l in 1 2; do
	assert_nvme_keys "$l"
	assert_nvme_holder "$l" none
done

# owned K L: namespace L is held by node K's host alone (its key under its host ID), WE-AR.
owned() {
	show_ns "$2"
	assert_nvme_keys "$2" "$1"
	[ "$(nvme_rtype "$2")" = 5 ] || fail "namespace $2 reservation type $(nvme_rtype "$2"), want 5 (WE-AR)"
	pass "namespace $2 reserved Write Exclusive - All Registrants (RTYPE 5)"
	assert_has "$(nvme_regs "$2")" "namespace $2: node $1's key belongs to node $1's host ID" "0x$(key "$1") $(nvme_hostid "$1")"
}
ecx_until_takeover namespace namespaces owned

assert_node1_refused() {
	assert_has "$(write_check 1 "$1")" "node 1's direct write to namespace $1 refused: reservation conflict" conflict
}
ecx_after_takeover namespace namespaces assert_node1_refused
say "kernel: $(dmesg | grep 'reservation conflict' | tail -1 | sed 's/^\[[^]]*\] //')"

held() { assert_nvme_keys "$1" 2; assert_has "$(write_check 2 "$1")" "node 2 writes namespace $1" ok; }
released() { show_ns "$1"; assert_nvme_keys "$1"; assert_nvme_holder "$1" none; }
ecx_node2_releases namespaces held released

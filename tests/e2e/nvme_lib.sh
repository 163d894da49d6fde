# nvme_lib.sh: what the NVMe fencing scenarios share (prepended by nvme_test.go to nvme_fence.sh
# and nvme_mixed.sh, after parity_lib.sh). Reads go through nvme-cli (lib.sh's nvme_* helpers),
# never through the agent.
#
#   show_ns L                  print namespace L's keys, reservation type and holder
#   assert_wero L              namespace L's reservation is Write Exclusive - Registrants Only
#   status_of RC ASKER NODE    `status -n nodeNODE` run by ASKER on its own devices (devs):
#                              exit RC, "Status: ON" for 0, "Status: OFF" otherwise
#   nvme_fail_dmesg [RC]       on a failing exit ($? on entry, or RC), the kernel's last nvme
#                              and reservation lines (for an EXIT trap)

nvme_lib_loaded() { :; }

show_ns() {
	local k h
	k=$(nvme_keys "$1" | tr '\n' ' ')
	h=$(nvme_holder "$1" | tr '\n' ' ')
	say "namespace $1: keys: ${k:-(none)} | rtype $(nvme_rtype "$1") | holder: ${h:-(none)}"
}

assert_wero() {
	local t
	t=$(nvme_rtype "$1")
	[ "$t" = 3 ] || fail "namespace $1 reservation type $t, want 3 (Write Exclusive - Registrants Only)"
	pass "namespace $1 reservation is Write Exclusive - Registrants Only (RTYPE 3)"
}

status_of() {
	local want=$1 asker=$2 k=$3 text=ON
	[ "$want" = 0 ] || text=OFF
	expect_agent "$want" "$asker" -o status -n "node$k" -k "$(key "$k")" -d "$(devs "$asker")"
	assert_has "$AGENT_OUT" "node $k as node $asker sees it: Status: $text (exit $want)" "Status: $text"
}

nvme_fail_dmesg() {
	local rc=${1:-$?}
	[ "$rc" = 0 ] && return 0
	echo "   -- kernel log, nvme and reservation lines --"
	dmesg | grep -E 'nvme|reservation' | tail -n 25 | sed 's/^/   | /'
	return "$rc"
}

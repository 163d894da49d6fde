# fence_no_pr: LUN 2 is exported with PR emulation off (LIO attrib emulate_pr=0; run
# with --luns 3 --nopr 2). `on` over all three LUNs must fail clearly (exit 1, naming the
# device), and must not disturb the other LUNs' existing registrations and reservation.
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 3 ] || fail "needs --nodes 2 --luns 3 --nopr 2"
FSG_WITNESS=2
[ "$(cat /sys/kernel/config/target/core/rd_mcp_0/lun2/attrib/emulate_pr)" = 0 ] || fail "LUN 2 has PR emulation on"

step "What LUN 2 answers to PR IN (emulate_pr=0)"
d=$(dev 2 2)
sg_turs "$d" >/dev/null 2>&1 || true
if sg_persist -n -i -k -d "$d" >/tmp/prin.out 2>&1; then fail "PR IN succeeded on LUN 2"; fi
say "sg_persist READ KEYS on LUN 2: $(tr '\n' ' ' </tmp/prin.out)"

step "Node 2 unfences on LUNs 1 and 3 (PR-capable)"
expect_agent 0 2 -o on -n node2 -k "$(key 2)" -d "$(dev 2 1),$(dev 2 3)"
for l in 1 3; do assert_keys "$l" 2; assert_holder "$l" 2; done

step "Node 1 unfences on LUNs 1, 2 and 3: must fail with exit 1 and name LUN 2's device"
d1=$(dev 1 2)
expect_agent 1 1 -o on -n node1 -k "$(key 1)" -d "$(devs 1)"
assert_has "$AGENT_OUT$AGENT_ERR" "failure reported" "$d1" "Failed to verify"
case "$AGENT_OUT$AGENT_ERR" in *"$d1"*) pass "error names $d1" ;; *) say "NOTE: the error does not name $d1" ;; esac
for l in 1 3; do
	show_pr "$l"
	keys "$l" | grep -qx "0x$(key 2 | sed 's/^0*//')" || fail "LUN $l lost node 2's registration"
	assert_holder "$l" 2
	assert_write_ok 2 "$l"
done
if keys 1 | grep -qx "0x$(key 1 | sed 's/^0*//')"; then
	say "NOTE: node 1 was registered on the PR-capable LUNs before the failure (fence_scsi 4.12.1 does that)"
	# fence_scsi_go checks every device before changing any.
	[ "${AGENT##*/}" = fence_scsi_go ] && fail "fence_scsi_go registered node 1 on other LUNs before failing"
fi
true

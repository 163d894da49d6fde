# A real pacemaker-fenced drives fence_scsi_go on an NVMe namespace (run.sh --target nvmet).
#
# Run by TestNVMePacemakerFenced with pacemaker_lib.sh and nvme_lib.sh prepended; by hand:
#
#   cat tests/e2e/pacemaker_lib.sh tests/e2e/nvme_lib.sh tests/e2e/nvme_pacemaker_fenced.sh >/tmp/npf.sh
#   tests/vm/run.sh --target nvmet --nodes 2 --luns 1 --agent /usr/sbin/fence_scsi_go /tmp/npf.sh
#
# Needs on the host what pacemaker_fenced.sh needs (Debian's pacemaker, the agent installed as
# /usr/sbin/fence_scsi_go). pacemaker-fenced runs stand-alone (-s; the local node is
# "localhost"), first as node 1, then as node 2 (one at a time: both would claim the same IPC
# name), each in its node's mount namespace (its /run, so its own state files) and with
# devices= naming that node's own namespace device, so that the agent's NVMe commands go
# through that node's controller (reservations belong to the host behind the controller). Keys
# come from key_value=id (the node's position in the nodelist, as in fence_scsi) through a
# corosync-cmapctl stub per node (cluster "fsgpcmk"; node 1's stub lists localhost, node2;
# node 2's lists node1, localhost), so both fencers derive the same key for the same node.
#
# Checked (nvme-cli resv-report through the other node's controller, never the agent): the
# fencer as node 1 unfences it (stonith_admin --unfence localhost): node 1's key, the one in its
# cluster.key, is registered under node 1's host ID and holds a WE-RO reservation; the fencer as
# node 2 unfences node 2, then fences node 1 (stonith_admin --fence node1): node 1's key is
# gone, node 2 holds the reservation, node 1's writes fail with a reservation conflict and node
# 2's pass; --query of node 2's device passes.
declare -F fenced_start >/dev/null && declare -F nvme_lib_loaded >/dev/null ||
	fail "pacemaker_lib.sh and nvme_lib.sh not prepended (see the top of this script)"
[ "$FSG_TARGET" = nvmet ] || fail "run with tests/vm/run.sh --target nvmet"
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2"
GO=/usr/sbin/fence_scsi_go
command -v stonith_admin >/dev/null && [ -x /usr/lib/pacemaker/pacemaker-fenced ] ||
	fail "pacemaker / pacemaker-cli-utils are not installed on the host (apt-get install pacemaker pacemaker-cli-utils)"
[ -x "$GO" ] || fail "$GO is not installed on the host (make install)"
if [ "$AGENT" != "$GO" ] && ! cmp -s "$AGENT" "$GO"; then
	say "WARNING: \$AGENT ($AGENT) differs from $GO, which pacemaker-fenced runs"
fi

W1=/tmp/fsg-pcmk-node1 W2=/tmp/fsg-pcmk-node2
N1=/tmp/fsg-nodes/node1 N2=/tmp/fsg-nodes/node2
mkdir -p "$W1" "$W2" "$N1" "$N2"
cmap_stub "$W1/corosync-cmapctl" fsgpcmk localhost=1 node2=2
cmap_stub "$W2/corosync-cmapctl" fsgpcmk node1=1 localhost=2
CUR="" # the fencer running now ($W1 or $W2)
on_exit() {
	local rc=$?
	if [ -n "$CUR" ]; then
		[ "$rc" = 0 ] || fenced_log_tail "$CUR"
		fenced_stop "$CUR"
	fi
	nvme_fail_dmesg "$rc"
}
trap on_exit EXIT

# register W K: device nvme1 on node K's namespace devices, with node K's cmap stub.
register() {
	expect_sa 0 --register nvme1 --agent fence_scsi_go -o "devices=$(devs "$2")" \
		-o "corosync_cmap_path=$1/corosync-cmapctl" -o "pcmk_host_list=$3"
}
# fencer_unfence K W HOSTS STATE: start the fencer of node K (work directory W), register
# nvme1 with pcmk_host_list HOSTS, unfence localhost; sets KEY to node K's key from the state
# file STATE (cluster.key in node K's /run).
fencer_unfence() {
	fenced_start "$1" "$2"
	CUR=$2
	register "$2" "$1" "$3"
	expect_sa 0 --unfence localhost --timeout 120
	[ -s "$4" ] || fail "no state file cluster.key in node $1's /run"
	KEY=$(hexkey "$4")
}
# fencer_stop W K: deregister nvme1 and stop node K's fencer (work directory W).
fencer_stop() {
	expect_sa 0 --query nvme1
	expect_sa 0 --deregister nvme1
	fenced_stop "$1"
	CUR=""
	pass "fencer of node $2 stopped"
}
# assert_ns_state KEYS HOLDER WITNESS: every namespace has exactly KEYS (0x..., sorted, space
# separated) and HOLDER holds a WE-RO reservation, read through node WITNESS's controller.
assert_ns_state() {
	local l got h
	for ((l = 1; l <= FSG_LUNS; l++)); do
		FSG_WITNESS=$3 show_ns "$l"
		got=$(FSG_WITNESS=$3 nvme_keys "$l" | tr '\n' ' ')
		[ "${got% }" = "$1" ] || fail "namespace $l keys are [${got% }], want [$1]"
		h=$(FSG_WITNESS=$3 nvme_holder "$l")
		[ "$h" = "$2" ] || fail "namespace $l reservation holder is '${h:-none}', want $2"
		FSG_WITNESS=$3 assert_wero "$l"
		pass "namespace $l: keys [$1], reserved (WE-RO) by $2"
	done
}

step "Setup: $FSG_LUNS namespace(s) over NVMe/TCP; node 1 $(devs 1), node 2 $(devs 2)"
for ((l = 1; l <= FSG_LUNS; l++)); do assert_nvme_keys "$l"; done

step "Fencer as node 1: register nvme1 on node 1's namespace(s), unfence localhost"
fencer_unfence 1 "$W1" "localhost node2" "$N1/cluster.key"
K1=$KEY
pass "node 1's cluster.key: $(cat "$N1/cluster.key"); cluster.dev: $(tr '\n' ' ' <"$N1/cluster.dev")"
assert_ns_state "$K1" "$K1" 2
for ((l = 1; l <= FSG_LUNS; l++)); do
	assert_has "$(FSG_WITNESS=2 nvme_regs "$l")" "namespace $l: node 1's key under node 1's host ID" "$K1 $(nvme_hostid 1)"
	assert_write_ok 1 "$l"
done
fencer_stop "$W1" 1

step "Fencer as node 2: register nvme1 on node 2's namespace(s), unfence localhost"
fencer_unfence 2 "$W2" "node1 localhost" "$N2/cluster.key"
K2=$KEY
[ "$K2" != "$K1" ] || fail "node 2 got node 1's key $K1"
assert_ns_state "$(printf '%s\n' "$K1" "$K2" | sort | tr '\n' ' ' | sed 's/ $//')" "$K1" 1

step "Fencer as node 2 fences node 1: stonith_admin --fence node1"
expect_sa 0 --fence node1 --timeout 120
assert_ns_state "$K2" "$K2" 2
for ((l = 1; l <= FSG_LUNS; l++)); do
	r=$(write_check 1 "$l")
	say "node 1's write to namespace $l: $r"
	assert_has "$r" "node 1's write to namespace $l refused: reservation conflict" conflict
	assert_write_ok 2 "$l"
done
say "kernel: $(dmesg | grep 'reservation conflict' | tail -1 | sed 's/^\[[^]]*\] //')"
fencer_stop "$W2" 2
say "scenario time: ${SECONDS}s since the scenario driver started"

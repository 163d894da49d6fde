# A real pacemaker-fenced drives fence_scsi_go on real LIO LUNs.
#
# Run by TestPacemakerFenced with pacemaker_lib.sh prepended; by hand:
#
#   cat tests/e2e/pacemaker_lib.sh tests/e2e/pacemaker_fenced.sh >/tmp/pacemaker_fenced.sh
#   tests/vm/run.sh --nodes 2 --luns 3 --agent /usr/sbin/fence_scsi_go /tmp/pacemaker_fenced.sh
#
# (any --luns works; each LUN adds about 40 s of checks in the TCG guest)
#
# Needs on the host (the guest chroots into the host root, read-only): Debian's pacemaker and
# pacemaker-cli-utils, and the agent installed as /usr/sbin/fence_scsi_go (Pacemaker runs agents
# only from /usr/sbin): `make install` or `make pacemaker` does that.
#
# pacemaker-fenced runs stand-alone (-s: no corosync, no CIB; the local node is "localhost") as
# node 1: in node 1's mount namespace (on_node 1), so the agents it runs write their state files
# to /tmp/fsg-nodes/node1/cluster.{key,dev}, and on node 1's iSCSI sessions. Keys come from
# key_value=id through a corosync-cmapctl stub (cluster "fsgpcmk": localhost, node2), given to
# the agent with corosync_cmap_path. Node 2 unfences itself by running the agent directly, with
# the same stub, so both sides derive the same key for "node2".
#
# Checked: --query fails before unfencing and passes after; --unfence localhost registers and
# reserves on every LUN and writes the state files; --reboot node2 reaches the agent as "off",
# removes node 2's key and node 2's writes fail; --fence localhost is refused and changes
# nothing; an agent SIGKILLed at --timeout (fenced kills the process group) leaves every LUN
# consistent, and a second --reboot completes the job.
declare -F fenced_start >/dev/null || fail "pacemaker_lib.sh not prepended (see the top of this script)"
FSG_WITNESS=1 # read PR state through node 1's nexus (it stays registered throughout)
GO=/usr/sbin/fence_scsi_go
W=/tmp/fsg-pcmk
mkdir -p "$W"

command -v stonith_admin >/dev/null && [ -x /usr/lib/pacemaker/pacemaker-fenced ] ||
	fail "pacemaker / pacemaker-cli-utils are not installed on the host (apt-get install pacemaker pacemaker-cli-utils)"
[ -x "$GO" ] || fail "$GO is not installed on the host (make install)"
if [ "$AGENT" != "$GO" ] && ! cmp -s "$AGENT" "$GO"; then
	say "WARNING: \$AGENT ($AGENT) differs from $GO, which pacemaker-fenced runs"
fi
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2"

# The cmap stub: fence_scsi_go asks 'corosync-cmapctl totem.cluster_name' and '... nodelist'.
CMAP=$W/corosync-cmapctl
cmap_stub "$CMAP" fsgpcmk localhost=1 node2=2
N1=/tmp/fsg-nodes/node1
N2=/tmp/fsg-nodes/node2
mkdir -p "$N1" "$N2"
LOG=$W/fenced.log

# ---- helpers (sa, expect_sa, hexkey: pacemaker_lib.sh) ----
# lun_keys L: sorted registered keys of LUN L on one line.
lun_keys() { keys "$1" | sort | tr '\n' ' ' | sed 's/ $//'; }
assert_lun() { # assert_lun L "KEYS (sorted, space separated)" HOLDER
	local got h
	got=$(lun_keys "$1")
	[ "$got" = "$2" ] || fail "LUN $1 keys are [$got], want [$2]"
	h=$(holder "$1")
	[ "$h" = "$3" ] || fail "LUN $1 reservation holder is '${h:-none}', want $3"
	[ "$(restype "$1")" = "Write Exclusive, registrants only" ] || fail "LUN $1 reservation type is '$(restype "$1")'"
	pass "LUN $1: keys [$got], reserved (WE-RO) by $h"
}
sorted() { printf '%s\n' "$@" | sort | tr '\n' ' ' | sed 's/ $//'; }
on_exit() {
	local rc=$?
	[ "$rc" = 0 ] || fenced_log_tail "$W"
	fenced_stop "$W"
}
trap on_exit EXIT

step "Start pacemaker-fenced stand-alone (-s) as node 1 (private /run = $N1)"
fenced_start 1 "$W"

step "Register device scsi1 (agent fence_scsi_go) on node 1's paths to $FSG_LUNS LUN(s)"
D1=$(devs 1)
D2=$(devs 2)
say "node 1: $D1; node 2: $D2"
expect_sa 0 --register scsi1 --agent fence_scsi_go -o "devices=$D1" -o "corosync_cmap_path=$CMAP" \
	-o "pcmk_host_list=localhost node2"
expect_sa 0 -L
assert_has "$SA_OUT" "stonith_admin -L lists scsi1" "scsi1"

step "Query (monitor) before unfencing: fails (no /run/cluster.key yet)"
sa --query scsi1
[ "$SA_RC" != 0 ] || fail "monitor passed before this node was unfenced"
pass "--query failed (exit $SA_RC) before unfencing"
for ((l = 1; l <= FSG_LUNS; l++)); do
	[ -z "$(lun_keys "$l")" ] || fail "LUN $l already has keys: $(lun_keys "$l")"
done
pass "no keys on any LUN yet"

step "Unfence the local node: stonith_admin --unfence localhost"
expect_sa 0 --unfence localhost --timeout 120
[ -s "$N1/cluster.key" ] || fail "no state file cluster.key in node 1's /run"
[ -s "$N1/cluster.dev" ] || fail "no state file cluster.dev in node 1's /run"
K1=$(hexkey "$N1/cluster.key")
pass "state files written: cluster.key = $(cat "$N1/cluster.key"), cluster.dev = $(tr '\n' ' ' <"$N1/cluster.dev")"
for d in ${D1//,/ }; do
	grep -qx "$d" "$N1/cluster.dev" || fail "cluster.dev does not list $d"
done
pass "cluster.dev lists every device of node 1"
for ((l = 1; l <= FSG_LUNS; l++)); do assert_lun "$l" "$K1" "$K1"; done
for ((l = 1; l <= FSG_LUNS; l++)); do assert_write_ok 1 "$l"; done

step "Query (monitor) after unfencing: passes"
expect_sa 0 --query scsi1

step "Node 2 unfences itself with fence_scsi_go directly (same key derivation)"
expect_agent 0 2 -o on -n node2 --corosync-cmap-path="$CMAP" -d "$D2"
[ -s "$N2/cluster.key" ] || fail "node 2 wrote no cluster.key"
K2=$(hexkey "$N2/cluster.key")
[ "$K2" != "$K1" ] || fail "node 2 got the same key as node 1 ($K1)"
for ((l = 1; l <= FSG_LUNS; l++)); do assert_lun "$l" "$(sorted "$K1" "$K2")" "$K1"; done
for ((l = 1; l <= FSG_LUNS; l++)); do assert_write_ok 2 "$l"; done

step "Fence node 2: stonith_admin --reboot node2 (fence_scsi_go has no reboot: arrives as off)"
: >"$W/mark"
expect_sa 0 --reboot node2 --timeout 120
grep -a "Remapping 'reboot' action targeting node2 using scsi1 to 'off'" "$LOG" >/dev/null ||
	fail "the fencer log does not show reboot remapped to off for scsi1"
pass "fencer: reboot of node2 remapped to 'off' for scsi1 (fence_scsi_go declares no reboot)"
grep -a "'off'.*scsi1\|scsi1.*'off'\|Operation 'off'.*node2" "$LOG" | tail -n 3 | sed 's/^/     log: /' || true
for ((l = 1; l <= FSG_LUNS; l++)); do
	show_pr "$l"
	assert_lun "$l" "$K1" "$K1"
done
for ((l = 1; l <= FSG_LUNS; l++)); do
	assert_write_fails 2 "$l"
	assert_write_ok 1 "$l"
done
# Status of node 2 as node 1 sees it (what pcmk_host_check=status would ask): OFF, exit 2.
expect_agent 2 1 -o status -n node2 --corosync-cmap-path="$CMAP" -d "$D1"

step "Fencing yourself is refused: stonith_admin --fence localhost"
sa --fence localhost --timeout 60
[ "$SA_RC" != 0 ] || fail "the local node fenced itself"
pass "--fence localhost failed (exit $SA_RC)"
grep -a "keys cannot be same" "$LOG" >/dev/null || fail "the fencer log lacks the agent's 'keys cannot be same'"
pass "agent refused: $(grep -a -o 'keys cannot be same[^"]*' "$LOG" | head -1)"
for ((l = 1; l <= FSG_LUNS; l++)); do assert_lun "$l" "$K1" "$K1"; done
for ((l = 1; l <= FSG_LUNS; l++)); do assert_write_ok 1 "$l"; done
expect_sa 0 --query scsi1

step "An agent killed at --timeout leaves every LUN consistent"
# The fencer SIGKILLs the agent's process group when the timeout expires (no SIGTERM first).
# Each round: node 2 is unfenced again, then --reboot node2 with a short timeout. Whatever the
# moment of the kill, every LUN must have node 1's key registered and holding the
# reservation, node 2's key either still there (its writes work) or gone (its writes fail), no
# agent process may survive, and a later --reboot with enough time must finish the job.
# The agent works on all devices at once and finishes an off of 8 LUNs in well under a second,
# so a plain short timeout rarely hits it. Two rounds make the kill certain at two points:
# delay=30 (the agent sleeps before touching a LUN) and power_wait=30 (it sleeps after the
# PREEMPT AND ABORTs, before verifying them); a first round with --timeout 1 kills it wherever
# it happens to be.
killed=0 partial=0
check_after_kill() {
	local l k h gone=0 left
	sleep 1
	left=$(ps -eo pid,args | grep -a "[f]ence_scsi_go" || true)
	[ -z "$left" ] || fail "agent processes survived the timeout: $left"
	for ((l = 1; l <= FSG_LUNS; l++)); do
		k=$(lun_keys "$l")
		h=$(holder "$l")
		[ "$h" = "$K1" ] || fail "after the kill, LUN $l reservation holder is '${h:-none}', want $K1"
		case "$k" in
		"$K1") gone=$((gone + 1)); assert_write_fails 2 "$l" ;;
		"$(sorted "$K1" "$K2")") assert_write_ok 2 "$l" ;;
		*) fail "after the kill, LUN $l has keys [$k]" ;;
		esac
		assert_write_ok 1 "$l"
	done
	[ -s "$N1/cluster.key" ] && [ "$(hexkey "$N1/cluster.key")" = "$K1" ] || fail "node 1's cluster.key changed"
	pass "consistent: node 2's key removed from $gone of $FSG_LUNS LUN(s); node 1 holds every reservation; no agent left"
	GONE=$gone
}
round() { # round TIMEOUT
	say "-- round: --timeout $1"
	expect_agent 0 2 -o on -n node2 --corosync-cmap-path="$CMAP" -d "$D2"
	for ((l = 1; l <= FSG_LUNS; l++)); do assert_lun "$l" "$(sorted "$K1" "$K2")" "$K1"; done
	sa --reboot node2 --timeout "$1"
	case "$SA_RC" in
	0) say "the agent finished within $1 s" ;;
	124) killed=$((killed + 1)) ;;
	*) say "stonith_admin exit $SA_RC (not a timeout)" ;;
	esac
	check_after_kill
	if [ "$SA_RC" = 124 ] && [ "$GONE" -gt 0 ] && [ "$GONE" -lt "$FSG_LUNS" ]; then
		partial=$((partial + 1))
		say "killed in the middle: $GONE of $FSG_LUNS LUN(s) done"
	fi
}
finish_off() {
	expect_sa 0 --reboot node2 --timeout 120
	for ((l = 1; l <= FSG_LUNS; l++)); do assert_lun "$l" "$K1" "$K1"; done
}
round 1
finish_off
reregister() { # reregister [OPTION=VALUE]: scsi1 again, with one extra device parameter
	expect_sa 0 --register scsi1 --agent fence_scsi_go -o "devices=$D1" -o "corosync_cmap_path=$CMAP" \
		-o "pcmk_host_list=localhost node2" ${1:+-o "$1"}
}
say "-- device re-registered with delay=30 (the agent sleeps before acting)"
reregister delay=30
round 3
[ "$SA_RC" = 124 ] || fail "--reboot with delay=30 and --timeout 3: exit $SA_RC, want 124 (timer expired)"
[ "$GONE" = 0 ] || fail "the agent acted during its delay"
reregister
finish_off
say "-- device re-registered with power_wait=30 (the agent sleeps after acting, before verifying)"
reregister power_wait=30
round 6
[ "$SA_RC" = 124 ] || fail "--reboot with power_wait=30 and --timeout 6: exit $SA_RC, want 124 (timer expired)"
say "killed before verifying: node 2's key was already gone from $GONE of $FSG_LUNS LUN(s)"
reregister
finish_off
say "the fencer killed the agent in $killed of 3 rounds, $partial time(s) in the middle of the device loop"
expect_sa 0 --query scsi1

step "Unregister and stop the fencer"
expect_sa 0 --deregister scsi1
fenced_stop "$W"
pass "pacemaker-fenced stopped"

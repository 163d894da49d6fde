# The full cluster: corosync and pacemakerd (all Pacemaker daemons) as a one-node
# cluster on loopback inside the guest (as in ClusterLabs' "Clusters from Scratch", on one node), with a
# fence_scsi_go device created by `pcs stonith create` on real LIO LUNs. Checked: when the
# device starts, Pacemaker unfences the node by itself (the agent runs `on` with the key
# derived by key_value=hash from the real corosync: registered and reserved on every LUN, state
# files written); the fencing history records it; `stonith_admin --reboot node2` fences a node
# that had unfenced itself (its key gone, its writes fail).
#
# Run by TestPacemakerCluster with pacemaker_lib.sh prepended; by hand:
#
#   cat tests/e2e/pacemaker_lib.sh tests/e2e/pacemaker_cluster.sh >/tmp/pacemaker_cluster.sh
#   tests/vm/run.sh --nodes 2 --luns 2 --agent /usr/sbin/fence_scsi_go /tmp/pacemaker_cluster.sh
#
# The guest's root is the host's, read-only: the daemons run in node 1's mount namespace with
# tmpfs over the directories they write (/etc/corosync with our corosync.conf,
# /var/lib/corosync, /var/lib/pacemaker, /var/log/corosync, /var/log/pacemaker) and node 1's
# /run; pcs and crm tools enter that namespace (nsenter). The guest's host name becomes node1.
FSG_WITNESS=1
GO=/usr/sbin/fence_scsi_go
W=/tmp/fsg-cluster
mkdir -p "$W"
for b in corosync pacemakerd pcs crm_mon stonith_admin nsenter; do
	command -v "$b" >/dev/null || fail "$b is not installed on the host (corosync, pacemaker, pcs)"
done
[ -x "$GO" ] || fail "$GO is not installed on the host (make install)"
[ "$FSG_NODES" -ge 2 ] || fail "needs --nodes 2"
hostname node1

corosync_conf fsgcluster 1 /var/log/corosync/corosync.log >"$W/corosync.conf"

# The namespace holder: sets up the writable directories, starts corosync, then pacemakerd.
cat >"$W/cluster.sh" <<'EOF'
#!/bin/sh
set -e
W=$1
for d in /etc/corosync /var/lib/corosync /var/lib/pacemaker /var/log/corosync /var/log/pacemaker; do
	mount -t tmpfs -o mode=0755 fsgcluster "$d"
done
cp "$W/corosync.conf" /etc/corosync/corosync.conf
for d in cib pengine blackbox cores; do
	mkdir -p /var/lib/pacemaker/$d
	chown hacluster:haclient /var/lib/pacemaker/$d
	chmod 750 /var/lib/pacemaker/$d
done
chown hacluster:haclient /var/log/pacemaker
chmod 770 /var/log/pacemaker
mkdir -p /run/crm /run/lock
chown hacluster:haclient /run/crm
chmod 750 /run/crm
chmod 1777 /run/lock
echo $$ >"$W/ns.pid"
corosync -f >"$W/corosync.out" 2>&1 &
echo $! >"$W/corosync.pid"
i=0
until corosync-cfgtool -s >/dev/null 2>&1; do
	i=$((i + 1))
	[ "$i" -lt 120 ] || { echo "corosync did not start" >&2; exit 1; }
	sleep 0.5
done
PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_stderr=no pacemakerd -f >"$W/pacemakerd.out" 2>&1 &
echo $! >"$W/pacemakerd.pid"
wait
EOF
chmod 755 "$W/cluster.sh"

inns() { local p; p=$(cat "$W/ns.pid"); nsenter -m -r -w -t "$p" -- "$@"; }
stop_cluster() {
	local p
	for f in pacemakerd corosync; do
		p=$(cat "$W/$f.pid" 2>/dev/null) || continue
		kill -TERM "$p" 2>/dev/null || continue
		for _ in $(seq 1 300); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
		kill -KILL "$p" 2>/dev/null || true
	done
}
on_exit() {
	local rc=$?
	if [ "$rc" != 0 ] && [ -f "$W/ns.pid" ]; then
		echo "---- crm_mon ----"; crm_mon -1 2>&1 | head -30
		echo "---- pacemaker.log (fencer, controller; last 60) ----"
		inns sh -c 'grep -E "fence|stonith|unfenc|error|warning" /var/log/pacemaker/pacemaker.log | tail -n 60' 2>&1
		echo "---- corosync ----"; cat "$W/corosync.out" "$W/pacemakerd.out" 2>/dev/null | tail -20
	fi
	stop_cluster
}
trap on_exit EXIT

step "Start corosync and pacemakerd: a one-node cluster (node1) on loopback"
on_node 1 "$W/cluster.sh" "$W" >"$W/cluster.out" 2>&1 &
ok=0
for _ in $(seq 1 300); do
	if crm_mon -1 2>/dev/null | grep -q "Online: \[ node1 \]"; then ok=1; break; fi
	sleep 1
done
[ "$ok" = 1 ] || { cat "$W/cluster.out"; fail "the cluster did not come up within 300 s"; }
crm_mon -1 | sed 's/^/     /' | head -12
pass "node1 online"

step "pcs stonith create: a fence_scsi_go device on node 1's $FSG_LUNS LUN(s), key_value=hash"
D1=$(devs 1)
for l in $(seq 1 "$FSG_LUNS"); do [ -z "$(keys "$l")" ] || fail "LUN $l is not clean"; done
inns pcs stonith create scsi fence_scsi_go devices="$D1" key_value=hash pcmk_host_list="node1 node2" \
	pcmk_reboot_action=off op monitor interval=30s || fail "pcs stonith create"
inns pcs stonith config scsi 2>/dev/null | sed 's/^/     /' || true
inns cibadmin -Q -o resources | grep -q 'name="provides" value="unfencing"' || fail "no provides=unfencing in the CIB"
pass "resource created with provides=unfencing (added by pcs)"

step "Pacemaker unfences node1 by itself when the device starts"
ok=0
for _ in $(seq 1 240); do
	if crm_mon -1 2>/dev/null | grep -Eq "scsi.*Started node1"; then ok=1; break; fi
	sleep 1
done
crm_mon -1 | sed 's/^/     /' | head -14
[ "$ok" = 1 ] || fail "the device did not start within 240 s"
[ -s /tmp/fsg-nodes/node1/cluster.key ] || fail "no /run/cluster.key for node1: the unfencing did not run"
K1=$(printf '0x%s' "$(tr -d '[:space:]' </tmp/fsg-nodes/node1/cluster.key | sed 's/^0*//')")
say "node1's key from /run/cluster.key (key_value=hash of cluster fsgcluster): $K1"
for l in $(seq 1 "$FSG_LUNS"); do
	[ "$(keys "$l")" = "$K1" ] || fail "LUN $l keys [$(keys "$l" | tr '\n' ' ')], want [$K1]"
	[ "$(holder "$l")" = "$K1" ] || fail "LUN $l holder '$(holder "$l")', want $K1"
	pass "LUN $l: registered and reserved by node1 ($K1), $(restype "$l")"
done
[ "$(wc -l </tmp/fsg-nodes/node1/cluster.dev)" -ge "$FSG_LUNS" ] || fail "cluster.dev lists $(wc -l </tmp/fsg-nodes/node1/cluster.dev) devices"
pass "state files written: $(tr '\n' ' ' </tmp/fsg-nodes/node1/cluster.dev)"
h=$(stonith_admin --history node1 2>&1)
printf '%s\n' "$h" | sed 's/^/     history> /'
printf '%s\n' "$h" | grep -qi "unfenc.*node1.*successful\|on of node1.*successful\|turning on of node1" || fail "no successful unfencing of node1 in the fencing history"
pass "the fencing history records the unfencing of node1"

step "node2 unfences itself (the agent directly, key_value=hash through the real corosync-cmapctl)"
expect_agent 0 2 -o on -n node2 --key-value=hash -d "$(devs 2)"
K2=$(printf '0x%s' "$(tr -d '[:space:]' </tmp/fsg-nodes/node2/cluster.key | sed 's/^0*//')")
for l in $(seq 1 "$FSG_LUNS"); do assert_write_ok 2 "$l"; done

step "stonith_admin --reboot node2: arrives as off, node2's key is gone, its writes fail"
out=$(stonith_admin --reboot node2 --timeout 120 2>&1) || fail "stonith_admin --reboot node2 failed: $out"
for l in $(seq 1 "$FSG_LUNS"); do
	keys "$l" | grep -qx "$K2" && fail "LUN $l still has node2's key $K2"
	[ "$(holder "$l")" = "$K1" ] || fail "LUN $l holder '$(holder "$l")', want $K1"
	assert_write_fails 2 "$l"
	assert_write_ok 1 "$l"
done
pass "node2 fenced by the cluster's fencer"
echo "SUMMARY: one-node cluster: automatic unfencing at device start, reboot of node2 -> off"

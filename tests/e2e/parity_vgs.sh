# Parity, shared-VG device discovery with real LVM: run with --nodes 2 --luns 3.
# Node 1 makes a local VG on LUN 1 and VGs on LUNs 2 and 3 whose on-disk metadata says shared
# (lock_type "dlm", lock_args "1.0.0:CLUSTER": what `vgcreate --shared` writes with lvmlockd)
# and clustered (the CLUSTERED flag clvmd's `vgcreate -cy` wrote). lvmlockd/dlm/clvmd cannot run
# in the guest (no corosync), so the metadata is written with vgcfgbackup/vgcfgrestore. The
# agent's vgs runs with use_lvmlockd = 1 (a node of an lvmlockd cluster): it then reads the
# shared VG without a lock ("lvmlockd process is not running") and reports attr[5] 's'; with
# use_lvmlockd = 0, LVM skips shared VGs silently (shown, not used). LVM 2.03 (Debian 12) no longer reports
# clustered VGs at all ("Skipping clustered VG"), so their PVs are not discovered, by fence_scsi
# either: asserted here. `on` without devices runs the real vgs with fence_scsi's arguments:
# first only the local VG exists ("Failed: No devices found"), then it finds exactly LUN 2
# (READ KEYS through node 2).
declare -F parity_lib_loaded >/dev/null || . "$(dirname "$AGENT")/../tests/e2e/parity_lib.sh" ||
	fail "parity_lib.sh not found: run through parity_test.go or with --agent <repo>/bin/fence_scsi_go"
[ "$FSG_NODES" -ge 2 ] && [ "$FSG_LUNS" -ge 3 ] || fail "needs --nodes 2 --luns 3"
command -v vgs >/dev/null || { say "SKIP: lvm2 not installed on the host"; parity_marker "VGS skipped: no lvm2"; return 0; }
FSG_WITNESS=2
d1=$(dev 1 1) d2=$(dev 1 2) d3=$(dev 1 3)

# The host's /etc is read-only here: a private LVM config that sees only node 1's disks (the
# other nodes' paths would show the same PVs twice), no udev, no backups.
export LVM_SYSTEM_DIR=/tmp/fsg-lvm
mkdir -p "$LVM_SYSTEM_DIR"
cat >"$LVM_SYSTEM_DIR/lvm.conf" <<CONF
devices {
	global_filter = [ "a|^$d1\$|", "a|^$d2\$|", "a|^$d3\$|", "r|.*|" ]
	obtain_device_list_from_udev = 0
	external_device_info_source = "none"
	use_devicesfile = 0
}
activation { udev_sync = 0 udev_rules = 0 }
backup { backup = 0 archive = 0 }
global { use_lvmlockd = 0 }
CONF

step "Node 1: a local VG on LUN 1 ($d1); discovery finds nothing"
pvcreate -q "$d1" "$d2" "$d3" || fail pvcreate
vgcreate -q vglocal "$d1" || fail "vgcreate vglocal"
vgs --noheadings -o vg_name,vg_attr,pv_name 2>/dev/null | sed 's/^/     vgs: /'
expect_agent 1 1 -o on -n node1 -k "$(key 1)"
assert_has "$AGENT_ERR$AGENT_OUT" "Failed: No devices found" "Failed: No devices found"
parity_marker "VGS local-only rc=$AGENT_RC"

step "Shared (lock_type dlm) VG on LUN 2, clustered VG on LUN 3"
vgcreate -q vgshared "$d2" || fail "vgcreate vgshared"
vgcreate -q vgclust "$d3" || fail "vgcreate vgclust"
vgcfgbackup -q -f /tmp/fsg-lvm/vgshared.vg vgshared >/dev/null || fail vgcfgbackup
sed -i 's/^\(\s*\)status = \["RESIZEABLE", "READ", "WRITE"\]/&\n\1lock_type = "dlm"\n\1lock_args = "1.0.0:fsg"/' /tmp/fsg-lvm/vgshared.vg
grep -q 'lock_type = "dlm"' /tmp/fsg-lvm/vgshared.vg || fail "could not edit vgshared's metadata"
vgcfgrestore -q --force -f /tmp/fsg-lvm/vgshared.vg vgshared 2>&1 | sed 's/^/     vgcfgrestore: /' || true
vgcfgbackup -q -f /tmp/fsg-lvm/vgclust.vg vgclust >/dev/null || fail vgcfgbackup
sed -i 's/^\(\s*\)status = \["RESIZEABLE", "READ", "WRITE"\]/\1status = ["RESIZEABLE", "READ", "WRITE", "CLUSTERED"]/' /tmp/fsg-lvm/vgclust.vg
grep -q CLUSTERED /tmp/fsg-lvm/vgclust.vg || fail "could not edit vgclust's metadata"
vgcfgrestore -q --force -f /tmp/fsg-lvm/vgclust.vg vgclust 2>&1 | sed 's/^/     vgcfgrestore: /' || true
# A node of a cluster using lvmlockd has use_lvmlockd = 1; its daemon cannot run here.
mkdir -p /tmp/fsg-lvm-lockd
sed 's/use_lvmlockd = 0/use_lvmlockd = 1/' "$LVM_SYSTEM_DIR/lvm.conf" >/tmp/fsg-lvm-lockd/lvm.conf
for cf in /tmp/fsg-lvm /tmp/fsg-lvm-lockd; do
	say "real vgs output with fence_scsi's arguments, $(grep -o 'use_lvmlockd = [01]' "$cf/lvm.conf"):"
	LVM_SYSTEM_DIR=$cf vgs --noheadings --separator : --sort pv_uuid --options vg_attr,pv_name \
		--config 'global { locking_type = 0 } devices { preferred_names = [ "^/dev/dm" ] }' 2>&1 | sed 's/^/       /'
done
export LVM_SYSTEM_DIR=/tmp/fsg-lvm-lockd

step "Node 1 unfences with no devices: vgs discovery finds LUN 2 (shared) only"
expect_agent 0 1 -o on -n node1 -k "$(key 1)"
on_node 1 sh -c 'echo "   node1 /run/cluster.dev: $(tr "\n" " " </run/cluster.dev)"'
got=$(on_node 1 cat /run/cluster.dev | sort | tr '\n' ' ')
want="$d2 "
[ "$got" = "$want" ] || fail "discovered [$got], want [$want]"
pass "discovered exactly [$want] (the shared VG's PV)"
assert_keys 1
assert_keys 2 1
assert_keys 3
parity_marker "VGS discovered $(printf '%s\n' "$got" | wc -w)"
expect_agent 0 1 -o status -n node1 -k "$(key 1)"

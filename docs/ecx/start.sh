#! /bin/sh
# EXPRESSCLUSTER X exec resource *start* script (exec-scsipr-acquire):
# take the shared disks with SCSI-3 PR before the disk resource mounts them.
# See docs/arbitration.md. Exit 0 = acquired; 3 = another server owns the
# disks: the owner is alive, or it won a simultaneous start (nothing was
# disturbed); 1 = failure. Any non-zero exit is an activation
# failure: set the final action to "Stop group".
#
# The settings (devices, key, timings) are in settings.sh, shared by stop.sh
# and monitor.sh.

SETTINGS=${FSG_ECX_SETTINGS:-/etc/fence_scsi_go/ecx-settings.sh}
[ -r "$SETTINGS" ] || { echo "$(date '+%F %T') cannot read $SETTINGS: install docs/ecx/settings.sh there on every server" >&2; exit 1; }
# shellcheck source=settings.sh
. "$SETTINGS"
command -v fsg >/dev/null || { echo "$(date '+%F %T') $SETTINGS has no fsg function: install this version's docs/ecx/settings.sh there" >&2; exit 1; }

echo "$(date '+%F %T') acquire ${CLP_EVENT:-START} on $(hostname -s): $DEVICES"
fsg acquire
rc=$?
case $rc in
0) echo "$(date '+%F %T') acquired: this server owns $DEVICES" ;;
3) echo "$(date '+%F %T') NOT STARTING: another server owns $DEVICES (alive, or it started first)" ;;
*) echo "$(date '+%F %T') NOT STARTING: acquire failed (exit $rc); see the messages above" ;;
esac
exit $rc

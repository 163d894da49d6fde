#! /bin/sh
# EXPRESSCLUSTER X exec resource *start* script (exec-scsipr-acquire):
# take the shared disks with SCSI-3 PR before the disk resource mounts them.
# See docs/arbitration.md. Exit 0 = acquired; 3 = another server owns the
# disks: the owner is alive, or it won a simultaneous start (nothing was
# disturbed); 1 = failure. Any non-zero exit is an activation
# failure: set the final action to "Stop group".
#
# Keep the settings below identical in start.sh, stop.sh and monitor.sh, and
# the timings identical on every server.

DEVICES=/dev/sdc                 # whole LUNs, comma separated; every path of a multipath LUN
KEY=                             # this server's own key (hex; never shared), or empty to derive it:
CLUSTER=cluster1                 #   hash of the cluster name and this server's name
TYPE=7                           # WE-AR (docs/arbitration.md "Reservation type")
PERIOD=3s                        # defender period P
MISSES=1                         # failed defender cycles tolerated M
TIMEOUT=2s                       # per-command timeout T
FENCE=/usr/sbin/fence_scsi_go

if [ -n "$KEY" ]; then
	set -- --key="$KEY"
else
	set -- --node="$(hostname -s)" --cluster-name="$CLUSTER"
fi

echo "$(date '+%F %T') acquire ${CLP_EVENT:-START} on $(hostname -s): $DEVICES"
"$FENCE" acquire --devices="$DEVICES" "$@" --type="$TYPE" \
	--period="$PERIOD" --misses="$MISSES" --command-timeout="$TIMEOUT"
rc=$?
case $rc in
0) echo "$(date '+%F %T') acquired: this server owns $DEVICES" ;;
3) echo "$(date '+%F %T') NOT STARTING: another server owns $DEVICES (alive, or it started first)" ;;
*) echo "$(date '+%F %T') NOT STARTING: acquire failed (exit $rc); see the messages above" ;;
esac
exit $rc

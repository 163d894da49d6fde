#! /bin/sh
# EXPRESSCLUSTER X exec resource *stop* script (exec-scsipr-acquire): release
# the shared disks after the disk resource has unmounted them, so the next
# server's acquire takes them at once instead of waiting. It touches only
# devices where this server's key is still registered. See docs/arbitration.md.
#
# Keep the settings below identical in start.sh, stop.sh and monitor.sh.

DEVICES=/dev/sdc
KEY=
CLUSTER=cluster1
TYPE=7
PERIOD=3s
MISSES=1
TIMEOUT=2s
FENCE=/usr/sbin/fence_scsi_go

if [ -n "$KEY" ]; then
	set -- --key="$KEY"
else
	set -- --node="$(hostname -s)" --cluster-name="$CLUSTER"
fi

"$FENCE" release --devices="$DEVICES" "$@" --type="$TYPE" \
	--period="$PERIOD" --misses="$MISSES" --command-timeout="$TIMEOUT"

# Settings of the EXPRESSCLUSTER X example scripts (start.sh, stop.sh, monitor.sh), which
# source this file, and the function they run fence_scsi_go with (fsg, at the end). Install
# it as /etc/fence_scsi_go/ecx-settings.sh on every server (the scripts' FSG_ECX_SETTINGS
# names another place); keep DEVICES' LUNs, TYPE and the timings identical on every server.
# See docs/arbitration.md.
# shellcheck shell=sh disable=SC2034 # the variables are used by the scripts that source it

DEVICES=/dev/sdc                 # whole LUNs, comma separated; every path of a multipath LUN
KEY=                             # this server's own key (hex; never shared), or empty to derive it:
CLUSTER=cluster1                 #   hash of the cluster name and this server's name
TYPE=7                           # WE-AR (docs/arbitration.md "Reservation type")
PERIOD=3s                        # defender period P
MISSES=1                         # failed defender cycles tolerated M
TIMEOUT=2s                       # per-command timeout T
ONCE=0                           # 1: monitor.sh runs one defender cycle per run (a synchronous
                                 #   monitor whose interval ECX counts from the end of the previous
                                 #   run); acquire then waits the longer window (--sync-monitor)
FENCE=/usr/sbin/fence_scsi_go

# ---- Used by the scripts: nothing to edit below. ----

# fsg [exec] ACTION [FLAG...]: run (or exec, replacing the script) $FENCE ACTION on DEVICES
# with this server's key (KEY, or derived from CLUSTER and the short host name), the FLAGs,
# TYPE and the timings above.
fsg() {
	fsg_exec=
	if [ "$1" = exec ]; then
		fsg_exec=exec
		shift
	fi
	fsg_action=$1
	shift
	if [ -n "$KEY" ]; then
		set -- --key="$KEY" "$@"
	else
		set -- --node="$(hostname -s)" --cluster-name="$CLUSTER" "$@"
	fi
	if [ "$ONCE" = 1 ]; then
		set -- --sync-monitor "$@"
	fi
	$fsg_exec "$FENCE" "$fsg_action" --devices="$DEVICES" "$@" --type="$TYPE" \
		--period="$PERIOD" --misses="$MISSES" --command-timeout="$TIMEOUT"
}

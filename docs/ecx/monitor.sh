#! /bin/sh
# EXPRESSCLUSTER X custom monitor script (genw.sh of genw-scsipr-defend):
# hold the shared disks for as long as the group is active. See
# docs/arbitration.md.
#
# Asynchronous monitor (default, ONCE=0 in settings.sh): `defend` runs until it has positive
# evidence that another server took the disks, or cannot reach them for
# MISSES+1 periods in a row; then it exits 1 and ECX runs the final action
# ("Stop group"). ECX stopping the monitor (SIGTERM) exits 0.
# Synchronous monitor (ONCE=1): each run is one defender cycle, exit 0 held,
# 1 lost or failed; set the monitor interval to PERIOD and the retry count to
# MISSES. With ONCE=1 in settings.sh every acquire uses the longer wait of a
# synchronous monitor (--sync-monitor, docs/arbitration.md "Synchronous
# monitor").
#
# The settings (devices, key, timings) are in settings.sh, shared by start.sh,
# stop.sh and monitor.sh.

SETTINGS=${FSG_ECX_SETTINGS:-/etc/fence_scsi_go/ecx-settings.sh}
[ -r "$SETTINGS" ] || { echo "$(date '+%F %T') cannot read $SETTINGS: install docs/ecx/settings.sh there on every server" >&2; exit 1; }
# shellcheck source=settings.sh
. "$SETTINGS"
command -v fsg >/dev/null || { echo "$(date '+%F %T') $SETTINGS has no fsg function: install this version's docs/ecx/settings.sh there" >&2; exit 1; }

if [ "$ONCE" = 1 ]; then
	set -- --once --quiet
fi

# exec: ECX's signals reach fence_scsi_go itself.
fsg exec defend "$@"

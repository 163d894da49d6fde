#! /bin/sh
# EXPRESSCLUSTER X exec resource *stop* script (exec-scsipr-acquire): release
# the shared disks after the disk resource has unmounted them, so the next
# server's acquire takes them at once instead of waiting. It touches only
# devices where this server's key is still registered. See docs/arbitration.md.
#
# The settings (devices, key, timings) are in settings.sh, shared by start.sh,
# stop.sh and monitor.sh.

SETTINGS=${FSG_ECX_SETTINGS:-/etc/fence_scsi_go/ecx-settings.sh}
[ -r "$SETTINGS" ] || { echo "$(date '+%F %T') cannot read $SETTINGS: install docs/ecx/settings.sh there on every server" >&2; exit 1; }
# shellcheck source=settings.sh
. "$SETTINGS"
command -v fsg >/dev/null || { echo "$(date '+%F %T') $SETTINGS has no fsg function: install this version's docs/ecx/settings.sh there" >&2; exit 1; }

fsg release

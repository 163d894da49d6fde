# Settings of the EXPRESSCLUSTER X example scripts (start.sh, stop.sh, monitor.sh), which
# source this file. Install it as /etc/fence_scsi_go/ecx-settings.sh on every server (the
# scripts' FSG_ECX_SETTINGS names another place); keep DEVICES' LUNs, TYPE and the timings
# identical on every server. See docs/arbitration.md.
# shellcheck shell=sh disable=SC2034 # the variables are used by the scripts that source it

DEVICES=/dev/sdc                 # whole LUNs, comma separated; every path of a multipath LUN
KEY=                             # this server's own key (hex; never shared), or empty to derive it:
CLUSTER=cluster1                 #   hash of the cluster name and this server's name
TYPE=7                           # WE-AR (docs/arbitration.md "Reservation type")
PERIOD=3s                        # defender period P
MISSES=1                         # failed defender cycles tolerated M
TIMEOUT=2s                       # per-command timeout T
FENCE=/usr/sbin/fence_scsi_go


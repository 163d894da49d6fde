# Run in the test guest while fence-scsi-go-dropin is installed on the host (the guest sees
# the host's root): the name fence_scsi must now be fence_scsi_go. tests/e2e/fence_demo.sh follows
# and fences for real through that name.
[ "$AGENT" = /usr/sbin/fence_scsi ] || fail "AGENT is $AGENT, want /usr/sbin/fence_scsi"
real=$(readlink -f "$AGENT")
[ "$real" = /usr/sbin/fence_scsi_go ] || fail "$AGENT resolves to $real, not /usr/sbin/fence_scsi_go"
"$AGENT" -o metadata | grep -q '<resource-agent name="fence_scsi" ' ||
	fail "$AGENT -o metadata does not name the agent fence_scsi"
[ -e /usr/sbin/fence_scsi.distrib ] || fail "fence-agents' script is not diverted to /usr/sbin/fence_scsi.distrib"
say "$AGENT is $real (fence-agents' script diverted to /usr/sbin/fence_scsi.distrib); version $("$AGENT" -V)"

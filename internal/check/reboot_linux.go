package check

import "golang.org/x/sys/unix"

// RebootNow restarts the machine immediately, without syncing, as
// fence_scsi_check_hardreboot does (libc reboot(LINUX_REBOOT_CMD_RESTART)):
// a node that lost its registration must not keep running its services.
func RebootNow() error { return unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART) }

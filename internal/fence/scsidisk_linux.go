//go:build linux

package fence

import (
	"io/fs"
	"syscall"

	"golang.org/x/sys/unix"
)

// scsiDisk tells from a stat of a device node whether it is a SCSI disk (sd)
// by its major number, which the kernel assigns statically to sd: 8, 65-71
// and 128-135 (Documentation/admin-guide/devices.txt). Such a node is not a
// device-mapper node, so multipathPaths need not resolve its path to find
// out. Anything else (dm, NVMe, a stat without the device number) says
// false, and the path is resolved.
func scsiDisk(fi fs.FileInfo) bool {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || fi.Mode()&fs.ModeCharDevice != 0 {
		return false
	}
	switch m := unix.Major(uint64(st.Rdev)); {
	case m == 8, m >= 65 && m <= 71, m >= 128 && m <= 135:
		return true
	}
	return false
}

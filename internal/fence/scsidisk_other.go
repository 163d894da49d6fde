//go:build !linux

package fence

import "io/fs"

// scsiDisk is false where the device numbers are not Linux's: the path is
// always resolved.
func scsiDisk(fs.FileInfo) bool { return false }

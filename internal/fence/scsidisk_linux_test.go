//go:build linux

package fence

import (
	"io/fs"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

type devInfo struct {
	mode fs.FileMode
	st   *syscall.Stat_t
}

func (d devInfo) Name() string       { return "x" }
func (d devInfo) Size() int64        { return 0 }
func (d devInfo) Mode() fs.FileMode  { return d.mode }
func (d devInfo) ModTime() time.Time { return time.Time{} }
func (d devInfo) IsDir() bool        { return false }
func (d devInfo) Sys() any {
	if d.st == nil {
		return nil
	}
	return d.st
}

// TestSCSIDisk: sd's static majors are SCSI disks; dm's and NVMe's usual
// (dynamic) majors, a character device and a stat without numbers are not.
func TestSCSIDisk(t *testing.T) {
	blk := func(major, minor uint32) devInfo {
		return devInfo{fs.ModeDevice, &syscall.Stat_t{Rdev: unix.Mkdev(major, minor)}}
	}
	for _, c := range []struct {
		fi   fs.FileInfo
		want bool
	}{
		{blk(8, 0), true}, {blk(8, 240), true}, {blk(65, 16), true}, {blk(71, 0), true},
		{blk(128, 0), true}, {blk(135, 255), true},
		{blk(253, 0), false}, {blk(254, 3), false}, {blk(259, 0), false}, {blk(7, 0), false},
		{blk(64, 0), false}, {blk(72, 0), false}, {blk(136, 0), false},
		{devInfo{fs.ModeDevice | fs.ModeCharDevice, &syscall.Stat_t{Rdev: unix.Mkdev(8, 0)}}, false},
		{devInfo{fs.ModeDevice, nil}, false},
	} {
		if got := scsiDisk(c.fi); got != c.want {
			t.Errorf("scsiDisk(%v) = %v, want %v", c.fi.Sys(), got, c.want)
		}
	}
}

// Package prdev opens a device path as a pr.Device with the transport the
// device is: an NVMe namespace (/dev/nvmeXnY) or a device-mapper node whose
// paths are NVMe namespaces goes through internal/nvme, everything else
// through internal/scsi (SG_IO), as before NVMe support. Choose is the pure
// decision; Open applies it.
package prdev

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/nvme"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/nvmepr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// isNVMeName reports the kernel's NVMe device names: namespace block devices
// nvmeXnY (nvmeXcZnY for a path hidden behind native multipath) and their
// partitions nvmeXnYpZ, generic namespace nodes ngXnY, controllers nvmeX,
// i.e. `^(nvme[0-9]+(c[0-9]+)?n[0-9]+(p[0-9]+)?|ng[0-9]+n[0-9]+|nvme[0-9]+)$`
// (TestIsNVMeName compares the two), without a regexp to compile at every
// start of the watchdog check. The NVMe layer refuses partitions and character
// devices with a message that says why; choosing it for them gives that message.
func isNVMeName(s string) bool {
	if rest, ok := strings.CutPrefix(s, "ng"); ok {
		if !startsWithDigit(rest) {
			return false
		}
		rest, ok = number(strings.TrimLeft(rest, "0123456789"), 'n')
		return ok && rest == ""
	}
	rest, ok := strings.CutPrefix(s, "nvme")
	if !ok || !startsWithDigit(rest) {
		return false
	}
	rest = strings.TrimLeft(rest, "0123456789")
	if rest == "" {
		return true // controller nvmeX
	}
	if r, ok := number(rest, 'c'); ok {
		rest = r
	}
	if rest, ok = number(rest, 'n'); !ok {
		return false
	}
	if r, ok := number(rest, 'p'); ok {
		rest = r
	}
	return rest == ""
}

// number consumes the letter c followed by one or more digits at the start of s.
func number(s string, c byte) (string, bool) {
	if len(s) < 2 || s[0] != c || !startsWithDigit(s[1:]) {
		return s, false
	}
	return strings.TrimLeft(s[1:], "0123456789"), true
}

func startsWithDigit(s string) bool { return s != "" && s[0] >= '0' && s[0] <= '9' }

// maxDMDepth bounds the stacked device-mapper nodes followed (kpartx
// partition on a multipath node, LVM on top, ...).
const maxDMDepth = 8

// Choose returns the transport of the device whose resolved path is real
// ("/dev/nvme0n1", "/dev/dm-3", "/dev/sdb"): NVMe for a kernel NVMe name,
// NVMe for a device-mapper node (dm-N) whose slaves are all NVMe (stacked
// dm nodes followed through their first slave), SCSI otherwise, including
// when the slaves cannot be listed. slaves lists /sys/block/<name>/slaves.
func Choose(real string, slaves func(name string) ([]string, error)) pr.Transport {
	name, ok := strings.CutPrefix(filepath.Clean(real), "/dev/")
	if !ok || strings.Contains(name, "/") {
		return pr.SCSI
	}
	for depth := 0; depth <= maxDMDepth; depth++ {
		if isNVMeName(name) {
			return pr.NVMe
		}
		if !strings.HasPrefix(name, "dm-") {
			return pr.SCSI
		}
		ss, err := slaves(name)
		if err != nil || len(ss) == 0 {
			return pr.SCSI
		}
		if strings.HasPrefix(ss[0], "dm-") {
			name = ss[0]
			continue
		}
		for _, s := range ss {
			if !isNVMeName(s) {
				return pr.SCSI
			}
		}
		return pr.NVMe
	}
	return pr.SCSI
}

// Options tune Open and Kind.
type Options struct {
	// ReadOnly opens O_RDONLY (PR IN only).
	ReadOnly bool
	// Timeout bounds each command; 0 means the transport's default (SCSI
	// 60 s, NVMe 30 s).
	Timeout time.Duration
	// MaxTransientRetries bounds the retries of transient transport
	// failures of commands that change nothing; 0 means the transport's
	// default, negative none.
	MaxTransientRetries int
	// Log receives the transport's debug lines.
	Log func(format string, args ...any)
	// SysfsRoot is where /sys is mounted ("" means /sys).
	SysfsRoot string
	// Realpath resolves symbolic links (nil: filepath.EvalSymlinks, else the path).
	Realpath func(string) (string, error)
}

// Kind returns the transport Open would use for path.
func Kind(path string, o Options) pr.Transport {
	real := path
	resolve := o.Realpath
	if resolve == nil {
		resolve = filepath.EvalSymlinks
	}
	if o.Realpath == nil && isPlainDevName(path) {
		// /dev/NAME that is no symbolic link: EvalSymlinks would return it as it is.
	} else if r, err := resolve(path); err == nil {
		real = r
	}
	root := o.SysfsRoot
	if root == "" {
		root = "/sys"
	}
	return Choose(real, func(name string) ([]string, error) { return Slaves(root, name) })
}

// Slaves lists the entries of <sysfsRoot>/block/<name>/slaves (the devices
// under device-mapper node name, e.g. "sdb" or "dm-0"), sorted, without
// hidden names. The one sysfs reader of dm slaves (fence and check-storage
// use it through fence.DMSlaves).
func Slaves(sysfsRoot, name string) ([]string, error) {
	entries, err := os.ReadDir(filepath.Join(sysfsRoot, "block", name, "slaves"))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	return out, nil
}

// Open opens path with the transport Kind chooses. Errors are the
// transport's (*scsi.Error or *nvme.Error, matching pr's classes).
func Open(path string, o Options) (pr.Device, error) {
	if Kind(path, o) == pr.NVMe {
		d, err := nvme.Open(path, nvme.OpenOptions{ReadOnly: o.ReadOnly, Device: nvme.DeviceOptions{
			Timeout: o.Timeout, Log: o.Log, MaxTransientRetries: o.MaxTransientRetries}})
		if err != nil {
			return nil, err
		}
		return nvmepr.New(d), nil
	}
	d, err := scsi.Open(path, scsi.OpenOptions{ReadOnly: o.ReadOnly, Device: scsi.DeviceOptions{
		Timeout: o.Timeout, Log: o.Log, MaxTransientRetries: o.MaxTransientRetries}})
	if err != nil {
		return nil, err
	}
	return scsipr.New(d), nil
}

// isPlainDevName reports /dev/NAME (one component under /dev) that is not a
// symbolic link, so resolving it would change nothing: the watchdog check
// skips the walk for the usual /dev/sdX or /dev/nvmeXnY.
func isPlainDevName(path string) bool {
	name, ok := strings.CutPrefix(path, "/dev/")
	if !ok || name == "" || strings.Contains(name, "/") || name == "." || name == ".." {
		return false
	}
	fi, err := os.Lstat(path)
	return err == nil && fi.Mode()&os.ModeSymlink == 0
}

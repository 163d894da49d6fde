package storagecheck

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/fence"
)

// Sysfs reads what check-storage needs from /sys.
type Sysfs struct {
	// Root is where sysfs is mounted ("" means /sys).
	Root string
	// Realpath resolves /dev symlinks (default filepath.EvalSymlinks).
	Realpath func(string) (string, error)
}

func (s Sysfs) root() string {
	if s.Root == "" {
		return "/sys"
	}
	return s.Root
}

// Paths returns the path devices of dev when it is a device-mapper
// (multipath) node, following stacked dm devices, or nil for any other
// device. The discovery is the agent's own (fence.MultipathPaths).
func (s Sysfs) Paths(dev string) ([]string, error) {
	return fence.MultipathPaths(s.Root, dev)
}

// Nexus returns this host's side of the I_T nexus of a /dev/sdX as READ
// FULL STATUS shows it, for iSCSI "<initiator name>,i,0x<ISID>" from
// /sys/class/iscsi_session; "" when it cannot be told (not iSCSI, no sysfs).
func (s Sysfs) Nexus(dev string) string {
	real := dev
	if s.Realpath != nil {
		if r, err := s.Realpath(dev); err == nil {
			real = r
		}
	} else if r, err := filepath.EvalSymlinks(dev); err == nil {
		real = r
	}
	name, ok := strings.CutPrefix(real, "/dev/")
	if !ok || strings.Contains(name, "/") {
		return ""
	}
	link, err := filepath.EvalSymlinks(filepath.Join(s.root(), "block", name, "device"))
	if err != nil {
		return ""
	}
	var session string
	for _, part := range strings.Split(link, "/") {
		if strings.HasPrefix(part, "session") {
			session = part
		}
	}
	if session == "" {
		return ""
	}
	dir := filepath.Join(s.root(), "class", "iscsi_session", session)
	initiator := readAttr(filepath.Join(dir, "initiatorname"))
	isid := readAttr(filepath.Join(dir, "isid"))
	if initiator == "" || isid == "" {
		return ""
	}
	return initiator + ",i,0x" + isid
}

func readAttr(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return ""
	}
	s := strings.TrimSpace(string(b))
	if s == "(null)" {
		return ""
	}
	return s
}

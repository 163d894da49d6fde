package storagecheck

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
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

func (s Sysfs) realpath(dev string) string {
	eval := s.Realpath
	if eval == nil {
		eval = filepath.EvalSymlinks
	}
	if r, err := eval(dev); err == nil {
		return r
	}
	return dev
}

// Paths returns the path devices of dev when it resolves to a device-mapper
// (multipath) node: the entries of /sys/block/dm-N/slaves, sorted; a dm
// device stacked on another one (a partition of a multipath map) is
// followed down to the paths. nil for any other device.
func (s Sysfs) Paths(dev string) ([]string, error) {
	name, ok := strings.CutPrefix(s.realpath(dev), "/dev/")
	if !ok || !strings.HasPrefix(name, "dm-") {
		return nil, nil
	}
	for depth := 0; depth < 8; depth++ {
		slaves, err := fence.DMSlaves(s.root(), name)
		if err != nil {
			return nil, fmt.Errorf("cannot list the paths of %s: %v", dev, err)
		}
		if len(slaves) == 0 {
			return nil, fmt.Errorf("device-mapper device %s has no paths", dev)
		}
		if !strings.HasPrefix(slaves[0], "dm-") {
			for i := range slaves {
				slaves[i] = "/dev/" + slaves[i]
			}
			return slaves, nil
		}
		name = slaves[0]
	}
	return nil, fmt.Errorf("device-mapper device %s: too deeply stacked", dev)
}

// Nexus returns this host's side of the I_T nexus of a /dev/sdX as READ
// FULL STATUS shows it, for iSCSI "<initiator name>,i,0x<ISID>" from
// /sys/class/iscsi_session, or the initiator name alone when the transport
// does not show the ISID there; "" when it cannot be told (not iSCSI).
func (s Sysfs) Nexus(dev string) string {
	name, ok := strings.CutPrefix(s.realpath(dev), "/dev/")
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
		return initiator
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

// BlockSize returns the logical block size of a /dev/sdX from
// /sys/block/sdX/queue/logical_block_size (0 when it cannot be read).
func (s Sysfs) BlockSize(dev string) int {
	name, ok := strings.CutPrefix(s.realpath(dev), "/dev/")
	if !ok || strings.Contains(name, "/") {
		return 0
	}
	n, err := strconv.Atoi(readAttr(filepath.Join(s.root(), "block", name, "queue", "logical_block_size")))
	if err != nil || n <= 0 || n > 1<<16 {
		return 0
	}
	return n
}

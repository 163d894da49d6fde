package fence

import (
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/prdev"
)

// multipathPaths returns the path devices (/dev/sdX) to register through
// when dev resolves to a device-mapper node and the method is "multi", or
// nil to register through dev itself (fence_scsi.py's register_dev).
func (o Options) multipathPaths(dev string) ([]string, error) {
	if o.MpathRegisterMethod != "multi" {
		return nil, nil
	}
	real, err := o.Realpath(dev)
	if err != nil {
		return nil, nil
	}
	name, ok := strings.CutPrefix(real, "/dev/")
	if !ok || !strings.HasPrefix(name, "dm") {
		return nil, nil
	}
	return o.dmSlaves(name, 0)
}

// dmSlaves lists /sys/block/<name>/slaves, following the first slave down
// while it is itself a dm device (kpartx partition on multipath), as
// fence_scsi's get_mpath_slaves. Entries are sorted so that "the first
// path", the only one that gets the self-preempt, is stable.
func (o Options) dmSlaves(name string, depth int) ([]string, error) {
	return walkSlaves(func(n string) ([]string, error) { return DMSlaves(o.SysfsRoot, n) }, name, depth)
}

// walkSlaves is dmSlaves over any lister of a node's sorted slave names
// (DMSlaves on sysfs; a map in FuzzWalkSlaves): at most 8 levels down, never
// a name with a "/", and /dev/ paths of the first node whose first slave is
// not a dm device.
func walkSlaves(list func(string) ([]string, error), name string, depth int) ([]string, error) {
	if depth > 8 || strings.Contains(name, "/") {
		return nil, &DeviceError{Device: "/dev/" + name, Problem: DevicePathsUnknown}
	}
	slaves, err := list(name)
	if err != nil {
		return nil, &DeviceError{Device: "/dev/" + name, Problem: DevicePathsUnknown, Err: err}
	}
	if len(slaves) == 0 {
		return nil, &DeviceError{Device: "/dev/" + name, Problem: DeviceNoPaths}
	}
	if strings.HasPrefix(slaves[0], "dm-") {
		return walkSlaves(list, slaves[0], depth+1)
	}
	paths := make([]string, len(slaves))
	for i, s := range slaves {
		paths[i] = "/dev/" + s
	}
	return paths, nil
}

// DMSlaves lists the entries of <sysfsRoot>/block/<name>/slaves (the
// devices under device-mapper node name, e.g. "sdb" or "dm-0"), sorted, without
// hidden names.
func DMSlaves(sysfsRoot, name string) ([]string, error) {
	return prdev.Slaves(sysfsRoot, name)
}

// MultipathPaths returns the path devices (/dev/sdX) of dev when it resolves
// to a device-mapper node, following stacked dm devices (kpartx partitions)
// as register_dev does, or nil when dev is not a dm node. sysfsRoot is where
// /sys is mounted ("" means /sys).
func MultipathPaths(sysfsRoot, dev string) ([]string, error) {
	o := Options{SysfsRoot: sysfsRoot, MpathRegisterMethod: "multi"}.withDefaults()
	return o.multipathPaths(dev)
}

// Package prsim opens pr.Devices on the in-memory simulators of both
// transports (internal/scsi/sim, internal/nvme/sim), the way the tests of
// the packages written against pr.Device reach shared storage. Only tests
// import it.
package prsim

import (
	"context"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/nvme"
	nvmesim "github.com/fence-scsi-go/fence_scsi_go/internal/nvme/sim"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/nvmepr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// Options are the device options both transports have; the zero value is
// the transports' defaults.
type Options struct {
	Timeout time.Duration                                    // per command
	Sleep   func(ctx context.Context, d time.Duration) error // between retries
}

// Quick is a one-second command timeout and retries that do not wait.
var Quick = Options{Timeout: time.Second, Sleep: NoSleep}

// NoSleep is a retry sleep that returns at once (ctx's error, if any).
func NoSleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

// SCSI is the pr.Device named path on lu through the I_T nexus named nexus.
func SCSI(path string, lu *sim.LU, nexus string, o Options) pr.Device {
	return scsipr.New(scsi.NewDevice(path, lu.Connect(nexus), scsi.DeviceOptions{Timeout: o.Timeout, Sleep: o.Sleep}))
}

// NVMe is the pr.Device named path on ns through a controller of the host
// named host (Host Identifier HostID(host)).
func NVMe(path string, ns *nvmesim.Namespace, host string, o Options) pr.Device {
	return nvmepr.New(nvme.NewDevice(path, ns.Connect(HostID(host)), nvme.DeviceOptions{Timeout: o.Timeout, Sleep: o.Sleep}))
}

// HostID is the Host Identifier of the host named name: the name's first
// 16 bytes, zero-padded.
func HostID(name string) nvme.HostID {
	var h nvme.HostID
	copy(h[:], name)
	return h
}

// NVMeWrites reports whether the host named host may write ns: it writes
// its name into block 0 through a controller of its own.
func NVMeWrites(ns *nvmesim.Namespace, host string) bool {
	return ns.Connect(HostID(host)).WriteBlock(0, []byte(host)).OK()
}

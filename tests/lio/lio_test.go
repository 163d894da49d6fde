// Package lio runs the persistent-reservation conformance suite
// (internal/scsi/conformance) through the real SG_IO layer against the Linux
// kernel target (LIO) of the tests/vm guest. Each node
// of the guest is its own iSCSI session, hence its own I_T nexus, to the
// same LUN; the suite drives node 1's, node 2's (and node 3's) /dev/sdX.
//
// It only runs inside the guest, where tests/vm exports FSG_NODEk_LUNl; the
// host-side driver is TestConformanceOnLIO in tests/e2e (make e2e), which
// builds this package with `go test -c` and runs the binary through
// `tests/vm/run.sh --exec`. By hand:
//
//	go test -c -o /tmp/lio.test ./tests/lio/
//	tests/vm/run.sh --nodes 3 --luns 1 --exec /tmp/lio.test -test.v
//
// Flags (after the binary: the guest passes no environment of ours):
// -lio.lun picks the LUN (default 1); -lio.profile=tgt expects the quirks of
// tgt (run.sh --target tgt: the same binary then runs on tgtd); -lio.quirks overrides the quirk
// profile (a number, e.g. 0 for strict SPC-4: the quirk-dependent cases must
// then fail, which shows LIO needs each bit); -lio.exact-ua=false stops
// checking unit attentions.
// docs/conformance.md lists the results and every LIO quirk.
package lio

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/conformance"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// ioOffset is where the block I/O probe reads and writes: one 4 KiB page
// (a multiple of every logical block size LIO offers), past the first
// sectors so that a partition-table probe never sees our pattern.
const (
	ioOffset = 1 << 20
	ioSize   = 4096
)

// nexus is one node's view of the LUN: a Device (retry policy, parsing), the
// bare SG_IO transport, and an O_DIRECT descriptor for block I/O.
type nexus struct {
	path string
	dev  scsi.Device
	raw  scsi.Transport
	fd   int
	buf  []byte // page-aligned (mmap) I/O buffer
}

// lioTarget is conformance.Target for LIO: node k+1's device is nexus k.
type lioTarget struct {
	nexuses []*nexus
	quirks  sim.Quirks
	exactUA bool
}

var (
	openOnce sync.Once
	shared   *lioTarget
	openErr  error
)

// devicePaths returns node k's device for lun, k = 1, 2, ... while set.
func devicePaths(lun int) []string {
	var paths []string
	for k := 1; ; k++ {
		p := os.Getenv(fmt.Sprintf("FSG_NODE%d_LUN%d", k, lun))
		if p == "" {
			return paths
		}
		paths = append(paths, p)
	}
}

var (
	flagLUN     = flag.Int("lio.lun", 1, "LUN to test (FSG_NODEk_LUN<n>)")
	flagQuirks  = flag.String("lio.quirks", "", "quirk bits the target claims (default: those of -lio.profile)")
	flagProfile = flag.String("lio.profile", "lio", "target profile: lio (sim.QuirkLIO) or tgt (sim.QuirkTGT, tests/vm/run.sh --target tgt)")
	flagExactUA = flag.Bool("lio.exact-ua", true, "check unit attentions exactly")
)

func openTarget() (*lioTarget, error) {
	tgt := &lioTarget{quirks: sim.QuirkLIO, exactUA: *flagExactUA}
	switch *flagProfile {
	case "lio":
	case "tgt":
		tgt.quirks = sim.QuirkTGT
	default:
		return nil, fmt.Errorf("-lio.profile=%q: want lio or tgt", *flagProfile)
	}
	if s := *flagQuirks; s != "" {
		n, err := strconv.ParseUint(s, 0, 32)
		if err != nil {
			return nil, fmt.Errorf("-lio.quirks=%q: %v", s, err)
		}
		tgt.quirks = sim.Quirks(n)
	}
	for _, p := range devicePaths(*flagLUN) {
		dev, err := scsi.Open(p, scsi.OpenOptions{})
		if err != nil {
			return nil, err
		}
		raw, err := scsi.OpenTransport(p, false)
		if err != nil {
			return nil, err
		}
		fd, err := unix.Open(p, unix.O_RDWR|unix.O_DIRECT|unix.O_CLOEXEC, 0)
		if err != nil {
			return nil, fmt.Errorf("open %s O_DIRECT: %w", p, err)
		}
		buf, err := unix.Mmap(-1, 0, ioSize, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
		if err != nil {
			return nil, err
		}
		tgt.nexuses = append(tgt.nexuses, &nexus{path: p, dev: dev, raw: raw, fd: fd, buf: buf})
	}
	return tgt, nil
}

func (l *lioTarget) Nexuses() int                   { return len(l.nexuses) }
func (l *lioTarget) Nexus(i int) scsi.Device        { return l.nexuses[i].dev }
func (l *lioTarget) Quirks() sim.Quirks             { return l.quirks }
func (l *lioTarget) Transport(i int) scsi.Transport { return l.nexuses[i].raw }

// ExactUnitAttentions: on the quiet guest nothing but the suite sends
// commands to these disks (no udev, no filesystem, no multipathd), and the
// suite's own block I/O only follows its unit-attention checks, so raw TEST
// UNIT READY sees what LIO queued (-lio.exact-ua=false turns the checks off).
func (l *lioTarget) ExactUnitAttentions() bool { return l.exactUA }

func (l *lioTarget) Read(i int) error  { return l.io(i, false) }
func (l *lioTarget) Write(i int) error { return l.io(i, true) }

// io reads or writes one page with O_DIRECT. The kernel turns RESERVATION
// CONFLICT into BLK_STS_NEXUS, which read(2)/write(2) report as EBADE.
func (l *lioTarget) io(i int, write bool) error {
	n := l.nexuses[i]
	op, f := "read", unix.Pread
	if write {
		op, f = "write", unix.Pwrite
		for j := range n.buf {
			n.buf[j] = byte(i + 1)
		}
	}
	got, err := f(n.fd, n.buf, ioOffset)
	switch {
	case errors.Is(err, unix.EBADE):
		return &scsi.Error{Op: op, Device: n.path, Class: scsi.ErrReservationConflict, Errno: err}
	case err != nil:
		return &scsi.Error{Op: op, Device: n.path, Class: scsi.ErrDevice, Errno: err, Detail: err.Error()}
	case got != ioSize:
		return &scsi.Error{Op: op, Device: n.path, Class: scsi.ErrDevice, Detail: fmt.Sprintf("short %s: %d bytes", op, got)}
	}
	return nil
}

// guestTarget returns the shared target or skips outside the guest.
func guestTarget(t *testing.T) *lioTarget {
	t.Helper()
	if os.Getenv("FSG_NODE1_LUN1") == "" {
		t.Skip("runs only inside the tests/vm guest (FSG_NODE1_LUN1 unset): use `make e2e` " +
			"(TestConformanceOnLIO) or `tests/vm/run.sh --nodes 3 --exec <go test -c binary> -test.v`")
	}
	openOnce.Do(func() { shared, openErr = openTarget() })
	if openErr != nil {
		t.Fatalf("opening the guest's devices: %v", openErr)
	}
	return shared
}

// TestConformance is the suite of internal/scsi/conformance, unchanged, on LIO.
func TestConformance(t *testing.T) {
	tgt := guestTarget(t)
	for i, n := range tgt.nexuses {
		inq, err := n.dev.Inquiry(context.Background())
		if err != nil {
			t.Fatalf("nexus %d (%s) inquiry: %v", i, n.path, err)
		}
		t.Logf("nexus %d: node%d %s %q %q", i, i+1, n.path, inq.Vendor, inq.Product)
	}
	t.Logf("quirks %#x, exact unit attentions %v", tgt.quirks, tgt.exactUA)
	conformance.Run(t, func(t *testing.T) conformance.Target { return tgt })
}

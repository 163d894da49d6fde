package arbitrate

import (
	"context"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// countingTransport counts the commands (SG_IO attempts) per operation code
// and, when sense is set, answers CHECK CONDITION with it to every command
// of opcode instead of passing it on.
type countingTransport struct {
	scsi.Transport
	mu     sync.Mutex
	n      map[byte]int
	opcode byte
	sense  []byte
}

func (p *countingTransport) Execute(ctx context.Context, cmd *scsi.Command) (*scsi.Result, error) {
	p.mu.Lock()
	if p.n == nil {
		p.n = map[byte]int{}
	}
	p.n[cmd.CDB[0]]++
	p.mu.Unlock()
	if p.sense != nil && cmd.CDB[0] == p.opcode {
		return &scsi.Result{Status: scsi.StatusCheckCondition, Sense: p.sense, DataIn: make([]byte, cmd.DataInLen)}, nil
	}
	return p.Transport.Execute(ctx, cmd)
}

func (p *countingTransport) count(op byte) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.n[op]
}

// fixedSense is fixed-format sense data with key, ASC and ASCQ.
func fixedSense(key, asc, ascq byte) []byte {
	s := make([]byte, 18)
	s[0], s[2], s[7], s[12], s[13] = 0x70, key, 10, asc, ascq
	return s
}

// TestDefendPermanentError: a device that answers "persistent reservations
// not supported" (20/00) or ILLEGAL REQUEST (24/00) to the renewal makes
// the defender fail in its first cycle, not count missed beats.
func TestDefendPermanentError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sense  []byte
		wantIs error
	}{
		{"not supported", fixedSense(scsi.SenseIllegalRequest, 0x20, 0x00), ErrNoPR},
		{"illegal request", fixedSense(scsi.SenseIllegalRequest, 0x24, 0x00), scsi.ErrIllegalRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lus, n1 := held(t, sim.QuirkLIO, 1, defaultSCSI)
			ct := &countingTransport{Transport: lus[0].Connect("node1"), opcode: 0x5F, sense: tc.sense}
			n1.devs[0] = scsipr.New(scsi.NewDevice("/dev/sdb", ct, scsi.DeviceOptions{}))
			c := n1.cfg(t, key1, defaultSCSI)
			c.Misses, c.Wait = 3, time.Minute
			err := Defend(context.Background(), c, false)
			if !errors.Is(err, ErrPermanent) || !errors.Is(err, tc.wantIs) || errors.Is(err, ErrGaveUp) {
				t.Fatalf("Defend = %v; want ErrPermanent matching %v at once", err, tc.wantIs)
			}
			if n := n1.clk.count(); n != 0 {
				t.Errorf("Defend slept %d periods before failing; want 0 (no missed beats counted)", n)
			}
			if n := ct.count(0x5F); n != 1 {
				t.Errorf("renewal sent %d times; want 1", n)
			}
		})
	}
}

// TestNoSecondRetryLayer: only the SG_IO layer retries. A READ KEYS that
// keeps answering BUSY is tried 1 + scsi.DefaultMaxBusyRetries times in all
// (no re-send on top), and a renewal that keeps meeting UNIT ATTENTION 1 +
// scsi.DefaultMaxUARetries times.
func TestNoSecondRetryLayer(t *testing.T) {
	t.Run("busy", func(t *testing.T) {
		lus := newLUs(sim.QuirkLIO, 1)
		n1 := newNode("node1", false, lus)
		ct := &countingTransport{Transport: lus[0].Connect("node1")}
		noSleep := func(ctx context.Context, d time.Duration) error { return ctx.Err() }
		n1.devs[0] = scsipr.New(scsi.NewDevice("/dev/sdb", ct, scsi.DeviceOptions{Sleep: noSleep}))
		lus[0].Inject("node1", sim.Fault{Kind: sim.FaultBusy, Count: -1, Opcodes: []byte{0x5E}})
		for _, run := range []func(Config) error{
			func(c Config) error { _, err := Acquire(context.Background(), c); return err },
			func(c Config) error { return Release(context.Background(), c) },
		} {
			before := ct.count(0x5E)
			if err := run(n1.cfg(t, key1, defaultSCSI)); !errors.Is(err, scsi.ErrBusy) {
				t.Fatalf("err = %v; want busy", err)
			}
			if n := ct.count(0x5E) - before; n != 1+scsi.DefaultMaxBusyRetries {
				t.Errorf("READ KEYS sent %d times; want %d (the SG_IO layer's budget, once)", n, 1+scsi.DefaultMaxBusyRetries)
			}
		}
	})
	t.Run("unit attention", func(t *testing.T) {
		lus, n1 := held(t, sim.QuirkLIO, 1, defaultSCSI)
		ct := &countingTransport{Transport: lus[0].Connect("node1")}
		n1.devs[0] = scsipr.New(scsi.NewDevice("/dev/sdb", ct, scsi.DeviceOptions{}))
		lus[0].QueueUnitAttention("node1", 0x29, 0x00, 1+scsi.DefaultMaxUARetries+1)
		err := Defend(context.Background(), n1.cfg(t, key1, defaultSCSI), true)
		if !errors.Is(err, scsi.ErrUnitAttention) || errors.Is(err, ErrLost) {
			t.Errorf("Defend(once) = %v; want a failed cycle (unit attention), not loss", err)
		}
		if n := ct.count(0x5F); n != 1+scsi.DefaultMaxUARetries {
			t.Errorf("renewal sent %d times; want %d", n, 1+scsi.DefaultMaxUARetries)
		}
	})
}

// TestCommandTimeoutBoundsRetries: with real backoff sleeps, a command that
// keeps answering BUSY fails within about one command timeout T: the SG_IO
// layer's retries run inside T, and nothing re-sends it after T.
func TestCommandTimeoutBoundsRetries(t *testing.T) {
	lus := newLUs(sim.QuirkLIO, 1)
	dev := scsi.NewDevice("/dev/sdb", lus[0].Connect("node1"), scsi.DeviceOptions{})
	lus[0].Inject("node1", sim.Fault{Kind: sim.FaultBusy, Count: -1, Opcodes: []byte{0x5E}})
	c := Defaults([]pr.Device{scsipr.New(dev)}, key1)
	c.CommandTimeout, c.Period, c.Wait = time.Second, 2*time.Second, 7*time.Second
	start := time.Now()
	if err := Release(context.Background(), c); err == nil {
		t.Fatal("Release succeeded against a device that is always busy")
	}
	if d := time.Since(start); d > 2*c.CommandTimeout {
		t.Errorf("Release took %v; want about T = %v (no retry on top of the SG_IO layer's)", d, c.CommandTimeout)
	}
}

// TestNoSenseBytesAboveSCSI: this package acts on scsi error classes
// (errors.Is), never on sense bytes it decodes itself.
func TestNoSenseBytesAboveSCSI(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				switch sel.Sel.Name {
				case "Sense", "ASC", "ASCQ", "Status", "HostStatus":
					t.Errorf("%s: reads .%s of a SCSI error; use the scsi error classes", fset.Position(sel.Pos()), sel.Sel.Name)
				}
			}
			return true
		})
	}
}

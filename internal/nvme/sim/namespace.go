// Package sim is an in-memory NVMe subsystem with one shared namespace that
// implements reservations (NVMe Base 2.0 section 8.19, commands 7.2-7.5)
// below the passthrough layer: each Controller is an nvme.Transport that
// decodes raw commands (opcode, NSID, CDW10/11, data buffer) and answers
// with a completion status, as a controller reached through the Linux
// passthrough ioctl would. Registrations belong to hosts (Host Identifier);
// a host may connect several controllers.
//
// It is a fast test double for fence logic, not proof that fencing works on
// a real NVMe target. Choices where the specification leaves room follow the
// Linux NVMe target (drivers/nvme/target/pr.c) unless noted:
//   - Reservation Report requires EDS=1 (the extended structure with 128-bit
//     host identifiers); EDS=0 answers Host Identifier Inconsistent Format.
//   - IEKEY on Acquire or Release answers Invalid Field in Command.
//   - Preempt with a PRKEY that is not the holder's unregisters every host
//     registered with it, the preempting host included.
//   - Release by the holder with another RTYPE answers Invalid Field in
//     Command, and a holder preempting another host's key unregisters it,
//     as the specification says; the LinuxTarget option reproduces the
//     Linux target's answers instead (conflict; type change only).
//   - Report lists one entry per controller of a registered host (the Linux
//     target lists one per host with CNTLID FFFFh); a registered host with no
//     controller connected is listed once with CNTLID FFFFh.
//   - Preempt and Abort aborts nothing: no command is ever in flight.
package sim

import (
	"context"
	"sync"

	"github.com/fence-scsi-go/fence_scsi_go/internal/nvme"
)

// Controller implements nvme.Transport.
var _ nvme.Transport = (*Controller)(nil)

// BlockSize is the logical block size of the simulated namespace.
const BlockSize = 512

// Namespace is one namespace shared by any number of controllers. All
// methods are safe for concurrent use; every command executes atomically.
type Namespace struct {
	mu sync.Mutex

	nsid         uint32
	rescap       uint8
	reservations bool // ONCS bit 5
	shared       bool // NMIC bit 0
	linuxTarget  bool // reproduce the Linux target's deviations
	blocks       uint64

	generation uint32
	regs       []*registrant // registration order
	res        *reservation
	ptpl       bool
	data       map[uint64][]byte
	ctrls      []*Controller
}

// registrant is one registered host.
type registrant struct {
	host nvme.HostID
	key  nvme.Key
}

// reservation is the reservation on the namespace; holder is meaningful for
// the types other than all-registrants, where every registrant holds it.
type reservation struct {
	typ    nvme.ReservationType
	holder nvme.HostID
}

// Option configures a new Namespace.
type Option func(*Namespace)

// WithNSID sets the namespace identifier (default 1).
func WithNSID(n uint32) Option { return func(ns *Namespace) { ns.nsid = n } }

// WithRESCAP sets the Reservation Capabilities byte (default 0xFF: every
// type, PTPL and IEKEY).
func WithRESCAP(b uint8) Option { return func(ns *Namespace) { ns.rescap = b } }

// WithoutReservations clears ONCS bit 5: every reservation command answers Invalid Command Opcode.
func WithoutReservations() Option { return func(ns *Namespace) { ns.reservations = false } }

// Private clears NMIC bit 0 (a namespace only one controller may attach).
func Private() Option { return func(ns *Namespace) { ns.shared = false } }

// LinuxTarget reproduces two deviations of the Linux NVMe target
// (drivers/nvme/target/pr.c as read for docs/nvme.md): a holder that
// preempts only changes the reservation type and unregisters nobody, even
// when PRKEY is another host's key; and a holder releasing with another
// RTYPE gets Reservation Conflict instead of Invalid Field in Command.
// (The 7.3 kernel's target applies a holder's preempt as specified.)
func LinuxTarget() Option { return func(ns *Namespace) { ns.linuxTarget = true } }

// NewNamespace returns a namespace with no registrations and no reservation.
func NewNamespace(opts ...Option) *Namespace {
	ns := &Namespace{nsid: 1, rescap: 0xFF, reservations: true, shared: true, blocks: 2048, data: map[uint64][]byte{}}
	for _, o := range opts {
		o(ns)
	}
	return ns
}

// Controller is one controller of a host to the namespace: an nvme.Transport.
type Controller struct {
	ns     *Namespace
	host   nvme.HostID
	cntlid uint16
	faults []fault
}

// fault is one injected misbehaviour of the next command.
type fault struct {
	status    nvme.Status // answered instead of executing (if loseReply is false)
	loseReply bool        // execute, then report a timeout
}

// Connect returns a new controller (CNTLID 1, 2, ...) for host.
func (ns *Namespace) Connect(host nvme.HostID) *Controller {
	ns.mu.Lock()
	defer ns.mu.Unlock()
	c := &Controller{ns: ns, host: host, cntlid: uint16(len(ns.ctrls) + 1)}
	ns.ctrls = append(ns.ctrls, c)
	return c
}

// ID is the controller's CNTLID.
func (c *Controller) ID() uint16 { return c.cntlid }

// NSID implements nvme.Transport.
func (c *Controller) NSID() uint32 { return c.ns.nsid }

// Close implements nvme.Transport; the host's registration remains.
func (c *Controller) Close() error { return nil }

// FailNext makes the next command complete with status without executing.
func (c *Controller) FailNext(status nvme.Status) {
	c.ns.mu.Lock()
	defer c.ns.mu.Unlock()
	c.faults = append(c.faults, fault{status: status})
}

// LoseNextReply makes the next command execute and then time out, as a
// command whose completion never arrived: the caller cannot know it ran.
func (c *Controller) LoseNextReply() {
	c.ns.mu.Lock()
	defer c.ns.mu.Unlock()
	c.faults = append(c.faults, fault{loseReply: true})
}

// Execute implements nvme.Transport: apply an injected fault, then run the
// command on the namespace under its lock.
func (c *Controller) Execute(ctx context.Context, cmd *nvme.Command) (nvme.Completion, error) {
	if err := ctx.Err(); err != nil {
		return nvme.Completion{}, err
	}
	ns := c.ns
	ns.mu.Lock()
	defer ns.mu.Unlock()
	var f fault
	if len(c.faults) > 0 {
		f, c.faults = c.faults[0], c.faults[1:]
		if !f.loseReply {
			return nvme.Completion{Status: f.status}, nil
		}
	}
	var st nvme.Status
	if cmd.Admin {
		st = ns.admin(c, cmd)
	} else {
		st = ns.io(c, cmd)
	}
	if f.loseReply {
		return nvme.Completion{}, context.DeadlineExceeded
	}
	return nvme.Completion{Status: st}, nil
}

// dnr marks a status Do Not Retry, as controllers do for final errors.
func dnr(s nvme.Status) nvme.Status { return s | nvme.StatusDNR }

// io dispatches an I/O command.
func (ns *Namespace) io(c *Controller, cmd *nvme.Command) nvme.Status {
	if cmd.NSID != ns.nsid {
		return dnr(nvme.StatusInvalidNamespace)
	}
	switch cmd.Opcode {
	case nvme.OpRead, nvme.OpWrite:
		return ns.readWrite(c.host, cmd)
	case nvme.OpReservationRegister, nvme.OpReservationAcquire, nvme.OpReservationRelease, nvme.OpReservationReport:
		if !ns.reservations {
			return dnr(nvme.StatusInvalidOpcode)
		}
		return ns.reservationCmd(c, cmd)
	}
	return dnr(nvme.StatusInvalidOpcode)
}

package sim

import (
	"context"
	"errors"
	"fmt"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// UA is one pending unit attention condition (sense key UNIT ATTENTION).
type UA struct{ ASC, ASCQ uint8 }

// nexus is the per-I_T-nexus state: unit attention queue, faults, pause.
type nexus struct {
	name   string
	ua     []UA // FIFO, oldest first (SAM-5 unit attention queue)
	faults []*Fault
	// pause is non-nil while the nexus is frozen; commands wait for it to close.
	pause chan struct{}
	// pending counts commands waiting in the task set (paused).
	pending int
	// epoch is bumped when the nexus' tasks are aborted (PREEMPT AND ABORT,
	// power cycle); a waiting command that sees a new epoch completes with
	// TASK ABORTED, as with the control mode page TAS bit set (LIO's default).
	epoch uint64
}

// nexusLocked returns the state of the named nexus, creating it.
func (lu *LU) nexusLocked(name string) *nexus {
	n := lu.nexuses[name]
	if n == nil {
		n = &nexus{name: name}
		lu.nexuses[name] = n
	}
	return n
}

// port is one connection to the LU over a named I_T nexus.
type port struct {
	lu   *LU
	name string
}

// Connect returns a Transport for the I_T nexus called name (for example an
// iSCSI initiator name; it becomes the TransportID in READ FULL STATUS).
// Connecting twice with one name yields the same nexus: PR state and unit
// attentions belong to the nexus, not to the connection.
func (lu *LU) Connect(name string) scsi.Transport {
	lu.mu.Lock()
	lu.nexusLocked(name)
	lu.mu.Unlock()
	return &port{lu: lu, name: name}
}

// Close implements scsi.Transport; the nexus and its PR state remain.
func (p *port) Close() error { return nil }

// ErrTimeout is wrapped by the error Execute returns for an injected timeout;
// it also matches context.DeadlineExceeded.
var ErrTimeout = fmt.Errorf("sim: command timed out: %w", context.DeadlineExceeded)

// Execute implements scsi.Transport: wait while the nexus is paused, apply
// injected faults, then run the command on the LU under its lock.
func (p *port) Execute(ctx context.Context, cmd *scsi.Command) (*scsi.Result, error) {
	if len(cmd.CDB) == 0 {
		return nil, errors.New("sim: empty CDB")
	}
	lu := p.lu
	lu.mu.Lock()
	n := lu.nexusLocked(p.name)
	epoch := n.epoch
	for n.pause != nil {
		ch := n.pause
		n.pending++
		lu.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			lu.mu.Lock()
			n.pending--
			lu.mu.Unlock()
			return nil, ctx.Err()
		}
		lu.mu.Lock()
		n.pending--
	}
	defer lu.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if n.epoch != epoch {
		return &scsi.Result{Status: scsi.StatusTaskAborted, DataIn: make([]byte, cmd.DataInLen), Resid: cmd.DataInLen}, nil
	}
	f := n.takeFault(cmd.CDB[0])
	var a answer
	switch {
	case f != nil && f.Kind == FaultTimeoutBefore:
		return nil, ErrTimeout
	case f != nil && f.Kind == FaultPRUnsupported:
		a = checkCondition(scsi.SenseIllegalRequest, 0x20, 0x00)
	case f != nil && f.Kind == FaultNotReady:
		a = checkCondition(scsi.SenseNotReady, 0x04, 0x01)
	case f != nil && f.Kind == FaultBusy:
		a = answer{status: scsi.StatusBusy}
	default:
		var err error
		if a, err = lu.execute(n, cmd); err != nil {
			return nil, err
		}
	}
	if f != nil && f.Kind == FaultTimeoutAfter {
		return nil, ErrTimeout
	}
	return fitDataIn(cmd, a, f), nil
}

// fitDataIn builds the Result: min(allocation, available) bytes transferred
// and the residual reported (SPC-4 4.2.5.6; processing order step 6), or a truncated transfer
// when a FaultTruncate applies.
func fitDataIn(cmd *scsi.Command, a answer, f *Fault) *scsi.Result {
	r := &scsi.Result{Status: a.status, Sense: a.sense, DataIn: make([]byte, cmd.DataInLen)}
	n := copy(r.DataIn, a.data)
	r.Resid = cmd.DataInLen - n
	if f != nil && f.Kind == FaultTruncate && n > f.Bytes {
		clear(r.DataIn[f.Bytes:])
		r.Resid = cmd.DataInLen - f.Bytes
		if f.LieResid {
			r.Resid = 0
		}
	}
	return r
}

// queueUA appends a unit attention to the named nexus' FIFO.
func (lu *LU) queueUA(name string, asc, ascq uint8) {
	n := lu.nexusLocked(name)
	n.ua = append(n.ua, UA{ASC: asc, ASCQ: ascq})
}

// QueueUnitAttention queues count unit attentions asc/ascq on nexus (a
// "UA storm" when count is large).
func (lu *LU) QueueUnitAttention(nexus string, asc, ascq uint8, count int) {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	for i := 0; i < count; i++ {
		lu.queueUA(nexus, asc, ascq)
	}
}

// PendingUnitAttentions returns a copy of nexus' UA queue, oldest first.
func (lu *LU) PendingUnitAttentions(nexus string) []UA {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	return append([]UA(nil), lu.nexusLocked(nexus).ua...)
}

// Pause freezes nexus: its commands wait (in the task set, so PREEMPT AND
// ABORT aborts them) until resume is called. resume is idempotent.
func (lu *LU) Pause(nexus string) (resume func()) {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	n := lu.nexusLocked(nexus)
	if n.pause == nil {
		n.pause = make(chan struct{})
	}
	ch := n.pause
	return func() {
		lu.mu.Lock()
		defer lu.mu.Unlock()
		if n.pause == ch {
			close(ch)
			n.pause = nil
		}
	}
}

// Pending returns how many commands of nexus are waiting while it is paused.
func (lu *LU) Pending(nexus string) int {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	return lu.nexusLocked(nexus).pending
}

package sim

// FaultKind is a kind of injected failure.
type FaultKind int

// Injectable faults.
const (
	// FaultNotReady answers CHECK CONDITION, NOT READY 04/01 (becoming ready)
	// without executing the command.
	FaultNotReady FaultKind = iota + 1
	// FaultBusy answers BUSY status without executing the command.
	FaultBusy
	// FaultTimeoutBefore makes Execute return ErrTimeout without executing.
	FaultTimeoutBefore
	// FaultTimeoutAfter executes the command, then makes Execute return
	// ErrTimeout: a PR OUT that took effect but whose answer was lost.
	FaultTimeoutAfter
	// FaultPRUnsupported answers ILLEGAL REQUEST 20/00 (invalid opcode);
	// use it with Opcodes 0x5E and 0x5F to model a LU without PR.
	FaultPRUnsupported
	// FaultTruncate executes the command, then cuts the data-in phase to
	// Bytes bytes. The residual reports the short transfer unless LieResid
	// is set, in which case it is 0 and the tail of DataIn is zero-filled:
	// a lying HBA or transport (docs/pr-notes.md, "Short data").
	FaultTruncate
)

// Fault is one programmed failure on one nexus.
type Fault struct {
	Kind FaultKind
	// Count is how many matching commands it affects; negative = until ClearFaults.
	Count int
	// Opcodes restricts the fault to these operation codes; empty = all.
	Opcodes []byte
	// Bytes is the transferred length for FaultTruncate.
	Bytes int
	// LieResid makes FaultTruncate report a residual of 0.
	LieResid bool
}

// Inject programs f on nexus. Faults apply in injection order: a command
// takes the first matching fault with a remaining count.
func (lu *LU) Inject(nexus string, f Fault) {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	n := lu.nexusLocked(nexus)
	n.faults = append(n.faults, &f)
}

// ClearFaults removes every programmed fault of nexus.
func (lu *LU) ClearFaults(nexus string) {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	lu.nexusLocked(nexus).faults = nil
}

// takeFault consumes one use of the first fault matching opcode.
func (n *nexus) takeFault(opcode byte) *Fault {
	for i, f := range n.faults {
		if !f.matches(opcode) {
			continue
		}
		if f.Count > 0 {
			f.Count--
			if f.Count == 0 {
				n.faults = append(n.faults[:i:i], n.faults[i+1:]...)
			}
		}
		return f
	}
	return nil
}

func (f *Fault) matches(opcode byte) bool {
	if f.Count == 0 {
		return false
	}
	if len(f.Opcodes) == 0 {
		return true
	}
	for _, op := range f.Opcodes {
		if op == opcode {
			return true
		}
	}
	return false
}

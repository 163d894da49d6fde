// Package sim is an in-memory SCSI target with one logical unit that
// implements SPC-4 persistent reservations (SPC-4 5.13) below the CDB layer:
// each I_T nexus is a scsi.Transport that decodes raw CDBs and parameter
// lists, executes them and answers with SAM status, fixed-format sense,
// data-in and residual, as a target would. Quirk knobs reproduce LIO and
// tgt deviations (docs/pr-notes.md, "Known target deviations") and faults can be injected per nexus.
//
// It is a fast test double for the fence logic; it is not proof that fencing
// works on real storage — the conformance suite run against a real LIO target
// is.
//
// Choices where SPC-4 leaves room or the simulator does less (strict mode):
//   - REGISTER AND MOVE and REPLACE LOST RESERVATION answer 24/00 (a fence agent sends neither);
//     SPEC_I_PT=1 answers 26/00 (SIP_C is not advertised).
//   - A REGISTER with SARK 0 from an unregistered nexus does not bump
//     PRGENERATION (SPC-4 leaves it unclear; LIO does the same).
//   - PR OUT CDB-level checks (service action, parameter list length,
//     reserved bits) precede the key check, since the key lives in the
//     parameter list; type and scope are checked after it (docs/pr-notes.md, "Processing order").
//   - One target port (relative target port 1); ALL_TG_PT is recorded and
//     reported but changes nothing else. No SPC-2 RESERVE(6)/(10).
//   - The control mode page TAS bit is 1 (LIO's default): tasks aborted by
//     PREEMPT AND ABORT complete with TASK ABORTED, no UA 2F/00 is queued.
//   - A command queued on a paused nexus is checked against the access
//     matrix when it starts, i.e. after the pause.
package sim

import (
	"crypto/sha256"
	"sync"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// BlockSize is the logical block size of the simulated LU.
const BlockSize = 512

// LU is one logical unit shared by any number of I_T nexuses. All methods are
// safe for concurrent use; every command executes atomically under one lock
// (processing order step 5, docs/pr-notes.md, "Processing order").
type LU struct {
	mu sync.Mutex

	quirks  Quirks
	serial  string
	naa     [16]byte
	blocks  uint32
	vendor  string
	product string

	generation uint32
	regs       []*registration // registration order, as LIO and tgt report it
	res        *reservation
	aptpl      bool
	data       map[uint32][]byte
	nexuses    map[string]*nexus
}

// registration is one registered I_T nexus (SPC-4 5.13).
type registration struct {
	nexus   string
	key     scsi.Key
	allTgPt bool
}

// reservation is the persistent reservation; holder is "" for the
// all-registrants types, where every registered nexus is a holder.
type reservation struct {
	typ    scsi.ReservationType
	scope  uint8
	holder string
}

// Option configures a new LU.
type Option func(*LU)

// WithQuirks selects the target deviations to reproduce (default QuirkNone).
func WithQuirks(q Quirks) Option { return func(lu *LU) { lu.quirks = q } }

// WithSerial sets the unit serial number (VPD 0x80); the NAA designator of
// VPD 0x83 is derived from it, so two LUs with the same serial look like two
// paths of one LU to multipath matching.
func WithSerial(s string) Option { return func(lu *LU) { lu.serial = s } }

// WithBlocks sets the capacity in logical blocks (default 2048).
func WithBlocks(n uint32) Option { return func(lu *LU) { lu.blocks = n } }

// NewLU returns a logical unit with no registrations and no reservation.
func NewLU(opts ...Option) *LU {
	lu := &LU{
		serial:  "fencesim0001",
		blocks:  2048,
		vendor:  "FENCESIM",
		product: "PR simulator",
		data:    map[uint32][]byte{},
		nexuses: map[string]*nexus{},
	}
	for _, o := range opts {
		o(lu)
	}
	// NAA 6 (IEEE registered extended): nibble 6, then a stable hash of the serial.
	sum := sha256.Sum256([]byte(lu.serial))
	copy(lu.naa[:], sum[:16])
	lu.naa[0] = 0x60 | lu.naa[0]&0x0F
	return lu
}

// Quirks returns the deviations this LU reproduces.
func (lu *LU) Quirks() Quirks { return lu.quirks }

// Registration is one registered I_T nexus as the direct query API shows it.
type Registration struct {
	Nexus   string
	Key     scsi.Key
	AllTgPt bool
}

// ReservationState is the persistent reservation as the query API shows it.
type ReservationState struct {
	Present bool
	Type    scsi.ReservationType
	Scope   uint8
	// Holder is the holding nexus; "" for WE-AR/EA-AR (all registrants hold).
	Holder string
}

// Registrations returns the registrations in registration order.
func (lu *LU) Registrations() []Registration {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	out := make([]Registration, 0, len(lu.regs))
	for _, r := range lu.regs {
		out = append(out, Registration{Nexus: r.nexus, Key: r.key, AllTgPt: r.allTgPt})
	}
	return out
}

// ReservationState returns the current persistent reservation.
func (lu *LU) ReservationState() ReservationState {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	if lu.res == nil {
		return ReservationState{}
	}
	return ReservationState{Present: true, Type: lu.res.typ, Scope: lu.res.scope, Holder: lu.res.holder}
}

// Generation returns PRGENERATION (SPC-4 6.15.2).
func (lu *LU) Generation() uint32 {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	return lu.generation
}

// APTPL reports whether PR state would survive PowerCycle (SPC-4 5.13, APTPL).
func (lu *LU) APTPL() bool {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	return lu.aptpl
}

// MayWrite reports whether a WRITE from nexus would pass the access matrix now.
func (lu *LU) MayWrite(nexus string) bool {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	return lu.mayAccess(nexus, true)
}

// MayRead reports whether a READ from nexus would pass the access matrix now.
func (lu *LU) MayRead(nexus string) bool {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	return lu.mayAccess(nexus, false)
}

// PowerCycle simulates target power loss: PRGENERATION restarts at 0, PR
// state is dropped unless the last APTPL received was 1, pending tasks are
// aborted and every known nexus gets UA 29/00 POWER ON OCCURRED (SPC-4 5.13,
// APTPL; SAM-5 unit attention conditions).
func (lu *LU) PowerCycle() {
	lu.mu.Lock()
	defer lu.mu.Unlock()
	lu.generation = 0
	if !lu.aptpl {
		lu.regs, lu.res = nil, nil
	}
	for _, n := range lu.nexuses {
		n.ua = []UA{{ASC: 0x29, ASCQ: 0x00}}
		n.epoch++
	}
}

// registration returns the registration of nexus, or nil.
func (lu *LU) registration(nexus string) *registration {
	for _, r := range lu.regs {
		if r.nexus == nexus {
			return r
		}
	}
	return nil
}

// isHolder applies SPC-4 5.13 (persistent reservation holder): under WE-AR/EA-AR every registered nexus holds.
func (lu *LU) isHolder(nexus string) bool {
	if lu.res == nil {
		return false
	}
	if lu.res.typ.AllRegistrants() {
		return lu.registration(nexus) != nil
	}
	return lu.res.holder == nexus
}

// mayAccess is the access matrix of SPC-4 table 65 / SBC-4 4.17 for READ and WRITE.
func (lu *LU) mayAccess(nexus string, write bool) bool {
	if lu.res == nil || lu.isHolder(nexus) {
		return true
	}
	registered := lu.registration(nexus) != nil
	switch lu.res.typ {
	case scsi.TypeWriteExclusive:
		return !write
	case scsi.TypeExclusiveAccess:
		return false
	case scsi.TypeWriteExclusiveRegistrantsOnly, scsi.TypeWriteExclusiveAllRegistrants:
		return registered || !write
	case scsi.TypeExclusiveAccessRegistrantsOnly, scsi.TypeExclusiveAccessAllRegistrants:
		return registered
	}
	return false
}

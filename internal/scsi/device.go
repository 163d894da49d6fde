// Package scsi is a hand-written SG_IO layer for SCSI-3 Persistent
// Reservations (SPC-4 5.13, 6.15, 6.16): pure CDB and parameter-list
// builders, bounds-checked response and sense parsers, the Linux SG_IO
// transport, a retry policy, and the Device interface the fence logic uses.
//
// Nothing above this package builds a CDB or sees an sg_io_hdr.
package scsi

import "context"

// Device is one I_T nexus to a logical unit: on Linux, one /dev/sdX path,
// a dm node (forwarded to one path), or /dev/sgN. The operations carry
// SPC-4's own names. Every method returns a *Error (possibly wrapped) for
// SCSI-level failures, so callers use errors.Is with the class sentinels
// (ErrReservationConflict, ErrUnitAttention, ...) and never parse strings.
//
// Implementations: the SG_IO transport (Open), and the in-memory target
// simulator in internal/scsi/sim.
type Device interface {
	// Name is the path the device was opened with, as configured.
	Name() string

	// TestUnitReady sends TEST UNIT READY (SPC-4 6.37).
	TestUnitReady(ctx context.Context) error
	// Inquiry returns the standard INQUIRY data (SPC-4 6.6.2).
	Inquiry(ctx context.Context) (*InquiryData, error)
	// InquiryVPD returns a raw VPD page, bounded by its PAGE LENGTH
	// (0x00 supported pages, 0x80 unit serial number, 0x83 device identification).
	InquiryVPD(ctx context.Context, page byte) ([]byte, error)

	// ReadKeys is PERSISTENT RESERVE IN, READ KEYS (SPC-4 6.15.2). It re-reads
	// with a larger allocation when the key list did not fit.
	ReadKeys(ctx context.Context) (*KeyList, error)
	// ReadReservation is PERSISTENT RESERVE IN, READ RESERVATION (SPC-4 6.15.3).
	ReadReservation(ctx context.Context) (*Reservation, error)
	// ReportCapabilities is PERSISTENT RESERVE IN, REPORT CAPABILITIES (SPC-4 6.15.4).
	ReportCapabilities(ctx context.Context) (*Capabilities, error)
	// ReadFullStatus is PERSISTENT RESERVE IN, READ FULL STATUS (SPC-4 6.15.5).
	ReadFullStatus(ctx context.Context) (*FullStatus, error)

	// Register is PERSISTENT RESERVE OUT, REGISTER (RK = rk, SARK = sark; sark 0 unregisters).
	Register(ctx context.Context, rk, sark Key, opt RegisterOptions) error
	// RegisterAndIgnore is PERSISTENT RESERVE OUT, REGISTER AND IGNORE EXISTING KEY.
	RegisterAndIgnore(ctx context.Context, sark Key, opt RegisterOptions) error
	// Reserve is PERSISTENT RESERVE OUT, RESERVE.
	Reserve(ctx context.Context, rk Key, t ReservationType) error
	// Release is PERSISTENT RESERVE OUT, RELEASE.
	Release(ctx context.Context, rk Key, t ReservationType) error
	// Clear is PERSISTENT RESERVE OUT, CLEAR.
	Clear(ctx context.Context, rk Key) error
	// Preempt is PERSISTENT RESERVE OUT, PREEMPT (RK = own key, SARK = victim key).
	Preempt(ctx context.Context, rk, sark Key, t ReservationType) error
	// PreemptAndAbort is PERSISTENT RESERVE OUT, PREEMPT AND ABORT.
	PreemptAndAbort(ctx context.Context, rk, sark Key, t ReservationType) error

	// Close releases the underlying file descriptor.
	Close() error
}

// RegisterOptions are the flag bits of a REGISTER* parameter list (byte 20).
type RegisterOptions struct {
	// APTPL asks the target to persist all PR state through power loss.
	APTPL bool
	// AllTgPt registers the initiator port on every target port.
	AllTgPt bool
}

package pr

import "context"

// Device is one path to a logical unit (SCSI) or namespace (NVMe) with the
// reservation operations both transports have, in SPC-4's words. Keys and
// types are neutral; the adapters translate them to the transport's
// commands (docs/nvme.md has the table). Every method returns an error
// matching the class sentinels of this package for device-level failures.
type Device interface {
	// Name is the path the device was opened with, as configured.
	Name() string
	// Transport is the command set used.
	Transport() Transport

	// Ready checks that the device answers commands: SCSI TEST UNIT READY;
	// NVMe Identify Namespace (an inactive namespace, size 0, is not ready).
	Ready(ctx context.Context) error
	// Identity names the logical unit or namespace the same way on every
	// path and every host: for SCSI scsi.LUIdentity ("naa.<hex>",
	// "eui.<hex>", "name.<text>", "t10.<text>", "serial.<text>"); for NVMe
	// the names Linux shows in /sys/block/nvmeXnY/wwid ("eui.<NGUID hex>",
	// "eui.<EUI64 hex>"), else "nvme.<SUBNQN>/nsid.<NSID>". An error
	// matching ErrNoIdentity when there is none.
	Identity(ctx context.Context) (string, error)
	// Capabilities reports the reservation capabilities.
	Capabilities(ctx context.Context) (*Capabilities, error)

	// ReadKeys lists the registered keys (SCSI READ KEYS; NVMe Reservation
	// Report, one key per registered host). It never returns a partial list.
	ReadKeys(ctx context.Context) (*KeyList, error)
	// ReadReservation reads the reservation (SCSI READ RESERVATION; NVMe
	// Reservation Report).
	ReadReservation(ctx context.Context) (*Reservation, error)
	// ReadRegistrations lists the registrations with their holders and
	// initiators (SCSI READ FULL STATUS; NVMe Reservation Report).
	ReadRegistrations(ctx context.Context) (*Registrations, error)

	// Register is SCSI's REGISTER: rk is the current key (0: not
	// registered), sark the new key (0: unregister). On NVMe: Register
	// (rk = 0), Unregister (sark = 0) or Replace.
	Register(ctx context.Context, rk, sark Key, opt RegisterOptions) error
	// RegisterAndIgnore registers sark whatever the current key (SCSI
	// REGISTER AND IGNORE EXISTING KEY; NVMe Register, then Replace with
	// IEKEY on a conflict).
	RegisterAndIgnore(ctx context.Context, sark Key, opt RegisterOptions) error
	// Reserve takes the reservation (SCSI RESERVE; NVMe Acquire).
	Reserve(ctx context.Context, rk Key, t Type) error
	// Release releases the reservation held with rk.
	Release(ctx context.Context, rk Key, t Type) error
	// Clear removes every registration and the reservation.
	Clear(ctx context.Context, rk Key) error
	// Preempt removes the registrations of sark (and takes the reservation
	// as t if sark holds it), rk being the sender's own key.
	Preempt(ctx context.Context, rk, sark Key, t Type) error
	// PreemptAndAbort is Preempt that also aborts the preempted initiators'
	// outstanding commands.
	PreemptAndAbort(ctx context.Context, rk, sark Key, t Type) error

	// Close releases the device.
	Close() error
}

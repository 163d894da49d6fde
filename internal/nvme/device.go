package nvme

import (
	"context"
	"errors"
	"syscall"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/clock"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// Device is one NVMe namespace reached through one controller of this host
// (on Linux, a /dev/nvmeXnY block device). Its methods are the reservation
// subset of scsi.Device in NVMe's own terms. Every method returns a *Error
// (possibly wrapped) for NVMe-level failures; callers use errors.Is with the
// class sentinels (pr.ErrReservationConflict, pr.ErrOutcomeUnknown, ...).
//
// Registrations belong to the host (its Host Identifier), not to the
// controller or path: registering through one controller registers the host
// on every controller it has to the namespace.
type Device interface {
	// Name is the path the device was opened with.
	Name() string
	// NSID is the namespace identifier (NVME_IOCTL_ID).
	NSID() uint32

	// Capabilities reads Identify Controller (ONCS) and Identify Namespace (RESCAP, NMIC).
	Capabilities(ctx context.Context) (*Capabilities, error)
	// HostID reads the controller's 128-bit Host Identifier (Get Features 81h).
	HostID(ctx context.Context) (HostID, error)
	// Report is Reservation Report with EDS=1, re-read with a larger buffer
	// when the registrant list did not fit.
	Report(ctx context.Context) (*Report, error)

	// Register is Reservation Register, Register Reservation Key: it succeeds
	// if this host is unregistered, or already registered with nrkey.
	Register(ctx context.Context, nrkey Key, opt RegisterOptions) error
	// RegisterAndIgnore registers nrkey whatever this host's current key
	// (SCSI's REGISTER AND IGNORE EXISTING KEY): Register, and on a conflict
	// Replace with IEKEY=1.
	RegisterAndIgnore(ctx context.Context, nrkey Key, opt RegisterOptions) error
	// Unregister is Reservation Register, Unregister Reservation Key (CRKEY checked).
	Unregister(ctx context.Context, crkey Key) error
	// Replace is Reservation Register, Replace Reservation Key (CRKEY checked).
	Replace(ctx context.Context, crkey, nrkey Key, opt RegisterOptions) error

	// Acquire is Reservation Acquire, Acquire.
	Acquire(ctx context.Context, crkey Key, t ReservationType) error
	// Preempt is Reservation Acquire, Preempt: unregister the hosts holding
	// prkey and, if prkey is the holder's key, take the reservation as type t.
	Preempt(ctx context.Context, crkey, prkey Key, t ReservationType) error
	// PreemptAndAbort is Preempt that also aborts the preempted hosts' commands.
	PreemptAndAbort(ctx context.Context, crkey, prkey Key, t ReservationType) error
	// Release is Reservation Release, Release.
	Release(ctx context.Context, crkey Key, t ReservationType) error
	// Clear is Reservation Release, Clear: every registration and the reservation go.
	Clear(ctx context.Context, crkey Key) error

	// Close releases the file descriptor.
	Close() error
}

// Defaults of DeviceOptions.
const (
	DefaultTimeout             = 30 * time.Second // the kernel's default I/O timeout
	DefaultMaxBusyRetries      = 32
	DefaultMaxTransientRetries = 2
	DefaultBackoffMin          = 50 * time.Millisecond
	DefaultBackoffMax          = 2 * time.Second
)

// DeviceOptions tunes a Device built by NewDevice; the zero value gives the defaults.
type DeviceOptions struct {
	// Timeout bounds each command in the kernel (timeout_ms); 0 means DefaultTimeout.
	Timeout time.Duration
	// Log, if set, receives debug lines (commands sent, statuses, retries), as a format and its
	// arguments (not *slog.Logger: the watchdog check links this package and no
	// logging library).
	Log func(format string, args ...any)
	// Sleep waits between retries; nil means a timer bounded by ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxBusyRetries bounds retries of "try again later" statuses (namespace
	// not ready, command interrupted, ANA transition); MaxTransientRetries
	// those of transport failures of commands that change nothing. 0 means
	// the default, negative disables.
	MaxBusyRetries, MaxTransientRetries int
	// BackoffMin and BackoffMax bound the exponential backoff.
	BackoffMin, BackoffMax time.Duration
	// ReportLen is the first Reservation Report buffer; 0 means DefaultReportLen.
	ReportLen int
}

func (o DeviceOptions) withDefaults() DeviceOptions {
	def := func(v *int, d int) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	def(&o.MaxBusyRetries, DefaultMaxBusyRetries)
	def(&o.MaxTransientRetries, DefaultMaxTransientRetries)
	def(&o.ReportLen, DefaultReportLen)
	o.ReportLen = min(max(o.ReportLen, ReportHeaderLen), MaxReportLen)
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.BackoffMin <= 0 {
		o.BackoffMin = DefaultBackoffMin
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = DefaultBackoffMax
	}
	if o.Sleep == nil {
		o.Sleep = clock.Sleep
	}
	return o
}

// device implements Device on a Transport.
type device struct {
	name string
	t    Transport
	opt  DeviceOptions
}

// NewDevice returns a Device named name that sends its commands through t.
func NewDevice(name string, t Transport, opt DeviceOptions) Device {
	return &device{name: name, t: t, opt: opt.withDefaults()}
}

func (d *device) Name() string { return d.name }
func (d *device) NSID() uint32 { return d.t.NSID() }
func (d *device) Close() error { return d.t.Close() }

func (d *device) logf(format string, args ...any) {
	if d.opt.Log != nil {
		d.opt.Log(format, args...)
	}
}

// timeoutMS is Timeout shortened to the ctx deadline (at least 1s), in ms.
func (d *device) timeoutMS(ctx context.Context) uint32 {
	t := d.opt.Timeout
	if dl, ok := ctx.Deadline(); ok {
		t = min(t, max(time.Until(dl), time.Second))
	}
	return uint32(min(t.Milliseconds(), int64(^uint32(0))))
}

// exec sends cmd under the retry policy.
func (d *device) exec(ctx context.Context, op string, cmd *Command) (Completion, error) {
	b := retryBudget{opt: &d.opt}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return Completion{}, &Error{Op: op, Device: d.name, Class: ctxClass(err), Errno: err,
				Detail: "not sent: " + err.Error()}
		}
		cmd.TimeoutMS = d.timeoutMS(ctx)
		d.logf("%s %s: attempt %d opcode 0x%02x nsid %d cdw10 0x%08x cdw11 0x%08x data %d bytes",
			op, d.name, attempt, cmd.Opcode, cmd.NSID, cmd.CDW10, cmd.CDW11, len(cmd.Data))
		c, err := d.t.Execute(ctx, cmd)
		e := d.classify(op, cmd, c, err)
		if e == nil {
			return c, nil
		}
		retry, wait := b.next(retryKindOf(e))
		if !retry {
			return c, e
		}
		d.logf("%s %s: retrying after %v: %v", op, d.name, wait, e)
		if err := d.opt.Sleep(ctx, wait); err != nil {
			return c, e
		}
	}
}

// classify turns a completion or transport error into an *Error (nil on success).
func (d *device) classify(op string, cmd *Command, c Completion, err error) *Error {
	var e *Error
	if err != nil {
		e = classifyExecErr(err)
	} else {
		d.logf("%s %s: %s result 0x%x", op, d.name, c.Status, c.Result)
		class := ClassifyStatus(c.Status)
		if class == nil {
			return nil
		}
		e = &Error{Status: c.Status, Completed: true, Class: class, Detail: statusDetail(c.Status)}
		e.OutcomeUnknown = outcomeUnknownClass(class)
	}
	e.Op, e.Device = op, d.name
	e.OutcomeUnknown = e.OutcomeUnknown && cmd.HostToController()
	return e
}

// classifyExecErr maps a Transport.Execute error: an *Error is kept, ctx
// errors mean the command was in flight, errnos were checked before sending
// except EINTR (Linux: the request was cancelled, e.g. after a timeout).
func classifyExecErr(err error) *Error {
	var ne *Error
	if errors.As(err, &ne) {
		c := *ne
		return &c
	}
	e := &Error{Errno: err, Class: pr.ErrTransport}
	var errno syscall.Errno
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		e.Class, e.OutcomeUnknown = ctxClass(err), true
		e.Detail = "stopped waiting while the command was in flight"
	case errors.As(err, &errno):
		switch errno {
		case syscall.EINTR:
			e.Class, e.OutcomeUnknown = pr.ErrAborted, true
			e.Detail = "cancelled by the kernel (timeout or controller reset)"
		case syscall.ENOTTY:
			e.Class, e.Detail = ErrNotSupported, "not an NVMe namespace (ENOTTY)"
		case syscall.EACCES, syscall.EPERM:
			e.Detail = "NVMe passthrough needs CAP_SYS_ADMIN: " + errno.Error()
		}
	default:
		e.OutcomeUnknown = true
	}
	return e
}

func ctxClass(err error) error {
	if errors.Is(err, context.Canceled) {
		return pr.ErrAborted
	}
	return pr.ErrTimeout
}

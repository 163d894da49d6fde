package scsi

import (
	"context"
	"fmt"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/clock"
)

// DefaultTimeout is the per-command timeout, as sg_persist uses (sg3_utils src/sg_persist.c: 60 s).
const DefaultTimeout = 60 * time.Second

// DefaultReadKeysAlloc is the first READ KEYS / READ FULL STATUS allocation
// length, sg_persist's 8192 (sg3_utils src/sg_persist.c).
const DefaultReadKeysAlloc = 8192

// MaxPRInAlloc is the largest useful PR IN allocation length: 8 + 8·8190 (16-bit ALLOCATION LENGTH, SPC-4 6.15.1).
const MaxPRInAlloc = 65528

// prInMaxReads bounds the READ KEYS / READ FULL STATUS reads of a list that
// the target says was cut (docs/pr-notes.md): the first read and two re-reads.
const prInMaxReads = 3

// DeviceOptions tunes a Device built by NewDevice; the zero value gives the defaults.
type DeviceOptions struct {
	// Timeout bounds each command in the kernel (SG_IO timeout); 0 means DefaultTimeout.
	Timeout time.Duration
	// Log, if set, receives debug lines (CDBs sent, results, retries), as a format and its
	// arguments (not *slog.Logger: the watchdog check links this package and no
	// logging library).
	Log func(format string, args ...any)
	// Sleep waits between retries; nil means a timer bounded by ctx. Tests inject it.
	Sleep func(ctx context.Context, d time.Duration) error
	// MaxUARetries, MaxBusyRetries and MaxTransientRetries bound the retry
	// policy; 0 means the Default* value and a negative value disables retries.
	MaxUARetries, MaxBusyRetries, MaxTransientRetries int
	// BackoffMin and BackoffMax bound the exponential backoff; 0 means the Default* value.
	BackoffMin, BackoffMax time.Duration
	// ReadKeysAlloc is the first READ KEYS allocation length; 0 means DefaultReadKeysAlloc.
	ReadKeysAlloc int
}

// withDefaults fills the zero fields of o.
func (o DeviceOptions) withDefaults() DeviceOptions {
	def := func(v *int, d int) {
		switch {
		case *v == 0:
			*v = d
		case *v < 0:
			*v = 0
		}
	}
	def(&o.MaxUARetries, DefaultMaxUARetries)
	def(&o.MaxBusyRetries, DefaultMaxBusyRetries)
	def(&o.MaxTransientRetries, DefaultMaxTransientRetries)
	def(&o.ReadKeysAlloc, DefaultReadKeysAlloc)
	o.ReadKeysAlloc = min(max(o.ReadKeysAlloc, 8), MaxPRInAlloc)
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

// device implements Device on a Transport: builders below, parsers above,
// the retry policy in between.
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

func (d *device) Close() error { return d.t.Close() }

func (d *device) logf(format string, args ...any) {
	if d.opt.Log != nil {
		d.opt.Log(format, args...)
	}
}

// fail fills the Op and Device of an error from a parser.
func (d *device) fail(op string, err error) error {
	if e, ok := err.(*Error); ok {
		e.Op, e.Device = op, d.name
	}
	return err
}

// cmdTimeout is the SG_IO timeout: Timeout, shortened to the ctx deadline (at least 1s).
func (d *device) cmdTimeout(ctx context.Context) time.Duration {
	t := d.opt.Timeout
	if dl, ok := ctx.Deadline(); ok {
		t = min(t, max(time.Until(dl), time.Second))
	}
	return t
}

// exec sends cmd under the retry policy and returns the valid data-in bytes.
func (d *device) exec(ctx context.Context, op string, cmd *Command) ([]byte, error) {
	prOut := cmd.Direction == DirToDevice
	b := retryBudget{opt: &d.opt}
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			e := classifyExecErr(err)
			e.Op, e.Device, e.OutcomeUnknown = op, d.name, false // not sent
			e.Detail = "not sent: " + err.Error()
			return nil, e
		}
		cmd.Timeout = d.cmdTimeout(ctx)
		// Guarded here, not only in logf: boxing the arguments allocates
		// even when nobody logs, on every command of every run.
		if d.opt.Log != nil {
			d.logf("%s %s: attempt %d cdb [% x] data-out [% x] data-in %d", op, d.name, attempt, cmd.CDB, cmd.DataOut, cmd.DataInLen)
		}
		res, err := d.t.Execute(ctx, cmd)
		var e *Error
		switch {
		case err != nil:
			e = classifyExecErr(err)
		default:
			if d.opt.Log != nil {
				d.logf("%s %s: status 0x%02x host 0x%02x driver 0x%02x resid %d sense [% x]",
					op, d.name, res.Status, res.HostStatus, res.DriverStatus, res.Resid, res.Sense)
			}
			e = Classify(res)
			if e == nil {
				return d.validData(op, cmd, res)
			}
			// A deferred error belongs to an earlier command: this one did not run.
			deferred := e.Sense != nil && e.Sense.Deferred
			e.OutcomeUnknown = prOut && outcomeUnknownClass(e.Class) && !deferred
		}
		e.Op, e.Device = op, d.name
		e.OutcomeUnknown = e.OutcomeUnknown && prOut
		retry, wait := b.next(classifyRetry(e))
		if !retry {
			return nil, e
		}
		d.logf("%s %s: retrying after %v: %v", op, d.name, wait, e)
		if wait > 0 {
			if err := d.opt.Sleep(ctx, wait); err != nil {
				return nil, e
			}
		}
	}
}

// validData bounds DataIn by the clamped residual (docs/pr-notes.md, "Short data"); a PR OUT whose
// parameter list was not fully taken has an unknown outcome.
func (d *device) validData(op string, cmd *Command, res *Result) ([]byte, error) {
	if cmd.Direction == DirToDevice {
		if res.Resid > 0 {
			return nil, &Error{Op: op, Device: d.name, Class: ErrTransport, OutcomeUnknown: true,
				Detail: fmt.Sprintf("parameter list not fully transferred (resid %d)", res.Resid)}
		}
		return nil, nil
	}
	// Transferred = dxfer_len - resid, resid clamped to [0, dxfer_len]; and
	// never more than the buffer the transport handed back.
	n := cmd.DataInLen - min(max(res.Resid, 0), cmd.DataInLen)
	return res.DataIn[:min(n, len(res.DataIn))], nil
}

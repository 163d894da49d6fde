package nvme

import (
	"context"
	"errors"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// The Device methods: one builder, one exec, one parser each.

func (d *device) Capabilities(ctx context.Context) (*Capabilities, error) {
	const op = "identify"
	cmd := IdentifyCmd(0, CNSController)
	if _, err := d.exec(ctx, op, cmd); err != nil {
		return nil, err
	}
	ctrl, err := ParseIdentifyController(cmd.Data)
	if err != nil {
		return nil, d.fail(op, err)
	}
	cmd = IdentifyCmd(d.NSID(), CNSNamespace)
	if _, err := d.exec(ctx, op, cmd); err != nil {
		return nil, err
	}
	ns, err := ParseIdentifyNamespace(cmd.Data)
	if err != nil {
		return nil, d.fail(op, err)
	}
	return &Capabilities{
		Reservations: ctrl.ONCS&ONCSReservations != 0,
		RESCAP:       ns.RESCAP,
		Shared:       ns.NMIC&1 != 0,
		ControllerID: ctrl.ControllerID,
		Controller:   ctrl,
		Namespace:    ns,
	}, nil
}

func (d *device) HostID(ctx context.Context) (HostID, error) {
	const op = "get-features-host-id"
	cmd := HostIDCmd()
	if _, err := d.exec(ctx, op, cmd); err != nil {
		return HostID{}, err
	}
	h, err := ParseHostID(cmd.Data)
	return h, d.fail(op, err)
}

// reportMaxReads bounds the reads of a registrant list that keeps growing.
const reportMaxReads = 3

func (d *device) Report(ctx context.Context) (*Report, error) {
	const op = "reservation-report"
	n := d.opt.ReportLen
	for read := 1; ; read++ {
		cmd := ReportCmd(d.NSID(), n)
		if _, err := d.exec(ctx, op, cmd); err != nil {
			return nil, err
		}
		r, err := ParseReport(cmd.Data)
		if err != nil {
			return nil, d.fail(op, err)
		}
		need := min(ReportHeaderLen+r.NumRegistered*RegistrantExtLen, MaxReportLen)
		if !r.Partial || need <= len(cmd.Data) || read == reportMaxReads {
			return r, nil
		}
		d.logf("%s %s: %d registered controllers, re-reading with %d bytes", op, d.name, r.NumRegistered, need)
		n = need
	}
}

// fail fills the Op and Device of an error from a parser.
func (d *device) fail(op string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		e.Op, e.Device = op, d.name
		return e
	}
	return err
}

// run sends one reservation command and drops the completion.
func (d *device) run(ctx context.Context, op string, cmd *Command) error {
	_, err := d.exec(ctx, op, cmd)
	return err
}

func (d *device) Register(ctx context.Context, nrkey Key, opt RegisterOptions) error {
	return d.run(ctx, "register", RegisterCmd(d.NSID(), actRegister, false, opt.PTPL, 0, nrkey))
}

// registerAndIgnoreTries bounds RegisterAndIgnore: Register, Replace, and
// Register again if this host was preempted between the two.
const registerAndIgnoreTries = 3

func (d *device) RegisterAndIgnore(ctx context.Context, nrkey Key, opt RegisterOptions) error {
	var err error
	for i := range registerAndIgnoreTries {
		if i%2 == 0 {
			err = d.Register(ctx, nrkey, opt)
		} else {
			err = d.run(ctx, "replace-ignore-existing-key", RegisterCmd(d.NSID(), actReplace, true, opt.PTPL, 0, nrkey))
		}
		if !errors.Is(err, pr.ErrReservationConflict) {
			return err
		}
	}
	return err
}

func (d *device) Unregister(ctx context.Context, crkey Key) error {
	return d.run(ctx, "unregister", RegisterCmd(d.NSID(), actUnregister, false, PTPLNoChange, crkey, 0))
}

func (d *device) Replace(ctx context.Context, crkey, nrkey Key, opt RegisterOptions) error {
	return d.run(ctx, "replace", RegisterCmd(d.NSID(), actReplace, false, opt.PTPL, crkey, nrkey))
}

func (d *device) Acquire(ctx context.Context, crkey Key, t ReservationType) error {
	return d.run(ctx, "acquire", AcquireCmd(d.NSID(), actAcquire, t, crkey, 0))
}

func (d *device) Preempt(ctx context.Context, crkey, prkey Key, t ReservationType) error {
	return d.run(ctx, "preempt", AcquireCmd(d.NSID(), actPreempt, t, crkey, prkey))
}

func (d *device) PreemptAndAbort(ctx context.Context, crkey, prkey Key, t ReservationType) error {
	return d.run(ctx, "preempt-and-abort", AcquireCmd(d.NSID(), actPreemptAndAbort, t, crkey, prkey))
}

func (d *device) Release(ctx context.Context, crkey Key, t ReservationType) error {
	return d.run(ctx, "release", ReleaseCmd(d.NSID(), actRelease, t, crkey))
}

func (d *device) Clear(ctx context.Context, crkey Key) error {
	return d.run(ctx, "clear", ReleaseCmd(d.NSID(), actClear, TypeNone, crkey))
}

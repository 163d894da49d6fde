package fence

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys/nodekey"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/texts"
)

// The errors of the actions. Their texts are in package texts.

// ErrNoDevices is fence_scsi's error for an empty device list.
var ErrNoDevices = errors.New(texts.NoDevices)

// ErrSharedDevices is fence_scsi's error when vgs fails.
var ErrSharedDevices = errors.New(texts.SharedDevices)

// ErrSelfFence is returned by Off when the victim's key is the fencer's own.
var ErrSelfFence = errors.New(texts.SelfFence)

// ErrTimeout is returned when the context ends during an action.
var ErrTimeout = nodekey.ErrCommandTimeout

// errRaceStopped marks a unit not worked on because the race was lost on another.
var errRaceStopped = errors.New(texts.RaceStopped)

// DeviceProblem says why a device cannot be used.
type DeviceProblem int

// The problems of a DeviceError.
const (
	DeviceMissing               DeviceProblem = iota // the path does not exist
	DeviceNotBlock                                   // not a block device
	DeviceNoPR                                       // no persistent reservations (pr.ErrNotSupported)
	DeviceKeysUnreadable                             // READ KEYS (or the open) failed
	DeviceReservationUnreadable                      // READ RESERVATION failed
	DevicePathsUnknown                               // a device-mapper node whose paths cannot be listed
	DeviceNoPaths                                    // a device-mapper node without paths
)

// deviceTexts are the messages of the problems; showsCause says which of
// them are followed by ": " and the cause.
var deviceTexts = [...]struct {
	format     string
	showsCause bool
}{
	DeviceMissing:               {texts.DeviceMissing, false},
	DeviceNotBlock:              {texts.DeviceNotBlock, false},
	DeviceNoPR:                  {texts.DeviceNoPR, true},
	DeviceKeysUnreadable:        {texts.DeviceKeys, true},
	DeviceReservationUnreadable: {texts.DeviceResvKey, true},
	DevicePathsUnknown:          {texts.DevicePathsUnknown, true},
	DeviceNoPaths:               {texts.DeviceNoPaths, false},
}

// DeviceError is a configured device that cannot be fenced through: the
// action stops at it.
type DeviceError struct {
	Device  string // the path as configured (a dm node for PathsUnknown, NoPaths)
	Problem DeviceProblem
	Err     error // the cause, if any (errors.Is sees it)
}

func (e *DeviceError) Error() string {
	t := deviceTexts[e.Problem]
	msg := fmt.Sprintf(t.format, e.Device)
	if t.showsCause && e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *DeviceError) Unwrap() error { return e.Err }

// statBlockDevice is fence_scsi's is_block_device; it also returns what
// stat said.
func statBlockDevice(stat func(string) (fs.FileInfo, error), path string) (fs.FileInfo, error) {
	fi, err := stat(path)
	if err != nil {
		return nil, &DeviceError{Device: path, Problem: DeviceMissing, Err: err}
	}
	if fi.Mode()&fs.ModeType != fs.ModeDevice {
		return nil, &DeviceError{Device: path, Problem: DeviceNotBlock}
	}
	return fi, nil
}

// VerifyError is fence_scsi's "Failed to verify N device(s)": the action ran
// but the read-back did not show the wanted state on N devices. Unlike the
// other failures, fence_scsi does not follow it with the usage line.
type VerifyError struct{ Devices int }

func (e *VerifyError) Error() string { return fmt.Sprintf(texts.VerifyFailed, e.Devices) }

// LostError is Off's answer when this node's own key is not registered on a
// logical unit: another node has fenced this one (or it was never unfenced
// there). The node has lost any fencing race; it stops at once and never
// registers its key again during the race, so the other side's fence holds.
type LostError struct {
	Device string
	Key    pr.Key
}

func (e *LostError) Error() string { return fmt.Sprintf(texts.Lost, keys.Format(e.Key), e.Device) }

// NexusError is Off's answer when this node's key is registered on the
// logical unit, but not through the I_T nexus the agent uses (the session was
// re-established, e.g. an iSCSI re-login with a new ISID): the node cannot
// preempt or reserve through it. fence_scsi HEAD registers the key again
// here; during a fencing race that registration can bring back a node that
// the other side has just fenced, so Off refuses instead, and `on` (which
// registers through the current nexus and purges the stale one) fixes it.
type NexusError struct {
	Device string
	Key    pr.Key
}

func (e *NexusError) Error() string {
	return fmt.Sprintf(texts.OtherNexus, keys.Format(e.Key), e.Device)
}

// UnreservedError is Off's answer for a logical unit without a reservation
// that this node cannot reserve because its key is not registered there:
// every initiator may write it, so no node can be reported off.
type UnreservedError struct {
	Device string
	Key    pr.Key
	NoKey  bool // this node has no key file (never unfenced)
}

func (e *UnreservedError) Error() string {
	if e.NoKey {
		return fmt.Sprintf(texts.UnreservedNoKey, e.Device)
	}
	return fmt.Sprintf(texts.Unreserved, e.Device, keys.Format(e.Key))
}

// timeoutError is the context ending during an action.
type timeoutError struct{ cause error }

func (e timeoutError) Error() string        { return ErrTimeout.Error() }
func (e timeoutError) Is(target error) bool { return target == ErrTimeout }
func (e timeoutError) Unwrap() error        { return e.cause }

// Package fence runs fence_scsi's actions (on, off, status) on a set of
// devices through the transport-neutral pr.Device interface (SCSI LUNs and
// NVMe namespaces alike), with the sequences of
// fence_scsi's upstream HEAD: register-and-ignore, a self-preempt to purge
// stale registrations after an I_T nexus change, reserve type 5 only if no
// reservation exists, and verification by reading back.
//
// The devices of one action are processed concurrently by a bounded worker
// pool; results are collected per device and reported in configured order,
// so the outcome and the messages are those of fence_scsi's sequential loop.
package fence

import (
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode"

	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/prdev"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
	"github.com/fence-scsi-go/fence_scsi_go/internal/texts"
)

// DefaultParallelism bounds the number of devices worked on at once.
const DefaultParallelism = 16

// Options configures an action. The zero value of every field selects
// fence_scsi's default.
type Options struct {
	// Open opens one device path; readOnly asks for O_RDONLY (PR IN only).
	// The default is prdev.Open (SCSI, or NVMe for NVMe namespaces and dm
	// nodes on them); tests pass simulator devices.
	Open func(path string, readOnly bool) (pr.Device, error)
	// ReadOnly opens devices read-only for Status (fence_scsi's readonly
	// option). On and Off send PR OUT and always open read-write.
	ReadOnly bool
	// APTPL sets the APTPL bit on every registration (fence_scsi's aptpl).
	APTPL bool
	// MpathRegisterMethod is "multi" (default when empty: register through
	// every path of a dm-multipath device) or anything else, which registers
	// through the dm node, as fence_scsi's mpath_register_method.
	MpathRegisterMethod string
	// Parallelism bounds the devices worked on concurrently (default DefaultParallelism).
	Parallelism int
	// Store holds the key and dev files (an empty path means state.Default's).
	Store state.Store
	// Log receives fence_scsi's log lines. May be nil.
	Log *slog.Logger
	// SysfsRoot is where /sys is mounted (default "/sys").
	SysfsRoot string
	// Stat is os.Stat unless replaced (tests use fake device paths).
	Stat func(path string) (fs.FileInfo, error)
	// Realpath resolves symbolic links like Python's os.path.realpath
	// (default: filepath.EvalSymlinks, or the path itself if that fails).
	Realpath func(path string) (string, error)
	// RaceYield is how long Off waits, on the first logical unit of the
	// race, before preempting a victim that has priority there (the
	// victim holds the reservation, or nobody does and the victim's key is
	// the lower): see yields in off.go. Zero (fence_scsi's behaviour) never
	// waits; the command sets DefaultRaceYield.
	RaceYield time.Duration
	// Memo, if not nil, hands READ KEYS answers from one action to the
	// next of the same process (see KeyMemo). nil: every action reads.
	Memo *KeyMemo
	// PrefetchIdentity makes Status read the identity of each device
	// (pr.Device.Identity) right after its keys when it checks several:
	// the agent sets it for the status read before off, whose devices it
	// keeps open for off (and caches their identity), so that off's
	// validation pass sends nothing and the devices' two reads run back to
	// back instead of in two passes. A failure is only logged: Status's
	// answer does not depend on it.
	PrefetchIdentity bool
	// PrefetchReservation makes Status read each device's keys and
	// reservation in one command (READ FULL STATUS; NVMe: one Reservation
	// Report) instead of READ KEYS: the agent sets it for the status read
	// before off, whose answers reach off through Memo, so that off's
	// priority check on its first logical unit (see yield in off.go) sends
	// no READ RESERVATION. Where the device refuses READ FULL STATUS, Status
	// reads the keys with READ KEYS (readStatus in off.go).
	PrefetchReservation bool
}

// DefaultRaceYield is the command's Options.RaceYield. It is far longer
// than one PREEMPT AND ABORT takes on any target, and short beside the
// fence timeouts Pacemaker uses (power_timeout 20 s, stonith-timeout 60 s).
const DefaultRaceYield = 2 * time.Second

func (o Options) withDefaults() Options {
	if o.MpathRegisterMethod == "" {
		o.MpathRegisterMethod = "multi"
	}
	if o.Parallelism <= 0 {
		o.Parallelism = DefaultParallelism
	}
	if o.Store.KeyFile == "" {
		o.Store.KeyFile = state.Default.KeyFile
	}
	if o.Store.DevFile == "" {
		o.Store.DevFile = state.Default.DevFile
	}
	o.Log = logging.OrDiscard(o.Log)
	if o.SysfsRoot == "" {
		o.SysfsRoot = "/sys"
	}
	if o.Stat == nil {
		o.Stat = os.Stat
	}
	if o.Realpath == nil {
		o.Realpath = func(p string) (string, error) {
			if r, err := filepath.EvalSymlinks(p); err == nil {
				return r, nil
			}
			return filepath.Clean(p), nil
		}
	}
	if o.Open == nil {
		sysfs, realpath := o.SysfsRoot, o.Realpath
		o.Open = func(path string, readOnly bool) (pr.Device, error) {
			return prdev.Open(path, prdev.Options{ReadOnly: readOnly, SysfsRoot: sysfs, Realpath: realpath})
		}
	}
	return o
}

// OffResult says what Off did.
type OffResult int

// Results of Off: stdout "Success: Powered OFF" or "Success: Already OFF".
const (
	PoweredOff OffResult = iota
	AlreadyOff
)

func (r OffResult) String() string {
	if r == AlreadyOff {
		return texts.AlreadyOff
	}
	return texts.PoweredOff
}

// ParseDevices splits the devices option as fence_scsi HEAD does: on commas
// and whitespace, dropping empty items.
func ParseDevices(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
}

package fenceproto

import (
	"context"
	"log/slog"
)

// Options is the parsed and checked input of one agent run.
type Options struct {
	Action string // on, off, status, monitor, list, list-status, validate-all (enable/disable already mapped)

	Devices string // raw --devices value ("" if not given)
	Key     string // lower-case hex without leading zeros; set before On/Off/Status
	Plug    string // node name (nodename wins over plug)

	Aptpl               bool
	Readonly            bool
	MpathRegisterMethod string // "multi" (default) or anything else (treated as single by fence_scsi)
	KeyValue            string // "id" or "hash"

	// Seconds, as given (may be negative). A timeout of 0 means no limit;
	// timeouts are 0 when disable_timeout applies (Pacemaker).
	Delay, PowerTimeout, ShellTimeout, LoginTimeout int
	PowerWait, StonithStatusSleep, RetryOn          int

	CorosyncCmapPath string
	VgsPath          string

	Logfile, DebugFile string
	Quiet, Verbose     bool

	// Raw holds every option that was given or defaulted, by fence_scsi's
	// internal name ("port", "debug", "suppress-errors", ...), including
	// those no field above carries (sg_persist_path and sg_turs_path, accepted
	// and unused; suppress-errors; verbose_level; plug_separator).
	Raw map[string]string

	// Log is the agent's logger (Logger.Slog); backends log through it.
	Log *slog.Logger
}

// Backend carries out the storage side of each action. The front end
// knows nothing about persistent reservations. Errors should be *Error
// values with fence_scsi's texts; any other error is logged as one ERROR
// line. Every method may be called concurrently with logging.
type Backend interface {
	// DeriveKey computes the key of node (fence_scsi.py's generate_key) as hex digits.
	DeriveKey(ctx context.Context, o *Options, node string) (string, error)
	// Devices returns the devices to act on: o.Devices split on commas and
	// whitespace, or auto-detected shared VG devices when empty.
	Devices(ctx context.Context, o *Options) ([]string, error)
	// Status reports whether key is registered: on every device when all
	// is set (the check before and after "on"), else on at least one.
	Status(ctx context.Context, o *Options, devices []string, key string, all bool) (bool, error)
	// On registers key on every device and makes sure a reservation exists
	// (the set step of "on"), writing the state files. A verification
	// failure is a plain *Error: "Failed to verify N device(s)".
	On(ctx context.Context, o *Options, devices []string, key string) error
	// Off removes victimKey from every device (the set step of "off"),
	// preempting with the local key read from the key file; it returns
	// UsageErrorf("Failed: keys cannot be same. You can not fence
	// yourself.") when the two are equal. When Status found victimKey on
	// no device, Off is still called, and must return nil only if the
	// victim cannot write any device (every one reserved); the front end
	// then prints "Success: Already OFF".
	Off(ctx context.Context, o *Options, devices []string, victimKey string) error
	// Monitor checks the agent can work on this node (fence_scsi.py's monitor action): the
	// key and dev files are readable. A missing file is a one-line
	// error, e.g. `Failed: Cannot open file "/var/run/cluster.dev"`,
	// where fence_scsi shows a traceback.
	Monitor(ctx context.Context, o *Options) error
}

// Package check is fence_scsi's watchdog mode (fence_scsi_check and
// fence_scsi_check_hardreboot, fence_scsi.py's scsi_check): run by the watchdog daemon every
// interval, it exits 0 while this node's key is registered on at least one
// of the devices it unfenced, and 2 (or reboots at once, in the hardreboot
// variant) when the key is gone, i.e. when another node fenced it.
//
// Differences from fence_scsi's Python check, on purpose: devices are
// opened read-only (a read-write open triggers udev change events), keys
// are compared as numbers, and a start costs a few milliseconds of CPU
// instead of a Python interpreter.
//
// The package is built into a binary of its own, cmd/fence_scsi_check, whose
// every start the watchdog pays: it and what it imports stay free of
// log/slog, regexp and the crypto packages (TestLeanImports).
package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
	"github.com/fence-scsi-go/fence_scsi_go/internal/texts"
)

// ConfigFile is where fence_scsi's check reads its settings, on every distribution.
const ConfigFile = "/etc/sysconfig/stonith"

// CommandTimeout bounds each device read, as fence_scsi's check sets power_timeout=5.
const CommandTimeout = 5 * time.Second

// Exit codes of the check.
const (
	ExitOK       = 0 // key found, or node not configured
	ExitError    = 1 // a device read timed out with retry=0 (fence_scsi's timeout handler)
	ExitNotFound = 2 // key on no device
)

// Env is what one check run touches, so tests can replace each part.
type Env struct {
	Args       []string // argv: "repair N" is the watchdog's repair call
	Stderr     io.Writer
	ConfigFile string
	Store      state.Store
	// Open opens a device read-only.
	Open func(path string) (pr.Device, error)
	// Sleep waits between retries (clock.Sleep; the check has no deadline).
	Sleep func(ctx context.Context, d time.Duration) error
	// Reboot restarts the machine at once (hardreboot variant).
	Reboot func() error
	// HardReboot selects fence_scsi_check_hardreboot.
	HardReboot bool
	// Log receives the check's lines, each a complete message and whether it
	// is a debug line; debug lines only when the config file says
	// verbose=yes. Nil: Python logging's default format ("ERROR:root:...",
	// "DEBUG:root:...") on Stderr, as fence_scsi's check writes.
	Log func(debug bool, msg string)
}

// logger formats the check's lines for Env.Log.
type logger struct {
	out     func(debug bool, msg string)
	verbose bool
}

func (l logger) errorf(format string, args ...any) { l.out(false, fmt.Sprintf(format, args...)) }

func (l logger) debugf(format string, args ...any) {
	if l.verbose {
		l.out(true, fmt.Sprintf(format, args...))
	}
}

// settings are the lower-cased name=value pairs of the config file.
type settings map[string]string

func readSettings(path string) settings {
	s := settings{"retry": "0", "retry-sleep": "1"}
	b, err := os.ReadFile(path)
	if err != nil {
		return s
	}
	return parseSettings(s, b)
}

// pythonLog writes each line in Python logging's default format, as
// fence_scsi's check does: "DEBUG:root:" for debug lines, "ERROR:root:"
// for the others (the check logs nothing in between), the message, a
// newline.
func pythonLog(w io.Writer) func(debug bool, msg string) {
	return func(debug bool, msg string) {
		prefix := texts.CheckError
		if debug {
			prefix = texts.CheckDebug
		}
		io.WriteString(w, prefix+msg+"\n")
	}
}

// Run performs one check and returns the exit code.
func Run(env Env) int {
	log := logger{out: env.Log}
	if log.out == nil {
		log.out = pythonLog(env.Stderr)
	}
	if len(env.Args) >= 3 && env.Args[1] == "repair" {
		return repair(env.Args[2], log)
	}
	set := readSettings(env.ConfigFile)
	log.verbose = set["verbose"] == "yes"
	_, suppress := set["--suppress-errors"]

	devs, err := env.Store.ReadDevices()
	if err != nil && !suppress {
		log.errorf("%s\n", err)
	}
	if len(devs) == 0 {
		if !suppress {
			log.errorf(texts.CheckNoDevices)
		}
		return ExitOK
	}
	key, err := env.Store.ReadKey()
	if err != nil {
		var fe *state.FileError
		if errors.As(err, &fe) {
			log.errorf("%s\n", err)
			log.errorf(texts.CheckKeyNotFound)
			return ExitOK
		}
		// A key file that holds no valid key can never match a device.
		log.errorf("%s", err)
		return notFound(env, log, "")
	}
	return findKey(env, log, set, devs, key)
}

// repair answers the watchdog's repair call ("repair N", N the failed
// test's exit code): returning it non-zero makes the watchdog reboot. An
// exit status is 8 bits: 256 would become 0, so codes beyond 0...255 give 1.
func repair(code string, log logger) int {
	n, err := strconv.Atoi(code)
	if err != nil || n < 0 || n > 255 {
		log.errorf(texts.CheckBadRepair, code)
		return ExitError
	}
	return n
}

// findKey looks for key on devs in order, each read up to 1+retry times,
// and returns the exit code.
func findKey(env Env, log logger, set settings, devs []string, key pr.Key) int {
	retry, sleep := retryPolicy(set, log)
	ks := keys.Format(key)
	for _, dev := range devs {
		for n := 0; n <= retry; n++ {
			if n > 0 {
				log.debugf(texts.CheckRetry, n, retry)
			}
			found, timedOut := registered(env, log, dev, key)
			if found {
				log.debugf(texts.CheckRegistered, ks, dev)
				return ExitOK
			}
			if timedOut && retry == 0 {
				log.errorf(texts.CommandTimedOut)
				return ExitError
			}
			log.debugf(texts.CheckNotRegistered, ks, dev)
			if n < retry {
				env.Sleep(context.Background(), sleep)
			}
		}
	}
	return notFound(env, log, ks)
}

func notFound(env Env, log logger, key string) int {
	log.debugf(texts.CheckRegisteredNone, key)
	if env.HardReboot {
		if err := env.Reboot(); err != nil {
			log.errorf(texts.CheckRebootFailed, err)
		}
	}
	return ExitNotFound
}

// registered reads the keys of dev once; a failure counts as "no keys".
func registered(env Env, log logger, dev string, key pr.Key) (found, timedOut bool) {
	ctx, cancel := context.WithTimeout(context.Background(), CommandTimeout)
	defer cancel()
	d, err := env.Open(dev)
	if err == nil {
		defer d.Close()
		var kl *pr.KeyList
		if kl, err = d.ReadKeys(ctx); err == nil {
			return kl.Contains(key), false
		}
	}
	log.errorf(texts.CheckReadKeysFailed, dev, err)
	return false, errors.Is(err, pr.ErrTimeout) || ctx.Err() != nil
}

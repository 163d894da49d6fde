package check

import (
	"context"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

// TestLogBytes pins the exact stderr of every kind of log line the check
// writes: Python's default logging format ("ERROR:root:..."), DEBUG lines
// only with verbose=yes, messages that end in "\n" leaving a blank line.
func TestLogBytes(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *rig) Env
		want  string
	}{
		{"verbose, key on no device, retries", func(r *rig) Env {
			r.writeState(node1, "/dev/sdb", "/dev/sdc")
			os.WriteFile(r.conf, []byte("retry=1\nretry-sleep=0\nverbose=yes\n"), 0o644)
			return r.env()
		}, "DEBUG:root:key 6c9d0000 not registered with device /dev/sdb\nDEBUG:root:retry: 1 of 1\nDEBUG:root:key 6c9d0000 not registered with device /dev/sdb\nDEBUG:root:key 6c9d0000 not registered with device /dev/sdc\nDEBUG:root:retry: 1 of 1\nDEBUG:root:key 6c9d0000 not registered with device /dev/sdc\nDEBUG:root:key 6c9d0000 registered with any devices\n"},
		{"verbose, key found on the second device", func(r *rig) Env {
			r.writeState(node1, "/dev/sdb", "/dev/sdc")
			r.register("/dev/sdc", "node1", node1)
			os.WriteFile(r.conf, []byte("verbose=yes\n"), 0o644)
			return r.env()
		}, "DEBUG:root:key 6c9d0000 not registered with device /dev/sdb\nDEBUG:root:key 6c9d0000 registered with device /dev/sdc\n"},
		{"not verbose: errors only", func(r *rig) Env {
			r.writeState(node1, "/dev/sdb", "/dev/nosuch")
			return r.env()
		}, "ERROR:root:Cannot get registration keys on device \"/dev/nosuch\": file does not exist\n\n"},
		{"read failure, then found", func(r *rig) Env {
			r.writeState(node1, "/dev/sdb", "/dev/sdc")
			r.register("/dev/sdc", "node1", node1)
			r.luns["/dev/sdb"].Inject("node1", sim.Fault{Kind: sim.FaultPRUnsupported, Count: -1, Opcodes: []byte{0x5E}})
			os.WriteFile(r.conf, []byte("verbose=yes\n"), 0o644)
			return r.env()
		}, "ERROR:root:Cannot get registration keys on device \"/dev/sdb\": read-keys node1: persistent reservations not supported (sense key ILLEGAL REQUEST, asc/ascq 20/00 invalid command operation code)\n\nDEBUG:root:key 6c9d0000 not registered with device /dev/sdb\nDEBUG:root:key 6c9d0000 registered with device /dev/sdc\n"},
		{"timeout with retry=0", func(r *rig) Env {
			r.writeState(node1, "/dev/sdb")
			r.luns["/dev/sdb"].Inject("node1", sim.Fault{Kind: sim.FaultTimeoutBefore, Count: -1})
			return r.env()
		}, "ERROR:root:Cannot get registration keys on device \"/dev/sdb\": read-keys node1: deadline exceeded while the command was in flight\n\nERROR:root:Connection timed out\n"},
		{"hardreboot fails", func(r *rig) Env {
			r.writeState(node1, "/dev/sdb")
			os.WriteFile(r.conf, []byte("verbose=yes\n"), 0o644)
			e := r.env()
			e.HardReboot = true
			e.Reboot = func() error { return errors.New("reboot: permission denied") }
			return e
		}, "DEBUG:root:key 6c9d0000 not registered with device /dev/sdb\nDEBUG:root:key 6c9d0000 registered with any devices\nERROR:root:reboot: reboot: permission denied\n"},
		{"no key file", func(r *rig) Env {
			r.store.AddDevices("/dev/sdb")
			return r.env()
		}, "ERROR:root:Failed: Cannot open file \"$KEYFILE\"\n\nERROR:root:Key not found\n"},
		{"key file without a key", func(r *rig) Env {
			r.store.AddDevices("/dev/sdb")
			os.WriteFile(r.store.KeyFile, []byte("zz\n"), 0o644)
			os.WriteFile(r.conf, []byte("verbose=yes\n"), 0o644)
			return r.env()
		}, "ERROR:root:Failed: file \"$KEYFILE\" does not hold a valid key: Failed: key \"zz\" is not hexadecimal (character 'z')\nDEBUG:root:key  registered with any devices\n"},
		{"bad retry settings", func(r *rig) Env {
			r.writeState(node1, "/dev/sdb")
			r.register("/dev/sdb", "node1", node1)
			os.WriteFile(r.conf, []byte("retry=x\nretry-sleep=-1\n"), 0o644)
			return r.env()
		}, "ERROR:root:retry \"x\" is not an integer, using 0\nERROR:root:retry-sleep \"-1\" is out of range (0 to 86400), using 0\n"},
		{"repair with a bad code", func(r *rig) Env {
			e := r.env()
			e.Args = []string{"fence_scsi_check", "repair", "x"}
			return e
		}, "ERROR:root:repair: invalid exit code \"x\" (0 to 255)\n"},
	}
	for _, tc := range tests {
		r := newRig(t)
		Run(tc.setup(r))
		// The state files' temporary directory, as the message shows it.
		got := strings.ReplaceAll(r.stderr.String(), r.store.KeyFile, "$KEYFILE")
		if got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// env is the rig's check environment as node1, with no sleeping.
func (r *rig) env() Env {
	return Env{
		Args: []string{"fence_scsi_check"}, Stderr: &r.stderr, ConfigFile: r.conf, Store: r.store,
		Open: func(path string) (pr.Device, error) {
			lu, ok := r.luns[path]
			if !ok {
				return nil, os.ErrNotExist
			}
			return scsipr.New(lu.Device("node1")), nil
		},
		Sleep:  func(context.Context, time.Duration) error { return nil },
		Reboot: func() error { return nil },
	}
}

// TestLogOption: a caller's Env.Log gets the records instead of Stderr,
// with the DEBUG ones only under verbose=yes.
func TestLogOption(t *testing.T) {
	for _, verbose := range []bool{false, true} {
		r := newRig(t)
		r.writeState(node1, "/dev/sdb", "/dev/nosuch")
		r.register("/dev/sdb", "node1", node1)
		if verbose {
			os.WriteFile(r.conf, []byte("verbose=yes\n"), 0o644)
		}
		var got []string
		e := r.env()
		e.Log = func(debug bool, msg string) {
			lv := "ERROR"
			if debug {
				lv = "DEBUG"
			}
			got = append(got, lv+" "+msg)
		}
		e.Args = []string{"fence_scsi_check"}
		if rc := Run(e); rc != ExitOK || r.stderr.Len() != 0 {
			t.Fatalf("verbose=%v: rc %d, stderr %q", verbose, rc, r.stderr.String())
		}
		want := []string{"DEBUG key 6c9d0000 registered with device /dev/sdb"}
		if !verbose {
			want = nil
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("verbose=%v: records %q, want %q", verbose, got, want)
		}
	}
}

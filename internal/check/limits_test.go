package check

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr/scsipr"
)

// runConf runs the check with the given /etc/sysconfig/stonith contents. A
// check that sleeps more often than the limits allow is stopped (it would
// otherwise loop for ever).
func (r *rig) runConf(conf string) int {
	r.t.Helper()
	if err := os.WriteFile(r.conf, []byte(conf), 0o644); err != nil {
		r.t.Fatal(err)
	}
	r.sleeps = nil
	r.stderr.Reset()
	return Run(Env{
		Args: []string{"fence_scsi_check", "test"}, Stderr: &r.stderr, ConfigFile: r.conf, Store: r.store,
		Open: func(path string) (pr.Device, error) { return scsipr.New(r.luns[path].Device("node1")), nil },
		Sleep: func(_ context.Context, d time.Duration) error {
			r.sleeps = append(r.sleeps, d)
			if len(r.sleeps) > 4*MaxRetry {
				r.t.Fatalf("%s: more than %d sleeps: the retry count is not bounded", conf, 4*MaxRetry)
			}
			return nil
		},
		Reboot: func() error { return nil },
	})
}

// TestCheckRetryBounded: retry is clamped to 0...MaxRetry with one error line.
// A count beyond the int range used to loop for ever; a negative one read
// no device at all and reported the key gone.
func TestCheckRetryBounded(t *testing.T) {
	r := newRig(t)
	r.writeState(node1, "/dev/sdb", "/dev/sdc")
	for _, c := range []struct {
		val    string
		sleeps int // two devices without the key: retry sleeps per device
		msg    string
	}{
		{"99999999999999999999", 2 * MaxRetry, `ERROR:root:retry "99999999999999999999" is out of range (0 to 100), using 100`},
		{"101", 2 * MaxRetry, `ERROR:root:retry "101" is out of range (0 to 100), using 100`},
		{"100", 2 * MaxRetry, ""},
		{"-1", 0, `ERROR:root:retry "-1" is out of range (0 to 100), using 0`},
		{"-99999999999999999999", 0, `ERROR:root:retry "-99999999999999999999" is out of range (0 to 100), using 0`},
		{"x", 0, `ERROR:root:retry "x" is not an integer, using 0`},
	} {
		rc := r.runConf("retry=" + c.val + "\nretry-sleep=0\n")
		if rc != ExitNotFound || len(r.sleeps) != c.sleeps {
			t.Errorf("retry=%s: rc %d, %d sleeps, want 2 and %d", c.val, rc, len(r.sleeps), c.sleeps)
		}
		if c.msg != "" && !strings.Contains(r.stderr.String(), c.msg+"\n") {
			t.Errorf("retry=%s: stderr %q lacks %q", c.val, r.stderr.String(), c.msg)
		}
		if c.msg == "" && strings.Contains(r.stderr.String(), "retry") {
			t.Errorf("retry=%s: unexpected message %q", c.val, r.stderr.String())
		}
	}
	// A negative count still reads every device once: the key is found.
	r.register("/dev/sdc", "node1", node1)
	if rc := r.runConf("retry=-1\n"); rc != ExitOK {
		t.Errorf("retry=-1 with the key registered: rc %d, want 0; stderr %s", rc, r.stderr.String())
	}
}

// TestCheckRetrySleepBounded: retry-sleep is clamped to 0...MaxRetrySleep
// seconds; NaN or text gives the default 1 s. A value beyond about 9.2e9 s
// used to overflow the duration into a negative one: no wait at all.
func TestCheckRetrySleepBounded(t *testing.T) {
	r := newRig(t)
	r.writeState(node1, "/dev/sdb")
	day := time.Duration(MaxRetrySleep) * time.Second
	for _, c := range []struct {
		val  string
		want time.Duration
		msg  string // "" for none
	}{
		{"1e300", day, "is out of range (0 to 86400), using 86400"},
		{"9223372037", day, "is out of range (0 to 86400), using 86400"},
		{"1e400", day, "is out of range (0 to 86400), using 86400"},
		{"inf", day, "is out of range (0 to 86400), using 86400"},
		{"86400.5", day, "is out of range (0 to 86400), using 86400"},
		{"86400", day, ""},
		{"-5", 0, "is out of range (0 to 86400), using 0"},
		{"-inf", 0, "is out of range (0 to 86400), using 0"},
		{"nan", time.Second, "is not a number, using 1"},
		{"x", time.Second, "is not a number, using 1"},
		{"0.25", 250 * time.Millisecond, ""},
	} {
		rc := r.runConf("retry=2\nretry-sleep=" + c.val + "\n")
		if rc != ExitNotFound || len(r.sleeps) != 2 || r.sleeps[0] != c.want || r.sleeps[1] != c.want {
			t.Errorf("retry-sleep=%s: rc %d, sleeps %v, want 2 and 2 x %v", c.val, rc, r.sleeps, c.want)
		}
		want := fmt.Sprintf("ERROR:root:retry-sleep %q %s\n", c.val, c.msg)
		if c.msg != "" && !strings.Contains(r.stderr.String(), want) {
			t.Errorf("retry-sleep=%s: stderr %q lacks %q", c.val, r.stderr.String(), want)
		}
		if c.msg == "" && strings.Contains(r.stderr.String(), "retry-sleep") {
			t.Errorf("retry-sleep=%s: unexpected message %q", c.val, r.stderr.String())
		}
	}
}

// TestRepairExitCodeRange: an exit status is 8 bits, so "repair 256" made
// the process exit 0 and the watchdog did not reboot. A code outside 0...255
// is refused with exit 1, which still asks for the reboot.
func TestRepairExitCodeRange(t *testing.T) {
	r := newRig(t)
	for _, c := range []struct {
		arg  string
		want int
	}{{"0", 0}, {"255", 255}, {"256", ExitError}, {"512", ExitError}, {"-1", ExitError}, {"99999999999999999999", ExitError}} {
		if rc := r.run("repair", c.arg); rc != c.want {
			t.Errorf("repair %s: rc %d, want %d", c.arg, rc, c.want)
		}
		if c.want == ExitError && !strings.Contains(r.stderr.String(), "ERROR:root:repair: ") {
			t.Errorf("repair %s: no error line: %q", c.arg, r.stderr.String())
		}
	}
}

// TestRetrySleepWholeSecondsAsFloat: the whole-second shortcut gives what the
// float parse gives, and out-of-range or odd whole numbers still take it.
func TestRetrySleepWholeSecondsAsFloat(t *testing.T) {
	var lines []string
	log := logger{out: func(_ bool, msg string) { lines = append(lines, msg) }}
	for in, want := range map[string]time.Duration{
		"0": 0, "1": time.Second, "+2": 2 * time.Second, "-0": 0, "01": time.Second,
		"86400": MaxRetrySleep * time.Second, "86401": MaxRetrySleep * time.Second,
		"-1": 0, "0.5": 500 * time.Millisecond, "1e0": time.Second,
	} {
		if got := retrySleep(in, log); got != want {
			t.Errorf("retry-sleep=%s: %v, want %v", in, got, want)
		}
	}
	if len(lines) != 2 { // 86401 and -1 are out of range
		t.Errorf("error lines %q, want 2 (86401, -1)", lines)
	}
}

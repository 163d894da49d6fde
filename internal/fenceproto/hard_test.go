package fenceproto

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// Durations beyond MaxSeconds used to overflow time.Duration: a delay of
// 9223372036 s became no delay, 18446744073 s printed "Delay 0 second(s)",
// and an overflowed stonith_status_sleep polled without pause.
func TestDurationLimits(t *testing.T) {
	for _, tc := range []struct{ args []string }{
		{[]string{"-o", "off", "-k", "1", "--delay=9223372036"}},
		{[]string{"-o", "off", "-k", "1", "--delay=18446744073"}},
		{[]string{"-o", "off", "-k", "1", "--delay=-9223372037"}},
		{[]string{"-o", "on", "-k", "1", "--stonith-status-sleep=9223372037"}},
		{[]string{"-o", "on", "-k", "1", "--power-timeout=86401"}},
		{[]string{"-o", "on", "-k", "1", "--power-wait=100000"}},
		{[]string{"-o", "on", "-k", "1", "--shell-timeout=86401"}},
		{[]string{"-o", "on", "-k", "1", "--login-timeout=-86401"}},
		{[]string{"-o", "on", "-k", "1", "--retry-on=101"}},
	} {
		r := runAgent(t, nil, nil, "", tc.args...)
		long := strings.TrimPrefix(strings.SplitN(tc.args[4], "=", 2)[0], "--")
		want := ts + "ERROR: Failed: The value you have entered for --" + long + " is out of range ("
		if r.code != 1 || !strings.HasPrefix(r.stderr, want) || strings.Count(r.stderr, "\n") != 1 || len(r.b.calls) != 0 || len(r.sleeps) != 0 {
			t.Errorf("%q: exit %d stderr %q calls %q sleeps %v", tc.args, r.code, r.stderr, r.b.calls, r.sleeps)
		}
	}
	r := runAgent(t, nil, nil, "action=on\nkey=1\nstonith_status_sleep=18446744073\n")
	if r.code != 1 || !strings.Contains(r.stderr, "--stonith-status-sleep is out of range (-86400 to 86400)") {
		t.Errorf("stdin: exit %d stderr %q", r.code, r.stderr)
	}
	// The limits themselves are accepted.
	r = runAgent(t, &fakeBackend{devs: []string{"/d"}, statuses: []bool{false}}, nil, "",
		"-o", "off", "-k", "1", "--delay=86400", "--power-timeout=86400", "--retry-on=100", "--stonith-status-sleep=-86400")
	if r.code != 0 || len(r.sleeps) != 1 || r.sleeps[0] != 86401*time.Second {
		t.Errorf("at the limits: exit %d sleeps %v stderr %q", r.code, r.sleeps, r.stderr)
	}
}

// TestRunLimit: with timeouts on, a backend that never returns cannot hold
// the run beyond its limit plus StopGrace (2 s); it ends with fence-agents'
// timeout message and exit 1.
func TestRunLimit(t *testing.T) {
	b := &blockingBackend{fakeBackend: fakeBackend{key: "1", devs: []string{"/d"}}}
	var errb bytes.Buffer
	start := time.Now()
	code := runWithin(t, 20*time.Second, context.Background(), Env{
		Args:   []string{"fence_scsi", "-o", "status", "-k", "1", "--power-timeout=1", "--login-timeout=0", "--shell-timeout=0"},
		Stdout: &bytes.Buffer{}, Stderr: &errb,
	}, b)
	took := time.Since(start)
	// limit: power_timeout 1 + 1 poll of stonith_status_sleep 1 = 2 s.
	if code != 1 || !strings.HasSuffix(errb.String(), "ERROR: Connection timed out\n\n\n") || took < 2*time.Second || took > 7*time.Second {
		t.Fatalf("exit %d after %v, stderr %q", code, took, errb.String())
	}
}

// TestCancelStopsRun: cancelling the context (the signal handler does)
// ends a stuck run within StopGrace (2 s) and names the cause.
func TestCancelStopsRun(t *testing.T) {
	b := &blockingBackend{fakeBackend: fakeBackend{key: "1", devs: []string{"/d"}}}
	var errb bytes.Buffer
	ctx, cancel := context.WithCancelCause(context.Background())
	time.AfterFunc(200*time.Millisecond, func() { cancel(os.ErrDeadlineExceeded) })
	start := time.Now()
	code := runWithin(t, 20*time.Second, ctx, Env{Args: []string{"fence_scsi", "-o", "status", "-k", "1", "--disable-timeout=1"}, Stdout: &bytes.Buffer{}, Stderr: &errb}, b)
	if took := time.Since(start); code != 1 || took > 5*time.Second || !strings.Contains(errb.String(), "ERROR: Failed: i/o timeout\n") {
		t.Fatalf("exit %d after %v, stderr %q", code, took, errb.String())
	}
}

// runWithin runs the agent and fails the test if it is still running after d.
func runWithin(t *testing.T, d time.Duration, ctx context.Context, env Env, b Backend) int {
	t.Helper()
	done := make(chan int, 1)
	go func() { done <- Run(ctx, env, b) }()
	select {
	case code := <-done:
		return code
	case <-time.After(d):
		t.Fatalf("%q still running after %v", env.Args, d)
	}
	return 0
}

// runAgentWithin is runAgent on the command line, failing the test if the
// run is still going after d (an open of a FIFO without a reader blocks).
func runAgentWithin(t *testing.T, d time.Duration, args ...string) result {
	t.Helper()
	done := make(chan result, 1)
	go func() { done <- runAgent(t, nil, nil, "", args...) }()
	select {
	case r := <-done:
		return r
	case <-time.After(d):
		t.Fatalf("%q still running after %v", args, d)
	}
	return result{}
}

// blockingBackend's Status never returns, whatever the context says.
type blockingBackend struct{ fakeBackend }

func (b *blockingBackend) Status(context.Context, *Options, []string, string, bool) (bool, error) {
	select {}
}

// TestLogFilesMustBeRegular: logfile and debug_file are opened as root;
// a symbolic link, FIFO, device or directory at the path is refused with one
// line and nothing is written through it.
func TestLogFilesMustBeRegular(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "target")
	os.WriteFile(target, []byte("precious\n"), 0o644)
	link := filepath.Join(dir, "link")
	os.Symlink(target, link)
	dangling := filepath.Join(dir, "dangling")
	os.Symlink(filepath.Join(dir, "nowhere"), dangling)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	fifoReader := filepath.Join(dir, "fifo2")
	syscall.Mkfifo(fifoReader, 0o644)
	rd, err := os.OpenFile(fifoReader, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	for _, tc := range []struct{ path, why string }{
		{link, "it is a symbolic link"}, {dangling, "it is a symbolic link"},
		{fifo, "it is not a regular file"}, {fifoReader, "it is a named pipe"},
		{"/dev/null", "it is a character device"}, {dir, "it is a directory"},
	} {
		for _, opt := range []string{"--logfile", "--debug-file"} {
			r := runAgentWithin(t, 10*time.Second, "-o", "status", "-k", "1", opt, tc.path)
			want := ts + "ERROR: Failed: Unable to create file " + tc.path + ": " + tc.why + "\n"
			if r.code != 1 || r.stderr != want || len(r.b.calls) != 0 {
				t.Errorf("%s %s: exit %d stderr %q calls %q", opt, tc.path, r.code, r.stderr, r.b.calls)
			}
		}
	}
	if d, _ := os.ReadFile(target); string(d) != "precious\n" {
		t.Fatalf("written through the link: %q", d)
	}
	if _, err := os.Lstat(filepath.Join(dir, "nowhere")); err == nil {
		t.Fatal("dangling link's target was created")
	}
	// A regular file: the logfile is truncated, the debug file appended to.
	lf, df := filepath.Join(dir, "log"), filepath.Join(dir, "dbg")
	os.WriteFile(lf, []byte("old\n"), 0o644)
	os.WriteFile(df, []byte("old\n"), 0o644)
	r := runAgent(t, nil, nil, "", "-o", "status", "-k", "1", "-v", "--logfile", lf, "--debug-file", df)
	l, _ := os.ReadFile(lf)
	d, _ := os.ReadFile(df)
	if r.code != 0 || !strings.HasPrefix(string(l), "Status: ON\n") || !strings.HasPrefix(string(d), "old\n") {
		t.Fatalf("exit %d logfile %q debug %q", r.code, l, d)
	}
}

// TestUserTextStaysOnOneLine: user-supplied text echoed in a message
// cannot add a line or a control character to stderr or syslog.
func TestUserTextStaysOnOneLine(t *testing.T) {
	for _, tc := range []struct {
		args  []string
		stdin string
		want  string
	}{
		{args: []string{"-a\n"}, want: `ERROR:root:Parse error: option -"\n" not recognized`},
		{args: []string{"--ac\x1b[2J=on"}, want: `option --"ac\x1b[2J" not recognized`},
		{args: []string{"-o", "on\nINFO: forged"}, want: `Unrecognised action '"on\ninfo: forged"'`},
		{args: []string{"-o", "status", "-k", "1", "--logfile", "/nonexistent/x\ny"}, want: `Unable to create file "/nonexistent/x\ny"`},
		{stdin: "action=status\nkey=1\nfoo\v=bar\f\n", want: `Ignoring unknown option '"foo\v=bar"'`},
		{stdin: "action=status\nkey=1\nno_login\v=x\n", want: `Ignoring unknown option '"no_login\v=x"'`},
	} {
		r := runAgent(t, nil, nil, tc.stdin, tc.args...)
		if !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%q %q: stderr %q, want %q", tc.args, tc.stdin, r.stderr, tc.want)
		}
		assertOneLineEach(t, r.stderr, r.syslog)
	}
	var errb bytes.Buffer
	l := newLogger(&errb, func() time.Time { return testStart }, nil)
	l.setup(true, false)
	l.Debugf("0 a\nb\x00 \xff\u2028\n")
	if want := ts + `DEBUG: 0 a\nb\x00 \xff\u2028` + "\n\n"; errb.String() != want {
		t.Fatalf("logger: %q, want %q", errb.String(), want)
	}
}

// assertOneLineEach fails when a log line holds a control character.
func assertOneLineEach(t *testing.T, stderr string, syslog []string) {
	t.Helper()
	for _, line := range append(strings.Split(stderr, "\n"), syslog...) {
		line = strings.TrimRight(line, "\n")
		if strings.IndexFunc(line, func(r rune) bool { return r < 0x20 || r == 0x7f || r == utf8.RuneError || r == 0x2028 }) >= 0 {
			t.Fatalf("control character in %q", line)
		}
	}
}

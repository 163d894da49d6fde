package fenceproto

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestActions(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		stdin    string
		statuses []bool
		code     int
		stdout   string
		calls    []string
	}{
		{"status on", []string{"-o", "status", "-n", "node1", "-d", "/dev/sdb"}, "", []bool{true}, 0, "Status: ON\n",
			[]string{"derive node1", `devices "/dev/sdb"`, "status 6c9d0001 [/dev/sdb] all=false"}},
		{"status off exits 2", []string{"--action=status", "--plug=node1"}, "", []bool{false}, 2, "Status: OFF\n",
			[]string{"derive node1", `devices ""`, "status 6c9d0001 [/dev/sdb] all=false"}},
		{"off already off", []string{"-k", "abc"}, "", []bool{false}, 0, "Success: Already OFF\n",
			[]string{`devices ""`, "status abc [/dev/sdb] all=false", "off abc [/dev/sdb]"}},
		{"off", []string{"-o", "off", "-k", "00ABC"}, "", []bool{true, true, false}, 0, "Success: Powered OFF\n",
			[]string{`devices ""`, "status abc [/dev/sdb] all=false", "off abc [/dev/sdb]",
				"status abc [/dev/sdb] all=false", "status abc [/dev/sdb] all=false"}},
		{"disable is off", []string{"-o", "DISABLE", "-k", "1"}, "", []bool{false}, 0, "Success: Already OFF\n",
			[]string{`devices ""`, "status 1 [/dev/sdb] all=false", "off 1 [/dev/sdb]"}},
		{"on always sets", nil, "action=on\nplug=node1\n", []bool{true}, 0, "Success: Powered ON\n",
			[]string{"derive node1", `devices ""`, "status 6c9d0001 [/dev/sdb] all=true", "on 6c9d0001 [/dev/sdb]",
				"status 6c9d0001 [/dev/sdb] all=true"}},
		{"enable is on", []string{"-oenable", "-k1"}, "", []bool{true}, 0, "Success: Powered ON\n",
			[]string{`devices ""`, "status 1 [/dev/sdb] all=true", "on 1 [/dev/sdb]", "status 1 [/dev/sdb] all=true"}},
		{"list notice", []string{"-o", "list", "-k", "1"}, "", []bool{true}, 0, "NOTICE: List option is not working on this device yet\n",
			[]string{`devices ""`}},
		{"list-status notice", nil, "action=list-status\nport=n1\n", []bool{true}, 0, "NOTICE: List option is not working on this device yet\n",
			[]string{"derive n1", `devices ""`}},
		{"nodename wins over plug", nil, "action=status\nplug=alias\nnodename=real\nnodeid=3\n", []bool{true}, 0, "Status: ON\n",
			[]string{"derive real", `devices ""`, "status 6c9d0001 [/dev/sdb] all=false"}},
		{"stdin ignored with args", []string{"-k", "1", "-o", "status"}, "action=off\n", []bool{true}, 0, "Status: ON\n",
			[]string{`devices ""`, "status 1 [/dev/sdb] all=false"}},
		{"plug separator repeats calls", []string{"-o", "status", "-n", "a:b", "--plug-separator=:"}, "", []bool{false, true}, 0, "Status: ON\n",
			[]string{"derive a:b", `devices ""`, "status 6c9d0001 [/dev/sdb] all=false", "status 6c9d0001 [/dev/sdb] all=false"}},
		{"validate-all touches nothing", []string{"-o", "validate-all", "-n", "x"}, "", nil, 0, "", nil},
		{"monitor", []string{"-o", "monitor"}, "", nil, 0, "", []string{"monitor"}},
		{"meta-data", nil, "action=meta-data\n", nil, 0, "<?xml", nil},
		{"help via stdin", nil, "help=yes\n", nil, 0, "Usage:\n\tfence_scsi [options]\n", nil},
		{"version", []string{"-V"}, "", nil, 0, "4.17.0\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := &fakeBackend{key: "6c9d0001", devs: []string{"/dev/sdb"}, statuses: tc.statuses}
			r := runAgent(t, b, nil, tc.stdin, tc.args...)
			if r.code != tc.code || !strings.HasPrefix(r.stdout, tc.stdout) || (tc.stdout == "" && r.stdout != "") {
				t.Fatalf("got exit %d stdout %q stderr %q; want %d %q", r.code, r.stdout, r.stderr, tc.code, tc.stdout)
			}
			if !reflect.DeepEqual(r.b.calls, tc.calls) {
				t.Fatalf("calls:\n got %q\nwant %q", r.b.calls, tc.calls)
			}
		})
	}
}

func TestErrors(t *testing.T) {
	hint := ts + "ERROR: Please use '-h' for usage\n\n"
	tests := []struct {
		name   string
		args   []string
		stdin  string
		b      *fakeBackend
		stderr string
	}{
		{"reboot refused", []string{"-o", "reboot", "-n", "x"}, "", nil, ts + "ERROR: Failed: Unrecognised action 'reboot'\n\n" + hint},
		{"unknown action", nil, "action=Bogus\n", nil, ts + "ERROR: Failed: Unrecognised action 'bogus'\n\n" + hint},
		{"bad delay", []string{"--delay", "1.5", "-k", "1"}, "", nil, ts + "ERROR: Failed: The value you have entered for --delay is not a valid time in seconds\n\n" + hint},
		{"bad retry_on", nil, "retry_on=x\nkey=1\n", nil, ts + "ERROR: Failed: The value you have entered for --retry-on is not a valid integer\n\n" + hint},
		{"first bad type wins", nil, "delay=x\npower_wait=y\n", nil, ts + "ERROR: Failed: The value you have entered for --power-wait is not a valid time in seconds\n\n" + hint},
		{"no node", []string{"-o", "status"}, "", nil, ts + "ERROR: Failed: nodename or key is required\n\n" + hint},
		{"unknown option", []string{"--foo"}, "", nil, "ERROR:root:Parse error: option --foo not recognized\n\nERROR:root:Please use '-h' for usage\n\n"},
		{"missing value", []string{"-k"}, "", nil, "ERROR:root:Parse error: option -k requires argument\n\nERROR:root:Please use '-h' for usage\n\n"},
		{"key 0", []string{"-k", "000"}, "", nil, ts + "ERROR: Failed: key cannot be 0\n\n" + hint},
		{"key 0x", []string{"-k", "0x1ab"}, "", nil, ts + "ERROR: Failed: key \"0x1ab\" must be hex digits without a 0x prefix\n\n" + hint},
		{"key not hex", nil, "key=$(reboot);x\n", nil, ts + "ERROR: Failed: key \"$(reboot);x\" is not hexadecimal (character '$')\n\n" + hint},
		{"key too long", []string{"-k", "00123456789abcdef01"}, "", nil, ts + "ERROR: Failed: key \"00123456789abcdef01\" is longer than 16 hex digits\n\n" + hint},
		{"derived key 0", []string{"-n", "x"}, "", &fakeBackend{key: "0"}, ts + "ERROR: Failed: key cannot be 0\n\n" + hint},
		{"bad key_value", []string{"-k", "1", "--key-value=md5"}, "", nil, ts + "ERROR: Failed: key-value has to be 'id' or 'hash'\n\n" + hint},
		{"no devices", []string{"-k", "1"}, "", &fakeBackend{}, ts + "ERROR: Failed: No devices found\n\n" + hint},
		{"backend usage error", []string{"-k", "1"}, "", &fakeBackend{devs: []string{"/x"}, statErr: UsageErrorf(`Failed: device "/x" does not exist`)},
			ts + "ERROR: Failed: device \"/x\" does not exist\n\n" + hint},
		{"backend plain error", []string{"-k", "1"}, "", &fakeBackend{devs: []string{"/x"}, statuses: []bool{true}, setErr: failf("Failed to verify 2 device(s)")},
			ts + "ERROR: Failed to verify 2 device(s)\n"},
		{"already off but unreserved", []string{"-k", "1"}, "", &fakeBackend{devs: []string{"/x"}, statuses: []bool{false}, setErr: UsageErrorf(`Failed: device "/x" has no reservation`)},
			ts + "ERROR: Failed: device \"/x\" has no reservation\n\n" + hint},
		{"backend other error", []string{"-o", "monitor"}, "", &fakeBackend{monErr: errors.New(`Failed: Cannot open file "/var/run/cluster.dev"`)},
			ts + "ERROR: Failed: Cannot open file \"/var/run/cluster.dev\"\n"},
		{"NUL on stdin", nil, "action=status\nkey=1\x00\n", nil, "ERROR:root:Failed: input line 2 contains a NUL byte\n\nERROR:root:Please use '-h' for usage\n\n"},
		{"escape on stdin", nil, "plug=\x1b[31m\n", nil, "ERROR:root:Failed: input line 1 contains control character 0x1b\n\nERROR:root:Please use '-h' for usage\n\n"},
		{"bad utf-8", nil, "plug=\xff\n", nil, "ERROR:root:Failed: input line 1 is not valid UTF-8\n\nERROR:root:Please use '-h' for usage\n\n"},
		{"long line", nil, "plug=" + strings.Repeat("a", MaxLineBytes) + "\n", nil, "ERROR:root:Failed: input line 1 is longer than 65536 bytes\n\nERROR:root:Please use '-h' for usage\n\n"},
		{"long input", nil, strings.Repeat("# comment\n", MaxInputBytes/10+1), nil, "ERROR:root:Failed: input is longer than 1048576 bytes\n\nERROR:root:Please use '-h' for usage\n\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runAgent(t, tc.b, nil, tc.stdin, tc.args...)
			if r.code != 1 || r.stdout != "" || r.stderr != tc.stderr {
				t.Fatalf("got exit %d stdout %q\nstderr %q\nwant stderr %q", r.code, r.stdout, r.stderr, tc.stderr)
			}
			if strings.HasPrefix(tc.stderr, "ERROR:root") && len(r.b.calls) != 0 {
				t.Fatalf("backend called on bad input: %q", r.b.calls)
			}
		})
	}
}

func TestValidateAllLogsButSucceeds(t *testing.T) {
	r := runAgent(t, nil, nil, "action=validate-all\nkey_value=md5\n")
	want := ts + "ERROR: Failed: nodename or key is required\n\n" + ts + "ERROR: Failed: key-value has to be 'id' or 'hash'\n\n"
	if r.code != 0 || r.stderr != want || len(r.b.calls) != 0 {
		t.Fatalf("exit %d stderr %q calls %q", r.code, r.stderr, r.b.calls)
	}
}

func TestStdinWarnings(t *testing.T) {
	in := "# comment\n\n  nodeid=2  \nagent=fence_scsi\nfabric_fencing=1\naptpl=maybe\nsg_persist-path=/x\naction=\"validate-all\"\nkey=1\n"
	r := runAgent(t, nil, nil, in)
	want := "WARNING:root:Parse error: Ignoring unknown option 'nodeid=2'\n\n" +
		"WARNING:root:Parse error: Ignoring option 'agent' because it does not have value\n\n" +
		"WARNING:root:Parse error: Ignoring option 'fabric_fencing' because it cannot be set\n\n" +
		"WARNING:root:Parse error: Ignoring option 'aptpl' because it does not have value\n\n" +
		"WARNING:root:Parse error: Ignoring unknown option 'sg_persist-path=/x'\n\n"
	if r.code != 0 || r.stderr != want {
		t.Fatalf("exit %d stderr:\n%s\nwant:\n%s", r.code, r.stderr, want)
	}
}

func TestDelay(t *testing.T) {
	tests := []struct {
		args   []string
		sleeps []time.Duration
	}{
		{[]string{"-o", "off", "--delay=2", "-k", "1"}, []time.Duration{3 * time.Second}},
		{[]string{"-H", "5", "-k", "1"}, []time.Duration{6 * time.Second}},
		{[]string{"-o", "status", "--delay=2", "-k", "1"}, nil},
		{[]string{"-o", "off", "--delay=0", "-k", "1"}, nil},
		{[]string{"-o", "off", "--delay=-3", "-k", "1"}, nil},
	}
	for _, tc := range tests {
		r := runAgent(t, &fakeBackend{devs: []string{"/d"}, statuses: []bool{false}}, nil, "", tc.args...)
		if r.code > 2 || !reflect.DeepEqual(r.sleeps, tc.sleeps) {
			t.Errorf("%v: exit %d sleeps %v, want %v (stderr %q)", tc.args, r.code, r.sleeps, tc.sleeps, r.stderr)
		}
	}
}

func TestLoopTimeout(t *testing.T) {
	b := &fakeBackend{devs: []string{"/d"}, statuses: []bool{false}}
	r := runAgent(t, b, nil, "", "-o", "on", "-k", "1", "--power-timeout=3", "--power-wait=2", "--retry-on=1", "--stonith-status-sleep=4")
	s := 2 * time.Second
	p := 4 * time.Second
	want := []time.Duration{s, p, p, p, s, p, p, p}
	if r.code != 1 || !reflect.DeepEqual(r.sleeps, want) || !strings.HasSuffix(r.stderr, " ERROR: Failed: Timed out waiting to power ON\n\n\n") {
		t.Fatalf("exit %d sleeps %v stderr %q", r.code, r.sleeps, r.stderr)
	}
	if n := strings.Count(strings.Join(b.calls, ","), "on 1"); n != 2 {
		t.Fatalf("on called %d times, want 2: %q", n, b.calls)
	}
}

func TestPacemakerDisablesTimeouts(t *testing.T) {
	env := map[string]string{"PCMK_service": "pacemaker-fenced"}
	for _, tc := range []struct {
		stdin   string
		timeout int
	}{
		{"action=status\nkey=1\n", 0},
		{"action=status\nkey=1\ndisable_timeout=false\n", 20},
		{"action=status\nkey=1\npower_timeout=7\ndisable_timeout=no\n", 7},
	} {
		r := runAgent(t, nil, env, tc.stdin)
		if r.b.opts == nil || r.b.opts.PowerTimeout != tc.timeout {
			t.Errorf("%q: power timeout %+v, want %d", tc.stdin, r.b.opts, tc.timeout)
		}
	}
	if r := runAgent(t, nil, nil, "action=status\nkey=1\n"); r.b.opts.PowerTimeout != 20 {
		t.Errorf("without Pacemaker: %+v", r.b.opts)
	}
}

func TestVerboseQuietAndFiles(t *testing.T) {
	dir := t.TempDir()
	dbg := filepath.Join(dir, "debug")
	lf := filepath.Join(dir, "log")
	os.WriteFile(lf, []byte("old content\n"), 0o644)
	r := runAgent(t, &fakeBackend{devs: []string{"/d"}, statuses: []bool{false}}, nil, "",
		"-q", "-vv", "-D", dbg, "--logfile", lf, "-o", "off", "--delay", "1", "-k", "1")
	if r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("quiet + logfile: exit %d stdout %q stderr %q", r.code, r.stdout, r.stderr)
	}
	d, _ := os.ReadFile(dbg)
	if string(d) != ts+"INFO: Delay 2 second(s) before logging in to the fence device\n" {
		t.Fatalf("debug file %q", d)
	}
	l, _ := os.ReadFile(lf)
	if string(l) != "Success: Already OFF\n" {
		t.Fatalf("log file %q", l)
	}
	if len(r.syslog) != 1 || r.syslog[0] != "INFO Delay 2 second(s) before logging in to the fence device" {
		t.Fatalf("syslog %q", r.syslog)
	}
	r = runAgent(t, nil, nil, "action=status\nkey=1\nverbose=1\nverbose_level=0\n")
	if r.b.opts.Verbose || !strings.Contains(r.stderr, "WARNING:root:Parse error: Ignoring option 'verbose' because it conflicts with verbose_level=0\n") {
		t.Fatalf("verbose_level=0: %+v %q", r.b.opts, r.stderr)
	}
}

func TestBooleanFalseOnStdin(t *testing.T) {
	r := runAgent(t, nil, nil, "action=status\nkey=1\naptpl=1\naptpl=off\nreadonly=TRUE\nquiet=0\n")
	if r.b.opts.Aptpl || !r.b.opts.Readonly || r.b.opts.Quiet {
		t.Fatalf("booleans: %+v", r.b.opts)
	}
}

func TestMainUsesBasename(t *testing.T) {
	var out, errb strings.Builder
	code := Main(context.Background(), []string{"/usr/local/sbin/fence_scsi_go", "-o", "metadata"}, strings.NewReader(""), &out, &errb, func(string) string { return "" }, nil)
	if code != 0 || !strings.Contains(out.String(), `<resource-agent name="fence_scsi_go" `) || errb.Len() != 0 {
		t.Fatalf("exit %d stderr %q stdout starts %.80q", code, errb.String(), out.String())
	}
}

func TestShellMetacharactersAreData(t *testing.T) {
	const evil = "/dev/sdb;reboot -f|$(id)`x`&&>/etc/passwd"
	r := runAgent(t, nil, nil, "action=status\nkey=1\ndevices="+evil+"\nplug=n;rm -rf /\n")
	if r.code != 0 || r.b.opts.Devices != evil || r.b.opts.Plug != "n;rm -rf /" {
		t.Fatalf("exit %d options %+v", r.code, r.b.opts)
	}
}

func TestDebugFileCannotBeCreated(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "missing", "debug")
	r := runAgent(t, nil, nil, "", "-o", "status", "-k", "1", "-D", bad)
	want := ts + "ERROR: Unable to create file " + bad + "\n" + ts + "ERROR: Failed: Unable to create file " + bad + "\n\n" + ts + "ERROR: Please use '-h' for usage\n\n"
	if r.code != 1 || r.stderr != want || len(r.b.calls) != 0 {
		t.Fatalf("exit %d stderr %q calls %q", r.code, r.stderr, r.b.calls)
	}
	if len(r.syslog) != 3 || r.syslog[0] != "ERROR Unable to create file "+bad {
		t.Fatalf("syslog %q", r.syslog)
	}
}

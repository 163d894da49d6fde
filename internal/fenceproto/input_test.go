package fenceproto

import (
	"bytes"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		want values // only the listed keys are compared
		err  string
	}{
		{[]string{"--action=on", "--plug", "n1"}, values{"action": "on", "port": "n1"}, ""},
		{[]string{"-ooff", "-nn1", "-k", "ab"}, values{"action": "off", "port": "n1", "key": "ab"}, ""},
		{[]string{"-vvv", "-a"}, values{"verbose": "", "verbose_level": "3", "aptpl": ""}, ""},
		{[]string{"-vaq"}, values{"verbose": "", "aptpl": "", "quiet": "", "verbose_level": "1"}, ""},
		{[]string{"x", "-o", "status", "y", "--", "-k"}, values{"action": "status"}, ""},
		{[]string{"--act=status", "--dev", "/dev/sdb"}, values{"action": "status", "devices": "/dev/sdb"}, ""},
		{[]string{"-H", "3", "--nodename=a", "-C", ";", "-f", "/tmp/l"}, values{"delay": "3", "nodename": "a", "separator": ";", "logfile": "/tmp/l"}, ""},
		{[]string{"--verbose-level=2", "-v"}, values{"verbose_level": "2"}, ""},
		// Each occurrence takes the last value of its own spelling.
		{[]string{"-o", "on", "--action=off", "-o", "status"}, values{"action": "status"}, ""},
		{[]string{"--action=off", "-o", "on", "--action=status"}, values{"action": "status"}, ""},
		{[]string{"-k", "1", "-k", "2"}, values{"key": "2"}, ""},
		{[]string{"--key="}, values{"key": ""}, ""},
		{[]string{"--foo"}, nil, "Parse error: option --foo not recognized"},
		{[]string{"-x"}, nil, "Parse error: option -x not recognized"},
		{[]string{"-é"}, nil, "Parse error: option -é not recognized"},
		{[]string{"--action"}, nil, "Parse error: option --action requires argument"},
		{[]string{"--act"}, nil, "Parse error: option --action requires argument"},
		{[]string{"-o"}, nil, "Parse error: option -o requires argument"},
		{[]string{"--aptpl=1"}, nil, "Parse error: option --aptpl must not have an argument"},
		{[]string{"--de=x"}, nil, "Parse error: option --de not a unique prefix"},
		{[]string{"--=x"}, nil, "Parse error: option -- not a unique prefix"},
	}
	for _, tc := range tests {
		var errb bytes.Buffer
		v, err := parseArgs(tc.args, newLogger(&errb, time.Now, nil))
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		for k, want := range tc.want {
			if got, ok := v[k]; !ok || got != want {
				t.Errorf("%q: %s = %q (set %v), want %q", tc.args, k, got, ok, want)
			}
		}
	}
}

func TestUnusedArguments(t *testing.T) {
	var errb bytes.Buffer
	if _, err := parseArgs([]string{"a", "-k", "1", "it's", `q"'`, "t\tb"}, newLogger(&errb, time.Now, nil)); err != nil {
		t.Fatal(err)
	}
	want := `WARNING:root:Unused arguments on command line: ['a', "it's", 'q"\'', 't\tb']` + "\n"
	if errb.String() != want {
		t.Fatalf("got %q want %q", errb.String(), want)
	}
}

func TestParseStdin(t *testing.T) {
	tests := []struct {
		in   string
		want values
	}{
		{"action=on\r\nport=n1\rkey=ab\n", values{"action": "on", "port": "n1", "key": "ab", "verbose_level": "0"}},
		{"  plug = x \n", values{"verbose_level": "0"}}, // name "plug " is unknown
		{"plug=\"quoted\"\ndevices=\"/dev/a\",\"/dev/b\"\n", values{"port": "quoted", "devices": `/dev/a","/dev/b`, "verbose_level": "0"}},
		{"plug=\"\n", values{"port": `"`, "verbose_level": "0"}},
		{"key\n", values{"key": "", "verbose_level": "0"}},
		{"debug=/a\ndebug_file=/b\ndebug-file=/c\n", values{"debug": "/c", "verbose_level": "0"}},
		{"suppress_errors=yes\nkey-value=hash\nsg_persist_path=/p\ncorosync-cmap-path=/c\n", values{"suppress-errors": "1", "key_value": "hash", "sg_persist_path": "/p", "corosync_cmap_path": "/c", "verbose_level": "0"}},
		{"verbose=on\n", values{"verbose": "1", "verbose_level": "1"}},
		{"verbose=on\nverbose-level=3\n", values{"verbose": "1", "verbose_level": "3"}},
		{"mpath-register-method=single\nplug_separator=:\nnodename=n\n", values{"mpath_register_method": "single", "plug_separator": ":", "nodename": "n", "verbose_level": "0"}},
		{"devices=/dev/sda; rm -rf / `id` $(x)\n", values{"devices": "/dev/sda; rm -rf / `id` $(x)", "verbose_level": "0"}},
	}
	for _, tc := range tests {
		var errb bytes.Buffer
		v, err := parseStdin(strings.NewReader(tc.in), newLogger(&errb, time.Now, nil))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if !reflect.DeepEqual(v, tc.want) {
			t.Errorf("%q: got %v want %v", tc.in, v, tc.want)
		}
	}
}

func TestPyInt(t *testing.T) {
	for in, want := range map[string]int{"0": 0, " 12 ": 12, "+5": 5, "-3": -3, "1_000": 1000, "007": 7} {
		if n, ok := pyInt(in); !ok || n != want {
			t.Errorf("pyInt(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
	for _, in := range []string{"", "1.5", "x", "_1", "1_", "1__0", "+-1", "--1", "1e3", "0x10", "99999999999999999999"} {
		if n, ok := pyInt(in); ok {
			t.Errorf("pyInt(%q) = %d, want invalid", in, n)
		}
	}
}

func TestNormaliseKey(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "00ABC": "abc", "6C9D0001": "6c9d0001", "0123456789abcdef": "123456789abcdef", "fedcba9876543210": "fedcba9876543210"} {
		if got, err := normaliseKey(in); err != nil || got != want {
			t.Errorf("normaliseKey(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0", "0000", "0x1", "0X1", "x1ab", "12 3", "-1", "fedcba98765432101", "é"} {
		if got, err := normaliseKey(in); err == nil {
			t.Errorf("normaliseKey(%q) = %q, want error", in, got)
		}
	}
}

// FuzzParseStdin checks that no input crashes the parser, every error is a
// single line, and nothing it logs holds a control character.
func FuzzParseStdin(f *testing.F) {
	for _, s := range []string{"action=on\nplug=n\n", "key\n", "=\n", "\"=\"\n", "a=\"\"\"\n", "x=\x00", "\r\r\n#\n", "verbose=yes\nverbose_level=-1\n", "foo\v=\f\n", "no_login=\u2028\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var errb bytes.Buffer
		_, err := parseStdin(strings.NewReader(in), newLogger(&errb, time.Now, nil))
		checkOneLine(t, err, errb.String())
	})
}

// FuzzParseArgs: the getopt parser on any argument vector (NUL-separated
// in the fuzz input) never crashes, and its errors and warnings are lines
// without control characters.
func FuzzParseArgs(f *testing.F) {
	for _, s := range []string{"-o\x00on\x00-n\x00x", "-a\n", "--ac\x1b=1", "--de=x", "-vvvH", "--\x00-x", "--action", "-ooff\x00--plug=\xff", "x\x00it's\x00\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		var errb bytes.Buffer
		log := newLogger(&errb, time.Now, nil)
		_, err := parseArgs(strings.Split(in, "\x00"), log)
		checkOneLine(t, err, errb.String())
		if err != nil {
			errb.Reset()
			report(log, err)
			checkOneLine(t, nil, errb.String())
		}
	})
}

// checkOneLine fails when err's text is not one printable line or a logged
// line (trailing newlines aside) holds a control character.
func checkOneLine(t *testing.T, err error, logged string) {
	t.Helper()
	if err != nil && !printable(err.Error()) {
		t.Fatalf("error %q is not one printable line", err)
	}
	for _, l := range strings.Split(logged, "\n") {
		if !printable(l) {
			t.Fatalf("logged line %q holds a control character", l)
		}
	}
}

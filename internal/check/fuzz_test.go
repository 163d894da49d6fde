package check

import (
	"strings"
	"testing"
)

// FuzzReadSettings feeds arbitrary /etc/sysconfig/stonith contents to the
// watchdog check's parser: no panic, the defaults stay unless overridden,
// and every name and value is lower-case and free of whitespace (the
// regular expression takes \S* on both sides). The file is read by
// readSettings; the fuzzer calls its in-memory part.
func FuzzReadSettings(f *testing.F) {
	for _, s := range []string{"retry=3\nretry-sleep=2\nverbose=yes\n", "RETRY = 1", "=\n==\n", " x =  \n", "--suppress-errors=\n", "retry=99999999999999999999\nretry-sleep=1e308\n", "\xff=\xfe\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := parseSettings(settings{"retry": "0", "retry-sleep": "1"}, data)
		for k, v := range s {
			if k != strings.ToLower(k) || v != strings.ToLower(v) {
				t.Fatalf("not lower-cased: %q=%q", k, v)
			}
			// Go's \s is [\t\n\f\r ]; Python's also has \v and the
			// Unicode spaces, so "\v" can be a name here (docs/fuzzing.md).
			if strings.ContainsAny(k+v, " \t\n\r\f") {
				t.Fatalf("whitespace kept: %q=%q", k, v)
			}
		}
		if _, ok := s["retry"]; !ok {
			t.Fatal("retry default lost")
		}
		if _, ok := s["retry-sleep"]; !ok {
			t.Fatal("retry-sleep default lost")
		}
	})
}

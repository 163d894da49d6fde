package check

import (
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// settingRE is fence_scsi's parser of /etc/sysconfig/stonith (fence_scsi.py's scsi_check:
// `^\s*(\S*)\s*=\s*(\S*)\s*`, multi-line), in Go's syntax: the oracle of parseSettings,
// which does the same by hand so that the check links no regexp package.
var settingRE = regexp.MustCompile(`(?m)^\s*(\S*)\s*=\s*(\S*)`)

// regexpSettings is what parseSettings must return for data, found with settingRE.
func regexpSettings(data []byte) settings {
	s := settings{"retry": "0", "retry-sleep": "1"}
	for _, m := range settingRE.FindAllSubmatch(data, -1) {
		s[strings.ToLower(string(m[1]))] = strings.ToLower(string(m[2]))
	}
	return s
}

// TestParseSettingsMatchesRegexp: the hand-written parser finds what the regular expression
// finds, on the shapes that make it backtrack or span lines.
func TestParseSettingsMatchesRegexp(t *testing.T) {
	for _, in := range []string{"", "retry=3\nretry-sleep=2\nverbose=yes\n", "RETRY = 1", "=\n==\n",
		" x =  \n", "--suppress-errors=\n", "a=b=c\n", "a=b =c\n", "a\n=\nb\n", "a=\n\nb=1\n",
		"foo\nbar=1\n", "foo bar=1\nx", "  \n\t retry=2 trailing=9\nverbose = yes", "\xff=\xfe\n",
		"x=\v\n", "a==b", "=a", "retry=1\r\nverbose=yes\r\n", "é=É\n", "a\n\n=", "\n\n\n"} {
		if got, want := parseSettings(settings{"retry": "0", "retry-sleep": "1"}, []byte(in)), regexpSettings([]byte(in)); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: parsed %q, the regular expression finds %q", in, got, want)
		}
	}
}

// FuzzReadSettings feeds arbitrary /etc/sysconfig/stonith contents to the
// watchdog check's parser: the regular expression's result, no panic, the
// defaults stay unless overridden,
// and every name and value is lower-case and free of whitespace (the
// regular expression takes \S* on both sides). The file is read by
// readSettings; the fuzzer calls its in-memory part.
func FuzzReadSettings(f *testing.F) {
	for _, s := range []string{"retry=3\nretry-sleep=2\nverbose=yes\n", "RETRY = 1", "=\n==\n", " x =  \n", "--suppress-errors=\n", "retry=99999999999999999999\nretry-sleep=1e308\n", "\xff=\xfe\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s := parseSettings(settings{"retry": "0", "retry-sleep": "1"}, data)
		if want := regexpSettings(data); !reflect.DeepEqual(s, want) {
			t.Fatalf("%q: parsed %q, the regular expression finds %q", data, s, want)
		}
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

// FuzzRetryPolicy: whatever retry and retry-sleep say, the count stays
// within 0...MaxRetry and the sleep within 0...MaxRetrySleep seconds, and a
// value that was changed is reported on exactly one line.
func FuzzRetryPolicy(f *testing.F) {
	for _, s := range [][2]string{{"0", "1"}, {"99999999999999999999", "1e300"}, {"-1", "-inf"}, {"x", "nan"}, {"100", "86400"}, {"101", "9223372037"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, retry, sleep string) {
		var out strings.Builder
		n, d := retryPolicy(settings{"retry": retry, "retry-sleep": sleep}, logger{out: pythonLog(&out)})
		if n < 0 || n > MaxRetry || d < 0 || d > MaxRetrySleep*time.Second {
			t.Fatalf("retry=%q retry-sleep=%q: %d, %v out of bounds", retry, sleep, n, d)
		}
		// A value is kept exactly when it is a number within its bounds;
		// otherwise one line says what is used instead.
		want := 0
		if v, err := strconv.Atoi(retry); err != nil || v < 0 || v > MaxRetry {
			want++
		} else if n != v {
			t.Fatalf("retry=%q: %d", retry, n)
		}
		if v, err := strconv.ParseFloat(sleep, 64); err != nil || !(v >= 0 && v <= MaxRetrySleep) {
			want++
		} else if d != time.Duration(v*float64(time.Second)) {
			t.Fatalf("retry-sleep=%q: %v", sleep, d)
		}
		if lines := strings.Count(out.String(), "\n"); lines != want {
			t.Fatalf("retry=%q retry-sleep=%q: %d message lines, want %d: %q", retry, sleep, lines, want, out.String())
		}
	})
}

package state

import (
	"bytes"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
)

// FuzzParseKeyFile: any key file contents either give a key that prints
// back to the file's first line (modulo case, blanks and leading zeros) or
// an error; never a panic or a zero key.
func FuzzParseKeyFile(f *testing.F) {
	for _, s := range []string{"1a2b0001\n", "  00FF \nrest", "", "\n", "0x12\n", "12345678901234567\n", "\xff\xfe"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := parseKeyFile(data)
		if err != nil {
			return
		}
		if k == 0 {
			t.Fatal("zero key accepted")
		}
		line, _, _ := bytes.Cut(data, []byte("\n"))
		want := strings.TrimLeft(strings.ToLower(strings.TrimSpace(string(line))), "0")
		if got := keys.Format(k); got != want {
			t.Fatalf("key %q from first line %q", got, line)
		}
	})
}

// FuzzDeviceLines: the dev file parser returns exactly the non-blank lines,
// stripped, and AddDevices' append keeps them (round trip through the
// format).
func FuzzDeviceLines(f *testing.F) {
	for _, s := range []string{"/dev/sda\n/dev/sdb\n", "\n\n  /dev/x  \r\n", "no newline", "", "\x00\n\t\v\f"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		devs := deviceLines(data)
		var want []string
		for _, l := range strings.Split(string(data), "\n") {
			l = strings.TrimSuffix(l, "\r")
			if l = strings.TrimSpace(l); l != "" {
				want = append(want, l)
			}
		}
		if strings.Join(devs, "\x00") != strings.Join(want, "\x00") || len(devs) != len(want) {
			t.Fatalf("deviceLines(%q) = %q, want %q", data, devs, want)
		}
		for _, d := range devs {
			if d == "" || strings.ContainsAny(d, "\n") {
				t.Fatalf("bad device line %q", d)
			}
		}
	})
}

package keys

import (
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    scsi.Key
		wantErr string
	}{
		{in: "6c9d0000", want: 0x6c9d0000},
		{in: "1", want: 1},
		{in: "0029abcd", want: 0x29abcd},
		{in: "ffffffffffffffff", want: 0xffffffffffffffff},
		{in: "00000000ffffffffffffffff", want: 0xffffffffffffffff},
		{in: "0", wantErr: "Failed: key cannot be 0"},
		{in: "0000", wantErr: "Failed: key cannot be 0"},
		{in: "", wantErr: "Failed: key cannot be 0"},
		{in: "0x1ab", wantErr: `Failed: key "0x1ab" must be hex digits without a 0x prefix`},
		{in: "0X1AB", wantErr: `Failed: key "0X1AB" must be hex digits without a 0x prefix`},
		{in: "ABC", wantErr: `Failed: key "ABC" must be written in lower-case hex digits`},
		{in: "12g4", wantErr: `Failed: key "12g4" is not hexadecimal (character 'g')`},
		{in: " 1234", wantErr: `Failed: key " 1234" is not hexadecimal (character ' ')`},
		{in: "12;rm", wantErr: `Failed: key "12;rm" is not hexadecimal (character ';')`},
		{in: "1\n2", wantErr: `Failed: key "1\n2" is not hexadecimal (character '\n')`},
		{in: "1ffffffffffffffff", wantErr: `Failed: key "1ffffffffffffffff" is longer than 16 hex digits`},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("Parse(%q) = %v, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %#x, %v; want %#x", tt.in, uint64(got), err, uint64(tt.want))
		}
	}
}

func TestFormat(t *testing.T) {
	tests := map[scsi.Key]string{
		0x6c9d0000:         "6c9d0000",
		0x29abcd:           "29abcd",
		0xabc:              "abc",
		0xffffffffffffffff: "ffffffffffffffff",
	}
	for k, want := range tests {
		if got := Format(k); got != want {
			t.Errorf("Format(%#x) = %q, want %q", uint64(k), got, want)
		}
		if back, err := Parse(want); err != nil || back != k {
			t.Errorf("Parse(Format(%#x)) = %#x, %v", uint64(k), uint64(back), err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"6c9d0000", "0", "0x1", "ABC", "", "ffffffffffffffff0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := Parse(s)
		if err != nil {
			return
		}
		if k == 0 {
			t.Fatalf("Parse(%q) returned key 0 without error", s)
		}
		if back, err := Parse(Format(k)); err != nil || back != k {
			t.Fatalf("round trip of %q: %#x, %v", s, uint64(back), err)
		}
	})
}

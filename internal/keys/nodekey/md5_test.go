package nodekey

import (
	"crypto/md5"
	"math/rand/v2"
	"testing"
)

// TestMD5 compares md5Sum with crypto/md5 on every length around the
// padding boundaries (55, 56, 64, 119, 120 bytes...) and on random inputs.
func TestMD5(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for n := 0; n <= 300; n++ {
		for rep := 0; rep < 4; rep++ {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.Uint32())
			}
			if got, want := md5Sum(b), md5.Sum(b); got != want {
				t.Fatalf("len %d: %x, want %x", n, got, want)
			}
		}
	}
	// RFC 1321's test suite (appendix A.5).
	for in, want := range map[string]string{
		"":    "d41d8cd98f00b204e9800998ecf8427e",
		"abc": "900150983cd24fb0d6963f7d28e17f72",
		"12345678901234567890123456789012345678901234567890123456789012345678901234567890": "57edf4a22be3c955ac49da2e2107b67a",
	} {
		if got := md5Sum([]byte(in)); hexString(got[:]) != want {
			t.Errorf("md5(%q) = %x, want %s", in, got, want)
		}
	}
}

func FuzzMD5(f *testing.F) {
	f.Add([]byte("node1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := md5Sum(b), md5.Sum(b); got != want {
			t.Fatalf("%x: %x, want %x", b, got, want)
		}
	})
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

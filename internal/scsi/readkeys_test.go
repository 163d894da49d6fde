package scsi

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// keysTarget answers READ KEYS like a target holding n registrations:
// min(alloc, 8+8n) bytes with the full ADDITIONAL LENGTH (SPC-4 6.15.2).
// grow adds registrations after every read; lio truncates ADDITIONAL LENGTH
// to the allocation, as old LIO did (docs/pr-notes.md).
type keysTarget struct {
	n, grow int
	lio     bool
	allocs  []int
}

func (k *keysTarget) respond(_ int, cmd *Command) (*Result, error) {
	alloc := int(binary.BigEndian.Uint16(cmd.CDB[7:9]))
	k.allocs = append(k.allocs, alloc)
	addlen := 8 * k.n
	if k.lio {
		addlen = min(addlen, (alloc-8)/8*8)
	}
	b := binary.BigEndian.AppendUint32(nil, uint32(k.n))
	b = binary.BigEndian.AppendUint32(b, uint32(addlen))
	for i := range k.n {
		b = binary.BigEndian.AppendUint64(b, uint64(i+1))
	}
	k.n += k.grow
	return reply(cmd, b[:min(len(b), alloc)]), nil
}

// TestReadKeysReread covers the long key list rule of docs/pr-notes.md: re-read with the reported length,
// cap at 65528, at most 3 reads, Partial when the list still did not fit.
func TestReadKeysReread(t *testing.T) {
	tests := []struct {
		name    string
		target  keysTarget
		allocs  []int
		keys    int
		partial bool
	}{
		{"fits in 8 KiB", keysTarget{n: 2}, []int{8192}, 2, false},
		{"2000 keys: one re-read", keysTarget{n: 2000}, []int{8192, 16008}, 2000, false},
		{"9000 keys: capped at 65528", keysTarget{n: 9000}, []int{8192, 65528}, 8190, true},
		{"list grows between reads: 3 reads", keysTarget{n: 1100, grow: 200}, []int{8192, 8808, 10408}, 1300, true},
		{"exactly full buffer is confirmed once", keysTarget{n: 1023}, []int{8192, 16384}, 1023, false},
		{"old LIO truncated additional length", keysTarget{n: 1500, lio: true}, []int{8192, 16384}, 1500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTransport{respond: tt.target.respond}
			kl, err := newTestDevice(f, nil).ReadKeys(context.Background())
			if len(tt.target.allocs) != len(tt.allocs) {
				t.Fatalf("allocations %v, want %v", tt.target.allocs, tt.allocs)
			}
			for i := range tt.allocs {
				if tt.target.allocs[i] != tt.allocs[i] || f.calls[i].dataInLen != tt.allocs[i] {
					t.Fatalf("allocations %v, want %v", tt.target.allocs, tt.allocs)
				}
			}
			if tt.partial {
				// A list that never fit is an error, never a short list.
				if !errors.Is(err, ErrMalformed) || kl != nil || !strings.Contains(err.Error(), "does not fit") {
					t.Fatalf("ReadKeys = %v, %v; want a malformed-response error for a list that does not fit", kl, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(kl.Keys) != tt.keys || kl.Partial {
				t.Errorf("%d keys partial=%v, want %d partial=%v", len(kl.Keys), kl.Partial, tt.keys, tt.partial)
			}
			for i, k := range kl.Keys {
				if k != Key(i+1) {
					t.Fatalf("key %d = %v", i, k)
				}
			}
		})
	}
}

// TestReadKeysTruncatedTransfer: a residual that cuts the list short of
// what both the allocation and ADDITIONAL LENGTH promise is malformed.
func TestReadKeysTruncatedTransfer(t *testing.T) {
	f := &fakeTransport{respond: func(_ int, cmd *Command) (*Result, error) {
		r := reply(cmd, readKeysSample(5, keyHost, keyVictim))
		r.Resid += 4 // the last 4 bytes of the second key never arrived
		return r, nil
	}}
	_, err := newTestDevice(f, nil).ReadKeys(context.Background())
	var se *Error
	if !errors.Is(err, ErrMalformed) || !errors.As(err, &se) || se.Op != "read-keys" || se.Device != "/dev/sdz" {
		t.Fatalf("got %v, want malformed read-keys error", err)
	}
}

package nvme

import (
	"bytes"
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"
)

// Keys of the examples in docs/nvme.md: this host and the victim.
const (
	keyHost   Key = 0x00000000a1b20001
	keyVictim Key = 0x00000000a1b20002
	keyNew    Key = 0x00000000a1b20003
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// want is the expected passthrough command: every field of struct
// nvme_passthru_cmd the package sets, and the data buffer ("" = none; for
// controller-to-host commands only the length counts: dataLen).
type want struct {
	admin   bool
	opcode  uint8
	nsid    uint32
	cdw10   uint32
	cdw11   uint32
	data    string
	dataLen int
}

// TestGoldenCommands checks, through NewDevice, the exact dwords and data
// buffer of every command, derived by hand from NVMe Base 2.0 sections 7.2
// (Acquire), 7.3 (Register), 7.4 (Release), 7.5 (Report) and the Identify
// and Get Features admin commands; keys are little-endian.
func TestGoldenCommands(t *testing.T) {
	const hostLE = "01 00 b2 a1 00 00 00 00"
	const victimLE = "02 00 b2 a1 00 00 00 00"
	const newLE = "03 00 b2 a1 00 00 00 00"
	const zero8 = "00 00 00 00 00 00 00 00"
	tests := []struct {
		name string
		do   func(context.Context, Device) error
		want want
	}{
		{"register", func(ctx context.Context, d Device) error { return d.Register(ctx, keyHost, RegisterOptions{}) },
			want{opcode: 0x0D, nsid: 1, cdw10: 0x00000000, data: zero8 + hostLE}},
		{"register, CPTPL=11b (persist)", func(ctx context.Context, d Device) error {
			return d.Register(ctx, keyHost, RegisterOptions{PTPL: PTPLSet})
		}, want{opcode: 0x0D, nsid: 1, cdw10: 0xC0000000, data: zero8 + hostLE}},
		{"register, CPTPL=10b (clear)", func(ctx context.Context, d Device) error {
			return d.Register(ctx, keyHost, RegisterOptions{PTPL: PTPLClear})
		}, want{opcode: 0x0D, nsid: 1, cdw10: 0x80000000, data: zero8 + hostLE}},
		{"unregister: RREGA=001b, CRKEY", func(ctx context.Context, d Device) error { return d.Unregister(ctx, keyHost) },
			want{opcode: 0x0D, nsid: 1, cdw10: 0x00000001, data: hostLE + zero8}},
		{"replace: RREGA=010b, CRKEY, NRKEY", func(ctx context.Context, d Device) error {
			return d.Replace(ctx, keyHost, keyNew, RegisterOptions{})
		}, want{opcode: 0x0D, nsid: 1, cdw10: 0x00000002, data: hostLE + newLE}},
		{"acquire WE-RO: RACQA=000b, RTYPE=3", func(ctx context.Context, d Device) error { return d.Acquire(ctx, keyHost, WERO) },
			want{opcode: 0x11, nsid: 1, cdw10: 0x00000300, data: hostLE + zero8}},
		{"acquire EA-AR: RTYPE=6", func(ctx context.Context, d Device) error { return d.Acquire(ctx, keyHost, EAAR) },
			want{opcode: 0x11, nsid: 1, cdw10: 0x00000600, data: hostLE + zero8}},
		{"preempt: RACQA=001b, CRKEY, PRKEY", func(ctx context.Context, d Device) error {
			return d.Preempt(ctx, keyHost, keyVictim, WERO)
		}, want{opcode: 0x11, nsid: 1, cdw10: 0x00000301, data: hostLE + victimLE}},
		{"preempt-and-abort: RACQA=010b", func(ctx context.Context, d Device) error {
			return d.PreemptAndAbort(ctx, keyHost, keyVictim, WERO)
		}, want{opcode: 0x11, nsid: 1, cdw10: 0x00000302, data: hostLE + victimLE}},
		{"release: RRELA=000b, RTYPE=3, 8-byte CRKEY", func(ctx context.Context, d Device) error {
			return d.Release(ctx, keyHost, WERO)
		}, want{opcode: 0x15, nsid: 1, cdw10: 0x00000300, data: hostLE}},
		{"clear: RRELA=001b", func(ctx context.Context, d Device) error { return d.Clear(ctx, keyHost) },
			want{opcode: 0x15, nsid: 1, cdw10: 0x00000001, data: hostLE}},
		{"report: NUMD=1023 (4096 bytes), EDS=1", func(ctx context.Context, d Device) error { _, err := d.Report(ctx); return err },
			want{opcode: 0x0E, nsid: 1, cdw10: 1023, cdw11: 1, dataLen: 4096}},
		{"get features host identifier: FID=81h, EXHID=1", func(ctx context.Context, d Device) error { _, err := d.HostID(ctx); return err },
			want{admin: true, opcode: 0x0A, cdw10: 0x81, cdw11: 1, dataLen: 16}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d, f, _ := newFake(nil)
			if err := tc.do(context.Background(), d); err != nil {
				t.Fatal(err)
			}
			if f.n() != 1 {
				t.Fatalf("%d commands sent, want 1", f.n())
			}
			checkSent(t, f.calls[0], tc.want)
		})
	}
}

// checkSent compares one recorded command with w.
func checkSent(t *testing.T, s sent, w want) {
	t.Helper()
	c := s.cmd
	if c.Admin != w.admin || c.Opcode != w.opcode || c.NSID != w.nsid || c.CDW10 != w.cdw10 || c.CDW11 != w.cdw11 {
		t.Errorf("sent admin=%v opcode=%#02x nsid=%d cdw10=%#08x cdw11=%#x, want admin=%v opcode=%#02x nsid=%d cdw10=%#08x cdw11=%#x",
			c.Admin, c.Opcode, c.NSID, c.CDW10, c.CDW11, w.admin, w.opcode, w.nsid, w.cdw10, w.cdw11)
	}
	if c.Flags != 0 || c.CDW2|c.CDW3|c.CDW12|c.CDW13|c.CDW14|c.CDW15 != 0 {
		t.Errorf("reserved fields set: %+v", c)
	}
	if w.data != "" {
		if wd := unhex(t, w.data); !bytes.Equal(s.data, wd) {
			t.Errorf("data [% x], want [% x]", s.data, wd)
		}
		if !c.HostToController() {
			t.Errorf("opcode %#x does not send its data", c.Opcode)
		}
	} else if len(s.data) != w.dataLen || c.HostToController() {
		t.Errorf("data-in buffer of %d bytes (to controller %v), want %d from the controller", len(s.data), c.HostToController(), w.dataLen)
	}
	if c.TimeoutMS == 0 || time.Duration(c.TimeoutMS)*time.Millisecond > DefaultTimeout {
		t.Errorf("timeout_ms %d outside (0, %v]", c.TimeoutMS, DefaultTimeout)
	}
}

// TestGoldenCapabilities checks the two Identify commands: CNS 01h with
// NSID 0, then CNS 00h with the namespace's NSID.
func TestGoldenCapabilities(t *testing.T) {
	d, f, _ := newFake(func(i int, cmd *Command) (Completion, error) {
		copy(cmd.Data, identifySample(i == 0))
		return Completion{}, nil
	})
	if _, err := d.Capabilities(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.n() != 2 {
		t.Fatalf("%d commands, want 2", f.n())
	}
	checkSent(t, f.calls[0], want{admin: true, opcode: 0x06, nsid: 0, cdw10: 1, dataLen: 4096})
	checkSent(t, f.calls[1], want{admin: true, opcode: 0x06, nsid: 1, cdw10: 0, dataLen: 4096})
}

// TestGoldenRegisterAndIgnore: Register, then on a conflict (registered with
// another key) Replace with IEKEY=1 (CDW10 = 010b | 1<<3 = 0x0A).
func TestGoldenRegisterAndIgnore(t *testing.T) {
	d, f, _ := newFake(func(i int, cmd *Command) (Completion, error) {
		if i == 0 {
			return Completion{Status: StatusReservationConflict | StatusDNR}, nil
		}
		return Completion{}, nil
	})
	if err := d.RegisterAndIgnore(context.Background(), keyHost, RegisterOptions{PTPL: PTPLSet}); err != nil {
		t.Fatal(err)
	}
	if f.n() != 2 {
		t.Fatalf("%d commands, want 2", f.n())
	}
	checkSent(t, f.calls[0], want{opcode: 0x0D, nsid: 1, cdw10: 0xC0000000, data: "00 00 00 00 00 00 00 00 01 00 b2 a1 00 00 00 00"})
	checkSent(t, f.calls[1], want{opcode: 0x0D, nsid: 1, cdw10: 0xC000000A, data: "00 00 00 00 00 00 00 00 01 00 b2 a1 00 00 00 00"})
}

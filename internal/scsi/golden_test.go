package scsi

import (
	"bytes"
	"context"
	"testing"
	"time"
)

// Example keys: this node and the victim.
const (
	keyHost   Key = 0x00000000a1b20001
	keyVictim Key = 0x00000000a1b20002
)

// TestGoldenBytes checks, through NewDevice, the exact CDB, direction and
// parameter list of every command fence_scsi sends through sg_persist
// (sg3_utils src/sg_persist.c, as seen with strace).
func TestGoldenBytes(t *testing.T) {
	tests := []struct {
		name      string
		do        func(context.Context, Device) error
		cdb       string
		dir       Direction
		dataOut   string // "" = none
		dataInLen int
	}{
		{
			name: "register-and-ignore -I -S a1b20001",
			do:   func(ctx context.Context, d Device) error { return d.RegisterAndIgnore(ctx, keyHost, RegisterOptions{}) },
			cdb:  "5f 06 00 00 00 00 00 00 18 00", dir: DirToDevice,
			dataOut: "00 00 00 00 00 00 00 00  00 00 00 00 a1 b2 00 01  00 00 00 00 00 00 00 00",
		},
		{
			name: "register-and-ignore with APTPL (-Z)",
			do: func(ctx context.Context, d Device) error {
				return d.RegisterAndIgnore(ctx, keyHost, RegisterOptions{APTPL: true})
			},
			cdb: "5f 06 00 00 00 00 00 00 18 00", dir: DirToDevice,
			dataOut: "00 00 00 00 00 00 00 00  00 00 00 00 a1 b2 00 01  00 00 00 00 01 00 00 00",
		},
		{
			name: "register-and-ignore with ALL_TG_PT",
			do: func(ctx context.Context, d Device) error {
				return d.RegisterAndIgnore(ctx, keyHost, RegisterOptions{AllTgPt: true, APTPL: true})
			},
			cdb: "5f 06 00 00 00 00 00 00 18 00", dir: DirToDevice,
			dataOut: "00 00 00 00 00 00 00 00  00 00 00 00 a1 b2 00 01  00 00 00 00 05 00 00 00",
		},
		{
			name: "reserve -R -T 5 -K a1b20001",
			do: func(ctx context.Context, d Device) error {
				return d.Reserve(ctx, keyHost, TypeWriteExclusiveRegistrantsOnly)
			},
			cdb: "5f 01 05 00 00 00 00 00 18 00", dir: DirToDevice,
			dataOut: "00 00 00 00 a1 b2 00 01  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00",
		},
		{
			name: "preempt -P -T 5 -K a1b20001 -S a1b20001 (self-preempt)",
			do: func(ctx context.Context, d Device) error {
				return d.Preempt(ctx, keyHost, keyHost, TypeWriteExclusiveRegistrantsOnly)
			},
			cdb: "5f 04 05 00 00 00 00 00 18 00", dir: DirToDevice,
			dataOut: "00 00 00 00 a1 b2 00 01  00 00 00 00 a1 b2 00 01  00 00 00 00 00 00 00 00",
		},
		{
			name: "preempt-and-abort -A -T 5 -K a1b20001 -S a1b20002",
			do: func(ctx context.Context, d Device) error {
				return d.PreemptAndAbort(ctx, keyHost, keyVictim, TypeWriteExclusiveRegistrantsOnly)
			},
			cdb: "5f 05 05 00 00 00 00 00 18 00", dir: DirToDevice,
			dataOut: "00 00 00 00 a1 b2 00 01  00 00 00 00 a1 b2 00 02  00 00 00 00 00 00 00 00",
		},
		{
			name: "unregister -G -K a1b20001 -S 0",
			do:   func(ctx context.Context, d Device) error { return d.Register(ctx, keyHost, 0, RegisterOptions{}) },
			cdb:  "5f 00 00 00 00 00 00 00 18 00", dir: DirToDevice,
			dataOut: "00 00 00 00 a1 b2 00 01  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00",
		},
		{
			name: "register RK=0 SARK=a1b20002",
			do:   func(ctx context.Context, d Device) error { return d.Register(ctx, 0, keyVictim, RegisterOptions{}) },
			cdb:  "5f 00 00 00 00 00 00 00 18 00", dir: DirToDevice,
			dataOut: "00 00 00 00 00 00 00 00  00 00 00 00 a1 b2 00 02  00 00 00 00 00 00 00 00",
		},
		{
			name: "release type 5",
			do: func(ctx context.Context, d Device) error {
				return d.Release(ctx, keyHost, TypeWriteExclusiveRegistrantsOnly)
			},
			cdb: "5f 02 05 00 00 00 00 00 18 00", dir: DirToDevice,
			dataOut: "00 00 00 00 a1 b2 00 01  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00",
		},
		{
			name: "clear",
			do:   func(ctx context.Context, d Device) error { return d.Clear(ctx, keyHost) },
			cdb:  "5f 03 00 00 00 00 00 00 18 00", dir: DirToDevice,
			dataOut: "00 00 00 00 a1 b2 00 01  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00",
		},
		{
			name: "read keys, 8 KiB",
			do:   func(ctx context.Context, d Device) error { _, err := d.ReadKeys(ctx); return err },
			cdb:  "5e 00 00 00 00 00 00 20 00 00", dir: DirFromDevice, dataInLen: 8192,
		},
		{
			name: "read reservation",
			do:   func(ctx context.Context, d Device) error { _, err := d.ReadReservation(ctx); return err },
			cdb:  "5e 01 00 00 00 00 00 00 18 00", dir: DirFromDevice, dataInLen: 24,
		},
		{
			name: "report capabilities",
			do:   func(ctx context.Context, d Device) error { _, err := d.ReportCapabilities(ctx); return err },
			cdb:  "5e 02 00 00 00 00 00 00 08 00", dir: DirFromDevice, dataInLen: 8,
		},
		{
			name: "read full status",
			do:   func(ctx context.Context, d Device) error { _, err := d.ReadFullStatus(ctx); return err },
			cdb:  "5e 03 00 00 00 00 00 20 00 00", dir: DirFromDevice, dataInLen: 8192,
		},
		{
			name: "test unit ready",
			do:   func(ctx context.Context, d Device) error { return d.TestUnitReady(ctx) },
			cdb:  "00 00 00 00 00 00", dir: DirNone,
		},
		{
			name: "inquiry standard",
			do:   func(ctx context.Context, d Device) error { _, err := d.Inquiry(ctx); return err },
			cdb:  "12 00 00 00 24 00", dir: DirFromDevice, dataInLen: 36,
		},
		{
			name: "inquiry vpd 0x83",
			do:   func(ctx context.Context, d Device) error { _, err := d.InquiryVPD(ctx, 0x83); return err },
			cdb:  "12 01 83 00 fc 00", dir: DirFromDevice, dataInLen: 252,
		},
		{
			name: "inquiry vpd 0x80",
			do:   func(ctx context.Context, d Device) error { _, err := d.InquiryVPD(ctx, 0x80); return err },
			cdb:  "12 01 80 00 fc 00", dir: DirFromDevice, dataInLen: 252,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeTransport{respond: func(_ int, cmd *Command) (*Result, error) {
				return reply(cmd, plausibleResponse(cmd)), nil
			}}
			if err := tt.do(context.Background(), newTestDevice(f, nil)); err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(f.calls) != 1 {
				t.Fatalf("sent %d commands, want 1", len(f.calls))
			}
			c := f.calls[0]
			if want := unhex(t, tt.cdb); !bytes.Equal(c.cdb, want) {
				t.Errorf("CDB\n got % x\nwant % x", c.cdb, want)
			}
			if c.dir != tt.dir {
				t.Errorf("direction %d, want %d", c.dir, tt.dir)
			}
			var wantOut []byte
			if tt.dataOut != "" {
				wantOut = unhex(t, tt.dataOut)
			}
			if !bytes.Equal(c.dataOut, wantOut) {
				t.Errorf("parameter list\n got % x\nwant % x", c.dataOut, wantOut)
			}
			if c.dataInLen != tt.dataInLen {
				t.Errorf("data-in length %d, want %d", c.dataInLen, tt.dataInLen)
			}
			if c.timeout != DefaultTimeout {
				t.Errorf("timeout %v, want %v", c.timeout, DefaultTimeout)
			}
		})
	}
}

// plausibleResponse is a minimal valid answer for each data-in command.
func plausibleResponse(cmd *Command) []byte {
	switch {
	case cmd.CDB[0] == OpInquiry && cmd.CDB[1] == 0:
		return []byte{0x00, 0x00, 0x06, 0x02, 31}
	case cmd.CDB[0] == OpInquiry:
		return []byte{0x00, cmd.CDB[2], 0x00, 0x00}
	case cmd.CDB[0] == OpPersistentReserveIn && cmd.CDB[1] == byte(PRInReportCapabilities):
		return []byte{0x00, 0x08, 0, 0, 0, 0, 0, 0}
	case cmd.CDB[0] == OpPersistentReserveIn:
		return make([]byte, 8)
	}
	return nil
}

// TestBuilders pins the pure builders directly, including fields the
// Device methods never vary (scope, SPEC_I_PT never set).
func TestBuilders(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"PRInCDB max alloc", PRInCDB(PRInReadKeys, MaxPRInAlloc), "5e 00 00 00 00 00 00 ff f8 00"},
		{"PRInCDB SA masked to 5 bits", PRInCDB(0xE3, 16), "5e 03 00 00 00 00 00 00 10 00"},
		{"PROutCDB scope nibble", PROutCDB(PROutReserve, 1, TypeExclusiveAccess), "5f 01 13 00 00 00 00 00 18 00"},
		{"PROutCDB EA-AR", PROutCDB(PROutPreempt, ScopeLU, TypeExclusiveAccessAllRegistrants), "5f 04 08 00 00 00 00 00 18 00"},
		{"PROutParams big keys", PROutParams(0x0102030405060708, 0xf1f2f3f4f5f6f7f8, RegisterOptions{AllTgPt: true}),
			"01 02 03 04 05 06 07 08 f1 f2 f3 f4 f5 f6 f7 f8 00 00 00 00 04 00 00 00"},
		{"InquiryCDB vpd 0", InquiryCDB(true, 0, 252), "12 01 00 00 fc 00"},
		{"InquiryCDB 16-bit alloc", InquiryCDB(false, 0, 0x1234), "12 00 00 12 34 00"},
		{"TestUnitReadyCDB", TestUnitReadyCDB(), "00 00 00 00 00 00"},
	}
	for _, tt := range tests {
		if want := unhex(t, tt.want); !bytes.Equal(tt.got, want) {
			t.Errorf("%s\n got % x\nwant % x", tt.name, tt.got, want)
		}
	}
}

// TestCommandTimeoutFollowsDeadline checks the SG_IO timeout shrinks to the ctx deadline.
func TestCommandTimeoutFollowsDeadline(t *testing.T) {
	f := &fakeTransport{}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := newTestDevice(f, nil).TestUnitReady(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.calls[0].timeout; got > 10*time.Second || got < 9*time.Second {
		t.Errorf("command timeout %v, want about 10s", got)
	}
}

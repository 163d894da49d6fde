package sim

import (
	"context"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// TestPROutFieldValidation covers SPC-4 6.16.1 and 6.16.3 field checks (processing
// order step 4, docs/pr-notes.md, "Processing order").
func TestPROutFieldValidation(t *testing.T) {
	withLen := func(n int) *scsi.Command {
		c := prOutCmd(regIgn, 0, 0, 5, 0)
		c.CDB[8] = byte(n)
		c.DataOut = make([]byte, n)
		return c
	}
	withCDB := func(i int, v byte) *scsi.Command {
		c := prOutCmd(regIgn, 0, 0, 5, 0)
		c.CDB[i] = v
		return c
	}
	for _, tc := range []struct {
		name   string
		quirks Quirks
		cmd    *scsi.Command
		want   string
	}{
		{"length 20", QuirkNone, withLen(20), "CC 5/1A/00"},
		{"length 28", QuirkNone, withLen(28), "CC 5/1A/00"},
		{"length 20 tgt", QuirkTGT, withLen(20), "CC 5/24/00"},
		{"length 0", QuirkNone, withLen(0), "CC 5/1A/00"},
		{"SPEC_I_PT", QuirkNone, prOutCmd(regIgn, 0, 0, 5, flagSpecIPT), "CC 5/26/00"},
		{"SPEC_I_PT register", QuirkNone, prOutCmd(register, 0, 0, 5, flagSpecIPT), "CC 5/26/00"},
		{"ALL_TG_PT tgt", QuirkTGT, prOutCmd(regIgn, 0, 0, 5, flagAllTgPt), "CC 5/24/00"},
		{"ALL_TG_PT", QuirkNone, prOutCmd(regIgn, 0, 0, 5, flagAllTgPt), "GOOD"},
		{"register and move", QuirkNone, prOutCmd(saRegisterAndMove, 0, 0, 5, 0), "CC 5/24/00"},
		{"replace lost reservation", QuirkNone, prOutCmd(saReplaceLost, 5, 0, 5, 0), "CC 5/24/00"},
		{"reserved SA 0x1F", QuirkNone, prOutCmd(0x1F, 0, 0, 5, 0), "CC 5/24/00"},
		{"reserved bits byte 1", QuirkNone, withCDB(1, 0x26), "CC 5/24/00"},
		{"reserved byte 4", QuirkNone, withCDB(4, 1), "CC 5/24/00"},
		{"CONTROL", QuirkNone, withCDB(9, 4), "CC 5/24/00"},
		{"unknown opcode", QuirkNone, &scsi.Command{CDB: []byte{0xA3, 0x0A, 0, 0, 0, 0, 0, 0, 0, 64, 0, 0}, Direction: scsi.DirFromDevice, DataInLen: 64}, "CC 5/20/00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lu := NewLU(WithQuirks(tc.quirks))
			if got := outcome(run(t, lu.Connect("a"), tc.cmd)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			if tc.want != "GOOD" && len(lu.Registrations()) != 0 {
				t.Error("a rejected command registered")
			}
		})
	}
}

// TestContractViolations: a CDB of the wrong length, a wrong data direction
// or buffer sizes that disagree with the CDB are builder bugs; Execute
// fails loudly instead of answering like a target.
func TestContractViolations(t *testing.T) {
	short := prOutCmd(regIgn, 0, 0, 5, 0)
	short.DataOut = short.DataOut[:20]
	for name, cmd := range map[string]*scsi.Command{
		"6-byte PR IN":       {CDB: []byte{0x5E, 0, 0, 0, 8, 0}, Direction: scsi.DirFromDevice, DataInLen: 8},
		"PR IN to device":    {CDB: prInCmd(0, 8).CDB, Direction: scsi.DirToDevice, DataOut: make([]byte, 8)},
		"PR IN short buffer": {CDB: prInCmd(0, 64).CDB, Direction: scsi.DirFromDevice, DataInLen: 8},
		"PR OUT short data":  short,
		"empty CDB":          {Direction: scsi.DirNone},
	} {
		if _, err := NewLU().Connect("a").Execute(context.Background(), cmd); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

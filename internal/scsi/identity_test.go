package scsi_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi/sim"
)

func TestDesignatorNamePreference(t *testing.T) {
	naa := scsi.Designator{Type: scsi.DesignatorNAA, Value: []byte{0x60, 0x01, 0x40, 0x5a}}
	eui := scsi.Designator{Type: scsi.DesignatorEUI64, Value: []byte{1, 2, 3, 4, 5, 6, 7, 8}}
	port := scsi.Designator{Type: scsi.DesignatorNAA, Association: 1, Value: []byte{0x50, 0x01}}
	name := scsi.Designator{Type: scsi.DesignatorSCSIName, CodeSet: 3, Value: []byte("iqn.x,t,0x1\x00\x00")}
	t10 := scsi.Designator{Type: scsi.DesignatorT10VendorID, CodeSet: 2, Value: []byte("LIO-ORG abc   ")}
	tests := []struct {
		ds   []scsi.Designator
		want string
	}{
		{[]scsi.Designator{t10, eui, naa}, "naa.6001405a"},
		{[]scsi.Designator{t10, port, eui}, "eui.0102030405060708"},
		{[]scsi.Designator{port, name, t10}, "name.iqn.x,t,0x1"},
		{[]scsi.Designator{port, t10}, "t10.LIO-ORG abc"},
		{[]scsi.Designator{port}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := scsi.DesignatorName(tt.ds); got != tt.want {
			t.Errorf("DesignatorName(%v) = %q, want %q", tt.ds, got, tt.want)
		}
	}
}

// TestLUIdentitySamePerLU: two nexuses to one LU give the same name, two LUs
// with different serials different names.
func TestLUIdentitySamePerLU(t *testing.T) {
	ctx := context.Background()
	a, b := sim.NewLU(sim.WithSerial("serial-a")), sim.NewLU(sim.WithSerial("serial-b"))
	id := func(lu *sim.LU, nexus string) string {
		t.Helper()
		s, err := scsi.LUIdentity(ctx, scsi.NewDevice(nexus, lu.Connect(nexus), scsi.DeviceOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	a1, a2, b1 := id(a, "n1"), id(a, "n2"), id(b, "n1")
	if a1 != a2 || a1 == b1 || !strings.HasPrefix(a1, "naa.6") {
		t.Fatalf("identities: a via n1 %q, a via n2 %q, b via n1 %q", a1, a2, b1)
	}
}

// TestErrNoIdentity: the sentinel keeps the text and the chain it had as a
// wrapped fmt.Errorf.
func TestErrNoIdentity(t *testing.T) {
	if want := fmt.Errorf("%w (VPD pages 0x83 and 0x80)", pr.ErrNoIdentity).Error(); scsi.ErrNoIdentity.Error() != want {
		t.Errorf("text %q, want %q", scsi.ErrNoIdentity.Error(), want)
	}
	wrapped := fmt.Errorf("%s: %w", "/dev/sdx", scsi.ErrNoIdentity)
	if !errors.Is(wrapped, scsi.ErrNoIdentity) || !errors.Is(wrapped, pr.ErrNoIdentity) {
		t.Error("a wrapped ErrNoIdentity does not match ErrNoIdentity and pr.ErrNoIdentity")
	}
	if errors.Is(pr.ErrNoIdentity, scsi.ErrNoIdentity) {
		t.Error("pr.ErrNoIdentity matches the SCSI sentinel")
	}
}

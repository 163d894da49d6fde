package pr

import (
	"errors"
	"testing"
)

func TestTypes(t *testing.T) {
	names := map[Type]string{TypeNone: "none", WE: "WE", EA: "EA", WERO: "WE-RO", EARO: "EA-RO",
		WEAR: "WE-AR", EAAR: "EA-AR", TypeUnknown: "unknown", 42: "type-42"}
	for ty, n := range names {
		if ty.String() != n {
			t.Errorf("Type(%d).String() = %q, want %q", ty, ty, n)
		}
	}
	valid := 0
	for ty := range Type(255) {
		if ty.Valid() {
			valid++
		}
	}
	if valid != 6 || len(Types()) != 6 || TypeNone.Valid() || TypeUnknown.Valid() {
		t.Errorf("%d valid types, Types() has %d", valid, len(Types()))
	}
	for _, ty := range Types() {
		if ty.AllRegistrants() != (ty == WEAR || ty == EAAR) || ty.RegistrantsOnly() != (ty == WERO || ty == EARO) ||
			ty.ExclusiveAccess() != (ty == EA || ty == EARO || ty == EAAR) {
			t.Errorf("%v: wrong class", ty)
		}
	}
	if Key(0xa1b2).String() != "0xa1b2" || SCSI.String() != "scsi" || NVMe.String() != "nvme" {
		t.Error("key or transport names")
	}
}

func TestKeyListAndCapabilities(t *testing.T) {
	kl := &KeyList{Keys: []Key{1, 2, 1}}
	if kl.Count(1) != 2 || !kl.Contains(2) || kl.Contains(3) {
		t.Errorf("KeyList %v", kl.Keys)
	}
	all := &Capabilities{}
	some := &Capabilities{Types: []Type{WERO}}
	none := &Capabilities{Types: []Type{}}
	if !all.Supports(EAAR) || all.Supports(TypeNone) || !some.Supports(WERO) || some.Supports(WEAR) || none.Supports(WERO) {
		t.Error("Capabilities.Supports")
	}
	if errors.Is(ErrIllegalRequest, ErrNotSupported) || ErrNotSupported.Error() != "persistent reservations not supported" {
		t.Error("the classes are distinct and keep the SCSI layer's texts")
	}
}

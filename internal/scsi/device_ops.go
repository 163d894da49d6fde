package scsi

import (
	"context"
	"encoding/binary"
	"fmt"
)

// The Device methods: one CDB builder, one exec, one parser each.

func (d *device) TestUnitReady(ctx context.Context) error {
	_, err := d.exec(ctx, "test-unit-ready", &Command{CDB: TestUnitReadyCDB(), Direction: DirNone})
	return err
}

func (d *device) Inquiry(ctx context.Context) (*InquiryData, error) {
	const op = "inquiry"
	data, err := d.dataIn(ctx, op, InquiryCDB(false, 0, StandardInquiryLen), StandardInquiryLen)
	if err != nil {
		return nil, err
	}
	inq, err := ParseInquiry(data)
	return inq, d.fail(op, err)
}

func (d *device) InquiryVPD(ctx context.Context, page byte) ([]byte, error) {
	const op = "inquiry-vpd"
	alloc := VPDAllocLen
	data, err := d.dataIn(ctx, op, InquiryCDB(true, page, uint16(alloc)), alloc)
	if err != nil {
		return nil, err
	}
	// A page longer than the first allocation is read once more in full.
	if len(data) == alloc && len(data) >= 4 && data[1] == page {
		if n := 4 + int(binary.BigEndian.Uint16(data[2:4])); n > alloc {
			alloc = min(n, 0xFFFF)
			if data, err = d.dataIn(ctx, op, InquiryCDB(true, page, uint16(alloc)), alloc); err != nil {
				return nil, err
			}
		}
	}
	p, err := ParseVPD(data, page)
	if err != nil {
		return nil, d.fail(op, err)
	}
	return append([]byte(nil), p...), nil
}

// dataIn runs a data-in command with a buffer equal to the allocation length (SPC-4 4.2.5.6; tgt rejects a shorter buffer).
func (d *device) dataIn(ctx context.Context, op string, cdb []byte, alloc int) ([]byte, error) {
	return d.exec(ctx, op, &Command{CDB: cdb, Direction: DirFromDevice, DataInLen: alloc})
}

func (d *device) prIn(ctx context.Context, op string, sa PRInServiceAction, alloc int) ([]byte, error) {
	return d.dataIn(ctx, op, PRInCDB(sa, uint16(alloc)), alloc)
}

// prInGrowing reads a list whose length is the ADDITIONAL LENGTH at bytes
// 4-7, re-reading with a larger allocation when it did not fit (docs/pr-notes.md, "Short data and long key lists").
// parse reports whether the allocation cut the list and its ADDITIONAL LENGTH.
//
// Some targets do not report the full length of a cut list: old LIO cuts
// READ KEYS' ADDITIONAL LENGTH to the allocation, current LIO counts (and
// sends) only the READ FULL STATUS descriptors that fit. Such an answer looks
// complete, so one that leaves less room than entry (the largest list entry)
// is ambiguous and read again with twice the room; as long as the list keeps
// growing with the room, the doubling goes on (up to MaxPRInAlloc).
// READ KEYS' entry is 8 bytes, so there only a completely full buffer is
// ambiguous (docs/pr-notes.md, "Short data and long key lists").
func (d *device) prInGrowing(ctx context.Context, op string, sa PRInServiceAction, entry uint64,
	parse func(data []byte, alloc int) (cut bool, addlen uint64, err error)) error {
	alloc := d.opt.ReadKeysAlloc
	fullLengths := false // the target reported the full length of a cut list
	var prev uint64
	grown := 0 // re-reads because the target said the list was cut
	for read := 1; ; read++ {
		data, err := d.prIn(ctx, op, sa, alloc)
		if err != nil {
			return err
		}
		cut, addlen, err := parse(data, alloc)
		if err != nil {
			return d.fail(op, err)
		}
		used := 8 + addlen
		ambiguous := !cut && !fullLengths && used <= uint64(alloc) && uint64(alloc)-used < entry
		next := alloc
		switch {
		case cut:
			fullLengths = true
			next = int(min(roundUp8(used), MaxPRInAlloc))
			grown++
		case ambiguous && (read == 1 || addlen > prev):
			next = min(2*alloc, MaxPRInAlloc)
		}
		prev = addlen
		// Doubling ends at MaxPRInAlloc; growing to the reported length is
		// bounded by prInMaxReads (a list that changes between reads).
		if next <= alloc || grown == prInMaxReads {
			if cut {
				d.logf("%s %s: list of %d bytes did not fit in %d", op, d.name, addlen, alloc)
			}
			return nil
		}
		d.logf("%s %s: re-reading with allocation length %d (additional length %d)", op, d.name, next, addlen)
		alloc = next
	}
}

// keyEntry is the size of a READ KEYS entry; fullStatusEntry bounds a READ
// FULL STATUS descriptor: 24 bytes and an iSCSI TransportID with ISID (4 +
// 223-byte name, ",i,0x", 12 hex digits, NUL, padded to 4: 248 bytes).
const (
	keyEntry        = 8
	fullStatusEntry = 24 + 248
)

func roundUp8(n uint64) uint64 { return (n + 7) &^ 7 }

func (d *device) ReadKeys(ctx context.Context) (*KeyList, error) {
	const op = "read-keys"
	var kl *KeyList
	err := d.prInGrowing(ctx, op, PRInReadKeys, keyEntry, func(data []byte, alloc int) (bool, uint64, error) {
		var addlen uint64
		var err error
		kl, addlen, err = parseReadKeys(data, alloc)
		if err == nil && addlen%8 != 0 {
			d.logf("%s %s: additional length %d is not a multiple of 8", op, d.name, addlen)
		}
		return kl != nil && kl.Partial, addlen, err
	})
	if err != nil {
		return nil, err
	}
	if kl.Partial {
		// A list that did not fit is not the list: a key missing from it may
		// still be registered. Every caller (fence, watchdog check,
		// arbitration) decides on the whole list, so this is an error.
		return nil, d.fail(op, &Error{Class: ErrMalformed,
			Detail: fmt.Sprintf("the key list (%d bytes) does not fit in the largest allocation length %d; refusing to decide on part of it", 8+8*len(kl.Keys), MaxPRInAlloc)})
	}
	return kl, nil
}

func (d *device) ReadFullStatus(ctx context.Context) (*FullStatus, error) {
	const op = "read-full-status"
	var fs *FullStatus
	err := d.prInGrowing(ctx, op, PRInReadFullStatus, fullStatusEntry, func(data []byte, alloc int) (bool, uint64, error) {
		var addlen uint64
		var err error
		fs, addlen, err = parseReadFullStatus(data, alloc)
		return fs != nil && fs.Partial, addlen, err
	})
	if err != nil {
		return nil, err
	}
	return fs, nil
}

// ReadReservationAlloc is the READ RESERVATION allocation length (SPC-4 6.15.3: at least 24).
const ReadReservationAlloc = 24

// ReportCapabilitiesAlloc is the REPORT CAPABILITIES allocation length (SPC-4 6.15.4).
const ReportCapabilitiesAlloc = 8

func (d *device) ReadReservation(ctx context.Context) (*Reservation, error) {
	const op = "read-reservation"
	data, err := d.prIn(ctx, op, PRInReadReservation, ReadReservationAlloc)
	if err != nil {
		return nil, err
	}
	r, err := ParseReadReservation(data, ReadReservationAlloc)
	return r, d.fail(op, err)
}

func (d *device) ReportCapabilities(ctx context.Context) (*Capabilities, error) {
	const op = "report-capabilities"
	data, err := d.prIn(ctx, op, PRInReportCapabilities, ReportCapabilitiesAlloc)
	if err != nil {
		return nil, err
	}
	c, err := ParseReportCapabilities(data, ReportCapabilitiesAlloc)
	return c, d.fail(op, err)
}

// prOut sends one PERSISTENT RESERVE OUT with its 24-byte parameter list.
func (d *device) prOut(ctx context.Context, op string, sa PROutServiceAction, typ ReservationType, rk, sark Key, opt RegisterOptions) error {
	_, err := d.exec(ctx, op, &Command{
		CDB:       PROutCDB(sa, ScopeLU, typ),
		Direction: DirToDevice,
		DataOut:   PROutParams(rk, sark, opt),
	})
	return err
}

func (d *device) Register(ctx context.Context, rk, sark Key, opt RegisterOptions) error {
	return d.prOut(ctx, "register", PROutRegister, TypeNone, rk, sark, opt)
}

func (d *device) RegisterAndIgnore(ctx context.Context, sark Key, opt RegisterOptions) error {
	return d.prOut(ctx, "register-and-ignore-existing-key", PROutRegisterAndIgnore, TypeNone, 0, sark, opt)
}

func (d *device) Reserve(ctx context.Context, rk Key, t ReservationType) error {
	return d.prOut(ctx, "reserve", PROutReserve, t, rk, 0, RegisterOptions{})
}

func (d *device) Release(ctx context.Context, rk Key, t ReservationType) error {
	return d.prOut(ctx, "release", PROutRelease, t, rk, 0, RegisterOptions{})
}

func (d *device) Clear(ctx context.Context, rk Key) error {
	return d.prOut(ctx, "clear", PROutClear, TypeNone, rk, 0, RegisterOptions{})
}

func (d *device) Preempt(ctx context.Context, rk, sark Key, t ReservationType) error {
	return d.prOut(ctx, "preempt", PROutPreempt, t, rk, sark, RegisterOptions{})
}

func (d *device) PreemptAndAbort(ctx context.Context, rk, sark Key, t ReservationType) error {
	return d.prOut(ctx, "preempt-and-abort", PROutPreemptAndAbort, t, rk, sark, RegisterOptions{})
}

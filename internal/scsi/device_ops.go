package scsi

import (
	"context"
	"encoding/binary"
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

// dataIn runs a data-in command with a buffer equal to the allocation length (spec §2.7).
func (d *device) dataIn(ctx context.Context, op string, cdb []byte, alloc int) ([]byte, error) {
	return d.exec(ctx, op, &Command{CDB: cdb, Direction: DirFromDevice, DataInLen: alloc})
}

func (d *device) prIn(ctx context.Context, op string, sa PRInServiceAction, alloc int) ([]byte, error) {
	return d.dataIn(ctx, op, PRInCDB(sa, uint16(alloc)), alloc)
}

// prInGrowing reads a list whose length is the ADDITIONAL LENGTH at bytes
// 4-7, re-reading with a larger allocation when it did not fit (spec §9.2).
// parse reports whether the allocation cut the list and its ADDITIONAL LENGTH.
func (d *device) prInGrowing(ctx context.Context, op string, sa PRInServiceAction,
	parse func(data []byte, alloc int) (cut bool, addlen uint64, err error)) error {
	alloc, confirmed := d.opt.ReadKeysAlloc, false
	for read := 1; ; read++ {
		data, err := d.prIn(ctx, op, sa, alloc)
		if err != nil {
			return err
		}
		cut, addlen, err := parse(data, alloc)
		if err != nil {
			return d.fail(op, err)
		}
		next := alloc
		switch {
		case cut:
			// The target reported the full length, so it does not truncate
			// ADDITIONAL LENGTH: a full buffer later needs no confirming.
			confirmed = true
			next = int(min(roundUp8(8+addlen), MaxPRInAlloc))
		case !confirmed && len(data) == alloc && 8+addlen == uint64(alloc):
			// Old LIO truncates ADDITIONAL LENGTH to the allocation: a
			// full buffer is ambiguous, so confirm once with more room.
			confirmed = true
			next = min(2*alloc, MaxPRInAlloc)
		}
		if next <= alloc || read == prInMaxReads {
			if cut {
				d.logf("%s %s: list of %d bytes did not fit in %d", op, d.name, addlen, alloc)
			}
			return nil
		}
		d.logf("%s %s: re-reading with allocation length %d (additional length %d)", op, d.name, next, addlen)
		alloc = next
	}
}

func roundUp8(n uint64) uint64 { return (n + 7) &^ 7 }

func (d *device) ReadKeys(ctx context.Context) (*KeyList, error) {
	const op = "read-keys"
	var kl *KeyList
	err := d.prInGrowing(ctx, op, PRInReadKeys, func(data []byte, alloc int) (bool, uint64, error) {
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
	return kl, nil
}

func (d *device) ReadFullStatus(ctx context.Context) (*FullStatus, error) {
	const op = "read-full-status"
	var fs *FullStatus
	err := d.prInGrowing(ctx, op, PRInReadFullStatus, func(data []byte, alloc int) (bool, uint64, error) {
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

// ReadReservationAlloc is the READ RESERVATION allocation length (spec §2.4: at least 24).
const ReadReservationAlloc = 24

// ReportCapabilitiesAlloc is the REPORT CAPABILITIES allocation length (spec §2.5).
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

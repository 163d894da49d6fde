package scsi

import (
	"errors"
	"syscall"
	"testing"
)

// TestClassify walks the classification order of docs/pr-notes.md ("Classifying an SG_IO result"): status first, then sense, host_status,
// driver_status; every class callers act on must be reachable with errors.Is.
func TestClassify(t *testing.T) {
	descUA := []byte{0x72, 0x06, 0x2A, 0x05, 0, 0, 0, 0}
	deferredUA := fixedSense(SenseUnitAttention, 0x29, 0x00)
	deferredUA[0] = 0x71
	tests := []struct {
		name string
		res  Result
		is   []error // classes the error must match; nil = success
		not  []error // classes it must not match
	}{
		{"GOOD", Result{}, nil, nil},
		{"CONDITION MET is good", Result{Status: StatusConditionMet}, nil, nil},
		{"INTERMEDIATE is good", Result{Status: 0x10}, nil, nil},
		{"GOOD with DRIVER_SENSE", Result{DriverStatus: DriverSense}, nil, nil},
		{"old driver_status suggest bits + sense nibble", Result{DriverStatus: 0x28}, nil, nil},
		{"RESERVATION CONFLICT", Result{Status: 0x18}, []error{ErrReservationConflict}, []error{ErrTransport}},
		{"conflict with old host_status 0x11", Result{Status: 0x18, HostStatus: DIDNexusFailure}, []error{ErrReservationConflict}, []error{ErrTransport}},
		{"conflict with vendor bit 0 set", Result{Status: 0x19}, []error{ErrReservationConflict}, nil},
		{"host 0x11 alone is conflict", Result{HostStatus: DIDNexusFailure}, []error{ErrReservationConflict}, nil},
		{"UA power on", *checkCondition(6, 0x29, 0x00), []error{ErrUnitAttention}, []error{ErrRegistrationsPreempted}},
		{"UA registrations preempted", *checkCondition(6, 0x2A, 0x05), []error{ErrUnitAttention, ErrRegistrationsPreempted}, []error{ErrReservationsPreempted}},
		{"UA reservations preempted", *checkCondition(6, 0x2A, 0x03), []error{ErrUnitAttention, ErrReservationsPreempted}, []error{ErrRegistrationsPreempted}},
		{"UA reservations released", *checkCondition(6, 0x2A, 0x04), []error{ErrUnitAttention, ErrReservationsReleased}, nil},
		{"UA descriptor format 2A/05", Result{Status: 2, Sense: descUA}, []error{ErrUnitAttention, ErrRegistrationsPreempted}, nil},
		{"deferred UA", Result{Status: 2, Sense: deferredUA}, []error{ErrUnitAttention}, nil},
		{"invalid opcode = PR not supported", *checkCondition(5, 0x20, 0x00), []error{ErrNotSupported, ErrIllegalRequest}, nil},
		{"invalid field in CDB", *checkCondition(5, 0x24, 0x00), []error{ErrIllegalRequest}, []error{ErrNotSupported}},
		{"sense wins over old host_status 0x10", Result{Status: 2, HostStatus: DIDTargetFailure, Sense: fixedSense(5, 0x26, 0x00)}, []error{ErrIllegalRequest}, []error{ErrTransport}},
		{"COMMAND TERMINATED uses sense", Result{Status: StatusCommandTerminated, Sense: fixedSense(6, 0x2A, 0x05)}, []error{ErrRegistrationsPreempted}, nil},
		{"not ready becoming ready", *checkCondition(2, 0x04, 0x01), []error{ErrNotReady}, nil},
		{"LIO 08/00 is not ready", *checkCondition(2, 0x08, 0x00), []error{ErrNotReady}, nil},
		{"NO SENSE with CHECK CONDITION is success", *checkCondition(0, 0, 0), nil, nil},
		{"RECOVERED ERROR is success", *checkCondition(1, 0x17, 0x01), nil, nil},
		{"ABORTED COMMAND", *checkCondition(0xB, 0x47, 0x00), []error{ErrAborted}, nil},
		{"ABORTED COMMAND 10/xx is a device error", *checkCondition(0xB, 0x10, 0x01), []error{ErrDevice}, []error{ErrAborted}},
		{"MEDIUM ERROR", *checkCondition(3, 0x11, 0x00), []error{ErrDevice}, nil},
		{"CHECK CONDITION without sense", Result{Status: 2}, []error{ErrDevice}, nil},
		{"undecodable sense falls through to host_status", Result{Status: 2, HostStatus: DIDError, Sense: []byte{0x7F, 0, 5}}, []error{ErrTransport}, nil},
		{"DID_TIME_OUT", Result{HostStatus: DIDTimeOut}, []error{ErrTimeout}, nil},
		{"DID_NO_CONNECT", Result{HostStatus: DIDNoConnect}, []error{ErrTransport}, nil},
		{"DID_BUS_BUSY", Result{HostStatus: DIDBusBusy}, []error{ErrTransport}, nil},
		{"DID_RESET", Result{HostStatus: DIDReset}, []error{ErrAborted}, nil},
		{"driver_status DRIVER_TIMEOUT", Result{DriverStatus: 0x06}, []error{ErrTransport}, nil},
		{"BUSY", Result{Status: StatusBusy}, []error{ErrBusy}, nil},
		{"TASK SET FULL", Result{Status: StatusTaskSetFull}, []error{ErrBusy}, nil},
		{"ACA ACTIVE", Result{Status: StatusACAActive}, []error{ErrBusy}, nil},
		{"TASK ABORTED", Result{Status: StatusTaskAborted}, []error{ErrAborted}, nil},
		{"unknown status", Result{Status: 0x3C}, []error{ErrDevice}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Classify(&tt.res)
			if tt.is == nil {
				if e != nil {
					t.Fatalf("got %v, want success", e)
				}
				return
			}
			if e == nil {
				t.Fatal("got success")
			}
			for _, c := range tt.is {
				if !errors.Is(e, c) {
					t.Errorf("%v does not match %v", e, c)
				}
			}
			for _, c := range tt.not {
				if errors.Is(e, c) {
					t.Errorf("%v matches %v", e, c)
				}
			}
			if e.OutcomeUnknown {
				t.Error("Classify must leave OutcomeUnknown to the caller")
			}
		})
	}
}

// TestErrorMessage checks the text callers log: operation, device, cause.
func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Op: "preempt-and-abort", Device: "/dev/sdb", Class: ErrReservationConflict, Status: 0x18},
			"preempt-and-abort /dev/sdb: reservation conflict"},
		{&Error{Op: "read-keys", Device: "/dev/sdb", Class: ErrIllegalRequest, Sense: &Sense{Key: 5, ASC: 0x24}},
			"read-keys /dev/sdb: illegal request (sense key ILLEGAL REQUEST, asc/ascq 24/00 invalid field in cdb)"},
		{&Error{Op: "preempt-and-abort", Device: "/dev/sdb", Class: ErrTimeout, HostStatus: DIDTimeOut, OutcomeUnknown: true, Detail: "timeout (host_status 0x03)"},
			"preempt-and-abort /dev/sdb: timeout (host_status 0x03) (outcome unknown: re-read the state)"},
		{&Error{Op: "open", Device: "/dev/sdx", Class: ErrTransport, Errno: syscall.ENOENT},
			"open /dev/sdx: transport failure: no such file or directory"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("got %q\nwant %q", got, tt.want)
		}
	}
}

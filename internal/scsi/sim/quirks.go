package sim

// Quirks selects documented target deviations from SPC-4 (docs/pr-notes.md,
// "Known target deviations"). The
// zero value is the strict SPC-4 behaviour; QuirkLIO and QuirkTGT bundle the
// deviations of the two open-source targets. The conformance suite reads the
// same bits to know which answer to expect from a target.
type Quirks uint32

// Individual deviations. Each names the target(s) that show it.
const (
	// QuirkNotReadyUnregistered: RESERVE, RELEASE and CLEAR from an
	// unregistered nexus while no reservation exists answer NOT READY 08/00
	// instead of RESERVATION CONFLICT (LIO).
	QuirkNotReadyUnregistered Quirks = 1 << iota
	// QuirkReleaseNonHolderAnyKey: RELEASE from a registered non-holder is
	// GOOD even with a wrong RK; the key is checked only for the holder (LIO, tgt).
	QuirkReleaseNonHolderAnyKey
	// QuirkReleaseWrongTypeConflict: RELEASE by the holder with the wrong
	// type answers RESERVATION CONFLICT instead of 26/04 (LIO).
	QuirkReleaseWrongTypeConflict
	// QuirkScopeParamList: SCOPE ≠ 0 answers 26/00 instead of 24/00 (LIO).
	QuirkScopeParamList
	// QuirkNoGenerationOnUnregister: unregistering does not bump PRGENERATION (LIO).
	QuirkNoGenerationOnUnregister
	// QuirkGenerationOnNoopRegister: REGISTER(-AND-IGNORE) with SARK 0 from
	// an unregistered nexus bumps PRGENERATION (tgt).
	QuirkGenerationOnNoopRegister
	// QuirkNoPreemptAndAbort: PREEMPT AND ABORT is not implemented, 24/00 (tgt).
	QuirkNoPreemptAndAbort
	// QuirkUAPreemptedAsReservations: preempted registrants get UA 2A/03
	// instead of 2A/05 (tgt).
	QuirkUAPreemptedAsReservations
	// QuirkNoCapabilityBits: REPORT CAPABILITIES sets no capability bit and
	// ALLOW COMMANDS 0, but TMV with all six types (tgt).
	QuirkNoCapabilityBits
	// QuirkNoReadFullStatus: READ FULL STATUS answers 24/00 (tgt).
	QuirkNoReadFullStatus
	// QuirkParamLenInvalidCDB: a PR OUT parameter list length ≠ 24 answers
	// 24/00 instead of 1A/00 (tgt).
	QuirkParamLenInvalidCDB
	// QuirkRejectOptionalBits: APTPL, ALL_TG_PT and SPEC_I_PT = 1 answer
	// 24/00 for every PR OUT service action, before the key is looked at
	// (tgt, which advertises no PTPL_C/ATP_C/SIP_C).
	QuirkRejectOptionalBits
	// QuirkPreemptZeroNoReservation: PREEMPT with SARK 0 and no reservation
	// is GOOD instead of 26/00, changes nothing but bumps PRGENERATION (tgt).
	QuirkPreemptZeroNoReservation
	// QuirkReleaseUAInverted: RELEASE sends 2A/04 for WE/EA and none for
	// RO/AR types, the inverse of SPC-4 (tgt).
	QuirkReleaseUAInverted
	// QuirkMinAllocation: PR IN with an allocation length below 8 (6 for
	// REPORT CAPABILITIES) answers 24/00 instead of transferring less (LIO, tgt).
	QuirkMinAllocation
	// QuirkTruncatedAdditionalLength: READ KEYS reports an ADDITIONAL
	// LENGTH cut to the whole keys that fit in the allocation (older LIO).
	QuirkTruncatedAdditionalLength
	// QuirkAPTPLDirMissing: every successful registration change answers
	// NOT READY 08/00 although it took effect, as LIO does when it cannot
	// write its APTPL file (/etc/target/pr missing; tests/vm/guest-init.sh
	// creates it; drivers/target/target_core_pr.c).
	QuirkAPTPLDirMissing
	// QuirkTruncatedFullStatusLength: READ FULL STATUS reports an ADDITIONAL
	// LENGTH cut to the whole descriptors that fit in the allocation, like
	// QuirkTruncatedAdditionalLength for READ KEYS, and transfers only those
	// descriptors (LIO, current releases too: Debian 12's 6.1 answers 8 bytes
	// with ADDITIONAL LENGTH 0 to allocation 16 and 32 with one or two
	// registrations; tests/lio, docs/conformance.md).
	QuirkTruncatedFullStatusLength
	// QuirkAllTgPtSticky: a nexus registered with ALL_TG_PT=1 must set
	// ALL_TG_PT=1 again to unregister or change its key; without it
	// REGISTER and REGISTER AND IGNORE EXISTING KEY answer 24/00 and change
	// nothing (LIO; SPC-4 6.16.3 ALL_TG_PT; seen by tests/lio's probe).
	QuirkAllTgPtSticky
	// QuirkPreemptZeroInvalidCDB: PREEMPT with SARK 0 under a reservation
	// that is not all-registrants answers 24/00 instead of 26/00 (tgt;
	// tests/lio on tgtd 1.0.85).
	QuirkPreemptZeroInvalidCDB
	// QuirkPreemptKeepsSender: PREEMPT by a non-holder with SARK equal to
	// its own key removes the other registrations with that key but keeps
	// the sender's (tgt skips the sender; SPC-4 removes it too).
	QuirkPreemptKeepsSender
	// QuirkMinAllocationCapabilities: with QuirkMinAllocation, REPORT
	// CAPABILITIES too answers 24/00 below 8 bytes, not below 6 (tgt).
	QuirkMinAllocationCapabilities
	// QuirkUAReleasedMisrouted: RESERVATIONS RELEASED (2A/04), on RELEASE
	// and when the holder unregisters, is queued once for every other
	// registrant R in turn on every nexus but R: with one other registrant,
	// every nexus except that registrant gets it, the sender included (tgt
	// queues it "for the other nexuses" of each registrant). The holder's
	// unregistration sends it for every type but all-registrants.
	QuirkUAReleasedMisrouted
	// QuirkReserveIgnoresKey: RESERVE from a registered nexus does not
	// check the reservation key (tgt; SPC-4: RESERVATION CONFLICT).
	QuirkReserveIgnoresKey
)

// Target profiles.
const (
	// QuirkNone is strict SPC-4 (the simulator default).
	QuirkNone Quirks = 0
	// QuirkLIO is the Linux kernel target (current releases) with its APTPL
	// directory present; add QuirkAPTPLDirMissing to model a missing one.
	QuirkLIO = QuirkNotReadyUnregistered | QuirkReleaseNonHolderAnyKey |
		QuirkReleaseWrongTypeConflict | QuirkScopeParamList |
		QuirkNoGenerationOnUnregister | QuirkMinAllocation |
		QuirkTruncatedFullStatusLength | QuirkAllTgPtSticky
	// QuirkTGT is the user-space SCSI target framework (tgtd; checked on
	// Debian 12's tgt 1.0.85, whose PR code is unchanged up to 1.0.97).
	QuirkTGT = QuirkReleaseNonHolderAnyKey | QuirkGenerationOnNoopRegister |
		QuirkNoPreemptAndAbort | QuirkUAPreemptedAsReservations |
		QuirkNoCapabilityBits | QuirkNoReadFullStatus | QuirkParamLenInvalidCDB |
		QuirkRejectOptionalBits | QuirkPreemptZeroNoReservation |
		QuirkReleaseUAInverted | QuirkMinAllocation | QuirkPreemptZeroInvalidCDB |
		QuirkPreemptKeepsSender | QuirkMinAllocationCapabilities |
		QuirkUAReleasedMisrouted | QuirkReserveIgnoresKey
)

// Has reports whether every bit of x is set in q.
func (q Quirks) Has(x Quirks) bool { return q&x == x }

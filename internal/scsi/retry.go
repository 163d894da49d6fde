package scsi

import (
	"errors"
	"syscall"
	"time"
)

// Retry budgets (docs/pr-notes.md, "Classifying an SG_IO result").
const (
	DefaultMaxUARetries        = 8  // UNIT ATTENTION: immediate retries of the same CDB
	DefaultMaxBusyRetries      = 32 // BUSY & co.: backoff retries (also bounded by ctx)
	DefaultMaxTransientRetries = 2  // transient transport failures of idempotent commands
	DefaultBackoffMin          = 50 * time.Millisecond
	DefaultBackoffMax          = 2 * time.Second
)

// retryKind is what the retry policy does with a failed command.
type retryKind int

const (
	retryNever     retryKind = iota
	retryNow                 // UNIT ATTENTION or deferred error: the command did not execute
	retryBackoff             // BUSY, TASK SET FULL, ACA ACTIVE, NOT READY becoming ready
	retryTransient           // transient path trouble: a few tries with backoff
)

// classifyRetry is the one retry policy of the package (docs/pr-notes.md,
// "Classifying an SG_IO result, and retries"). A command whose outcome is unknown is never re-sent, and a
// RESERVATION CONFLICT is a definitive answer.
func classifyRetry(e *Error) retryKind {
	if e.OutcomeUnknown {
		return retryNever
	}
	if e.Sense != nil && e.Sense.Deferred {
		return retryNow
	}
	switch e.Class {
	case ErrUnitAttention:
		return retryNow
	case ErrBusy:
		return retryBackoff
	case ErrNotReady:
		if s := e.Sense; s != nil && s.ASC == 0x04 && (s.ASCQ == 0x01 || s.ASCQ == 0x0A) {
			return retryBackoff // becoming ready, ALUA transition
		}
	case ErrTransport, ErrAborted:
		if e.Errno != nil {
			if errors.Is(e.Errno, syscall.EINTR) {
				return retryTransient
			}
			return retryNever // rejected by the kernel, or ctx ended
		}
		if e.HostStatus == DIDOk || transientHost(e.HostStatus) ||
			e.HostStatus == DIDAbort || e.HostStatus == DIDReset {
			return retryTransient
		}
	case ErrDevice:
		if e.Status == StatusCheckCondition && e.Sense == nil {
			return retryTransient
		}
	}
	return retryNever
}

// outcomeUnknownClass reports whether a failed PR OUT of this class may have executed (docs/pr-notes.md).
func outcomeUnknownClass(class error) bool {
	return class == ErrTimeout || class == ErrTransport || class == ErrAborted
}

// retryBudget counts the retries spent per kind for one command.
type retryBudget struct {
	opt     *DeviceOptions
	ua      int
	busy    int
	trans   int
	backoff time.Duration
}

// next reports whether to retry and how long to wait first.
func (b *retryBudget) next(kind retryKind) (bool, time.Duration) {
	switch kind {
	case retryNow:
		if b.ua < b.opt.MaxUARetries {
			b.ua++
			return true, 0
		}
	case retryBackoff:
		if b.busy < b.opt.MaxBusyRetries {
			b.busy++
			return true, b.nextBackoff()
		}
	case retryTransient:
		if b.trans < b.opt.MaxTransientRetries {
			b.trans++
			return true, b.nextBackoff()
		}
	}
	return false, 0
}

// nextBackoff doubles the wait from BackoffMin up to BackoffMax.
func (b *retryBudget) nextBackoff() time.Duration {
	if b.backoff == 0 {
		b.backoff = b.opt.BackoffMin
	} else {
		b.backoff = min(2*b.backoff, b.opt.BackoffMax)
	}
	return b.backoff
}

package nvme

import (
	"time"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// retryKind is what the retry policy does with a failed command.
type retryKind int

const (
	retryNever     retryKind = iota
	retryBackoff             // namespace not ready, command interrupted, ANA transition
	retryTransient           // transport trouble of a command that changes nothing
)

// retryKindOf is the one retry policy of the package. A command whose
// outcome is unknown is never re-sent; a status with Do Not Retry set, and
// a reservation conflict, are final.
func retryKindOf(e *Error) retryKind {
	if e.OutcomeUnknown || (e.Completed && e.Status.DNR()) {
		return retryNever
	}
	switch e.Class {
	case pr.ErrNotReady, pr.ErrBusy:
		return retryBackoff
	case pr.ErrTransport, pr.ErrAborted:
		if e.Errno != nil && e.Class == pr.ErrTransport {
			return retryNever // rejected by the kernel before sending
		}
		return retryTransient
	}
	return retryNever
}

// outcomeUnknownClass reports whether a completed reservation command of
// this class may still have changed the reservation state: transport and
// abort statuses may be reported for a command the controller executed.
func outcomeUnknownClass(class error) bool {
	return class == pr.ErrTimeout || class == pr.ErrTransport || class == pr.ErrAborted
}

// retryBudget counts the retries spent per kind for one command.
type retryBudget struct {
	opt     *DeviceOptions
	busy    int
	trans   int
	backoff time.Duration
}

// next reports whether to retry and how long to wait first.
func (b *retryBudget) next(kind retryKind) (bool, time.Duration) {
	switch kind {
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

func (b *retryBudget) nextBackoff() time.Duration {
	if b.backoff == 0 {
		b.backoff = b.opt.BackoffMin
	} else {
		b.backoff = min(2*b.backoff, b.opt.BackoffMax)
	}
	return b.backoff
}

package agent

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/fence"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys/nodekey"
	"github.com/fence-scsi-go/fence_scsi_go/internal/state"
)

// FuzzCompatError: the error classification gives every backend error
// fence_scsi's presentation: a *fenceproto.Error, "Connection timed out"
// (no -h hint) for timeouts, a plain line for verification failures, and
// a usage error for everything else.
func FuzzCompatError(f *testing.F) {
	for i, s := range []string{"x", "", "Failed: Cannot open file", "a\nb"} {
		f.Add(uint8(i), s)
	}
	f.Fuzz(func(t *testing.T, kind uint8, msg string) {
		var in error
		usage, timeout := true, false
		switch kind % 6 {
		case 0:
			in = errors.New(msg)
		case 1:
			in, timeout = fmt.Errorf("%s: %w", msg, nodekey.ErrCommandTimeout), true
		case 2:
			in, timeout = fmt.Errorf("%s: %w (%w)", msg, fence.ErrTimeout, context.Canceled), true
		case 3:
			in, usage = &fence.VerifyError{Devices: len(msg)}, false
		case 4:
			in = &state.FileError{Path: msg, Err: errors.New(msg)}
		case 5:
			in, usage = &fenceproto.Error{Msg: msg}, false
		}
		var fe *fenceproto.Error
		out := compatError(in)
		if !errors.As(out, &fe) || !errors.Is(out, in) && kind%6 != 5 {
			t.Fatalf("%T %v -> %T %v", in, in, out, out)
		}
		if fe.Usage != usage && !timeout || timeout && (fe.Usage || fe.Msg != fenceproto.TimedOutMsg) {
			t.Fatalf("kind %d: %+v", kind%6, fe)
		}
	})
}

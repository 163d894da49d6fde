package interrupt

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// TestArmedSignalCancels: after Arm, SIGTERM and SIGINT sent to the process
// cancel the context with the signal's name as the cause (and do not end
// the test process, which they would without Arm).
func TestArmedSignalCancels(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		ctx, stop := Context(context.Background())
		Arm(ctx)
		Arm(ctx) // a second call changes nothing
		if err := syscall.Kill(syscall.Getpid(), sig); err != nil {
			t.Fatal(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(10 * time.Second):
			t.Fatalf("%v: context not cancelled", sig)
		}
		want := "interrupted by signal " + Name(sig)
		if got := context.Cause(ctx); got == nil || got.Error() != want {
			t.Errorf("%v: cause %v, want %q", sig, got, want)
		}
		stop()
	}
}

// TestArmWithoutContext: Arm on a context that does not derive from
// Context, or after stop, installs nothing.
func TestArmWithoutContext(t *testing.T) {
	Arm(context.Background())
	ctx, stop := Context(context.Background())
	stop()
	Arm(ctx)
	s := ctx.Value(stateKey{}).(*state)
	if s.ch != nil {
		t.Fatal("Arm after stop installed signal handling")
	}
	if context.Cause(ctx) != context.Canceled {
		t.Fatalf("cause after stop: %v", context.Cause(ctx))
	}
}

func TestArmDerived(t *testing.T) {
	ctx, stop := Context(context.Background())
	defer stop()
	child, cancel := context.WithTimeout(ctx, time.Hour)
	defer cancel()
	Arm(child)
	if ctx.Value(stateKey{}).(*state).ch == nil {
		t.Fatal("Arm through a derived context installed nothing")
	}
}

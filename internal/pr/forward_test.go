package pr

import (
	"context"
	"fmt"
	"slices"
	"testing"
)

// recorder is a Commands[string] that records each call.
type recorder struct{ calls []string }

func (r *recorder) Name() string { return "/dev/x" }
func (r *recorder) Release(_ context.Context, rk Key, t string) error {
	return r.add("release %v %s", rk, t)
}
func (r *recorder) Clear(_ context.Context, rk Key) error { return r.add("clear %v", rk) }
func (r *recorder) Preempt(_ context.Context, rk, sark Key, t string) error {
	return r.add("preempt %v %v %s", rk, sark, t)
}
func (r *recorder) PreemptAndAbort(_ context.Context, rk, sark Key, t string) error {
	return r.add("preempt-and-abort %v %v %s", rk, sark, t)
}
func (r *recorder) Close() error { return r.add("close") }
func (r *recorder) add(format string, a ...any) error {
	r.calls = append(r.calls, fmt.Sprintf(format, a...))
	return nil
}

// TestForward: every forwarded method calls the command of its name with
// the same keys and the type's code.
func TestForward(t *testing.T) {
	r := &recorder{}
	f := Forward[string]{Cmds: r, Code: func(t Type) string { return "code-" + t.String() }}
	ctx := context.Background()
	_ = f.Release(ctx, 1, WE)
	_ = f.Clear(ctx, 2)
	_ = f.Preempt(ctx, 3, 4, WEAR)
	_ = f.PreemptAndAbort(ctx, 5, 6, EARO)
	_ = f.Close()
	want := []string{"release 0x1 code-WE", "clear 0x2", "preempt 0x3 0x4 code-WE-AR",
		"preempt-and-abort 0x5 0x6 code-EA-RO", "close"}
	if !slices.Equal(r.calls, want) || f.Name() != "/dev/x" {
		t.Errorf("calls %q, name %q; want %q, /dev/x", r.calls, f.Name(), want)
	}
}

func TestTypesWhere(t *testing.T) {
	if got := TypesWhere(func(t Type) bool { return t.AllRegistrants() || t == WE }); !slices.Equal(got, []Type{WE, WEAR, EAAR}) {
		t.Errorf("TypesWhere(WE, all registrants) = %v", got)
	}
	if got := TypesWhere(func(Type) bool { return false }); got == nil || len(got) != 0 {
		t.Errorf("TypesWhere(none) = %#v, want an empty, non-nil list", got)
	}
}

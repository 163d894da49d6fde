package pr

import "context"

// Commands are the commands a transport's device has under the same names
// and arguments as Device's, but with T, the transport's own code of a
// reservation type: Release, Clear, Preempt and PreemptAndAbort (SPC-4
// PERSISTENT RESERVE OUT service actions; NVMe Reservation Release and
// Reservation Acquire actions), Name and Close. scsi.Device and nvme.Device
// have them.
type Commands[T any] interface {
	Name() string
	Release(ctx context.Context, rk Key, t T) error
	Clear(ctx context.Context, rk Key) error
	Preempt(ctx context.Context, rk, sark Key, t T) error
	PreemptAndAbort(ctx context.Context, rk, sark Key, t T) error
	Close() error
}

// Forward implements the Device methods that are a Commands method of the
// same name, the type translated by Code. An adapter embeds it and adds
// the methods whose commands differ between transports.
type Forward[T any] struct {
	Cmds Commands[T]
	Code func(Type) T // the transport's code of a type
}

func (f Forward[T]) Name() string { return f.Cmds.Name() }
func (f Forward[T]) Close() error { return f.Cmds.Close() }

func (f Forward[T]) Release(ctx context.Context, rk Key, t Type) error {
	return f.Cmds.Release(ctx, rk, f.Code(t))
}

func (f Forward[T]) Clear(ctx context.Context, rk Key) error { return f.Cmds.Clear(ctx, rk) }

func (f Forward[T]) Preempt(ctx context.Context, rk, sark Key, t Type) error {
	return f.Cmds.Preempt(ctx, rk, sark, f.Code(t))
}

func (f Forward[T]) PreemptAndAbort(ctx context.Context, rk, sark Key, t Type) error {
	return f.Cmds.PreemptAndAbort(ctx, rk, sark, f.Code(t))
}

// TypesWhere returns the types of Types for which ok is true, in that
// order; an empty, non-nil list when there is none.
func TypesWhere(ok func(Type) bool) []Type {
	out := []Type{}
	for _, t := range Types() {
		if ok(t) {
			out = append(out, t)
		}
	}
	return out
}

package logging

import (
	"context"
	"log/slog"
	"testing"
)

func TestFunc(t *testing.T) {
	var got []string
	l := Func(func(lv slog.Level, msg string) { got = append(got, lv.String()+" "+msg) })
	l.Debug("plain\n")
	l.With("dev", "/dev/sdb").WithGroup("g").Warn("with attrs\n\n", "n", 2)
	Debugf(l, "%d devices", 3)
	Debugf(nil, "dropped")
	OrDiscard(nil).Error("dropped")
	want := []string{"DEBUG plain\n", "WARN with attrs dev=/dev/sdb g.n=2\n\n", "DEBUG 3 devices"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %q, want %q", i, got[i], want[i])
		}
	}
}

func TestLevelHelpers(t *testing.T) {
	var got []string
	l := Func(func(lv slog.Level, msg string) { got = append(got, lv.String()+" "+msg) })
	Infof(l, "%d paths", 2)
	Debugf(l, "%s: %v\n", "/dev/sdb", "gone")
	Infof(nil, "dropped")
	Debugf(nil, "dropped")
	DebugFunc(l)("cdb [%02x]", 0x5e)
	if DebugFunc(nil) != nil {
		t.Error("DebugFunc(nil) is not nil: the device layers would format lines nobody reads")
	}
	want := []string{"INFO 2 paths", "DEBUG /dev/sdb: gone\n", "DEBUG cdb [5e]"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %q, want %q", i, got[i], want[i])
		}
	}
}

// infoOnly is a handler that takes INFO and above, as the agent's logger is
// without -v or a debug file.
type infoOnly struct{ n *int }

func (h infoOnly) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelInfo }
func (h infoOnly) Handle(context.Context, slog.Record) error     { *h.n++; return nil }
func (h infoOnly) WithAttrs([]slog.Attr) slog.Handler            { return h }
func (h infoOnly) WithGroup(string) slog.Handler                 { return h }

// formatCount counts how often fmt formats it.
type formatCount struct{ n *int }

func (c formatCount) String() string { *c.n++; return "x" }

// TestDebugfFormatsOnlyWhenEnabled: a debug line nobody takes is not
// formatted (its arguments' String methods do not run); an INFO line is.
func TestDebugfFormatsOnlyWhenEnabled(t *testing.T) {
	var handled, formatted int
	l := slog.New(infoOnly{&handled})
	Debugf(l, "%v", formatCount{&formatted})
	DebugFunc(l)("%v", formatCount{&formatted})
	if formatted != 0 || handled != 0 {
		t.Errorf("disabled DEBUG: formatted %d times, handled %d, want 0 and 0", formatted, handled)
	}
	Infof(l, "%v", formatCount{&formatted})
	if formatted != 1 || handled != 1 {
		t.Errorf("enabled INFO: formatted %d times, handled %d, want 1 and 1", formatted, handled)
	}
}

// TestDebugEnabled: only a logger that takes DEBUG says yes.
func TestDebugEnabled(t *testing.T) {
	var n int
	if DebugEnabled(nil) {
		t.Error("nil logger: DebugEnabled true")
	}
	if DebugEnabled(slog.New(infoOnly{&n})) {
		t.Error("INFO-only logger: DebugEnabled true")
	}
	if !DebugEnabled(Func(func(slog.Level, string) {})) {
		t.Error("logger taking every level: DebugEnabled false")
	}
}

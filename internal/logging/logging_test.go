package logging

import (
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

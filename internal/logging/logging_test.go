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
	Errorf(l, "%s: %v\n", "/dev/sdb", "gone")
	Infof(nil, "dropped")
	Errorf(nil, "dropped")
	quiet := AtLeast(l, slog.LevelInfo)
	Debugf(quiet, "dropped")
	quiet.With("dev", "/dev/sdc").WithGroup("g").Debug("dropped")
	quiet.With("dev", "/dev/sdc").WithGroup("g").Info("kept", "n", 1)
	Errorf(quiet, "kept too")
	AtLeast(nil, slog.LevelDebug).Error("dropped")
	want := []string{"INFO 2 paths", "ERROR /dev/sdb: gone\n", "INFO kept dev=/dev/sdc g.n=1", "ERROR kept too"}
	if len(got) != len(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("line %d: %q, want %q", i, got[i], want[i])
		}
	}
}

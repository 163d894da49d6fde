package fenceproto

import (
	"bytes"
	"context"
	"log/slog"
	"testing"
	"time"
)

// TestSlogSameLines: a message logged through Logger.Slog is the line the
// Logger's own methods write, at the matching level, before and after
// setup, with and without verbose, to stderr and syslog alike.
func TestSlogSameLines(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 1, 2, 3, 4, 5, 6e6, time.UTC) }
	type out struct{ stderr, syslog string }
	logAll := func(setup func(*Logger), log func(*Logger)) out {
		var errb bytes.Buffer
		var sys []byte
		l := newLogger(&errb, now, func(lv Level, msg string) { sys = append(sys, lv.String()+" "+msg+"|"...) })
		setup(l)
		log(l)
		return out{errb.String(), string(sys)}
	}
	direct := func(l *Logger) {
		l.Debugf("d %d\n", 1)
		l.Infof("i")
		l.Warningf("w\x1b")
		l.Errorf("e\n\n")
	}
	viaSlog := func(l *Logger) {
		s := l.Slog()
		s.Debug("d 1\n")
		s.Info("i")
		s.Warn("w\x1b")
		s.Error("e\n\n")
	}
	for name, setup := range map[string]func(*Logger){
		"unconfigured": func(*Logger) {},
		"configured":   func(l *Logger) { l.setup(false, false) },
		"verbose":      func(l *Logger) { l.setup(true, false) },
	} {
		a, b := logAll(setup, direct), logAll(setup, viaSlog)
		if a != b || a.stderr == "" {
			t.Errorf("%s:\nmethods %q\nslog    %q", name, a, b)
		}
	}
}

func TestSlogLevels(t *testing.T) {
	for lv, want := range map[slog.Level]Level{
		slog.LevelDebug - 4: LevelDebug, slog.LevelDebug: LevelDebug, slog.LevelInfo - 1: LevelDebug,
		slog.LevelInfo: LevelInfo, slog.LevelWarn: LevelWarning, slog.LevelError - 1: LevelWarning,
		slog.LevelError: LevelError, slog.LevelError + 4: LevelError,
	} {
		if got := levelOf(lv); got != want {
			t.Errorf("levelOf(%v) = %v, want %v", lv, got, want)
		}
	}
	l := newLogger(&bytes.Buffer{}, time.Now, nil)
	h := l.Slog().Handler()
	ctx := context.Background()
	if h.Enabled(ctx, slog.LevelInfo) || !h.Enabled(ctx, slog.LevelWarn) {
		t.Error("unconfigured: only warnings and errors are written")
	}
	l.setup(true, true)
	if !h.Enabled(ctx, slog.LevelDebug) {
		t.Error("verbose: DEBUG is written (to syslog and the debug file even when quiet)")
	}
}

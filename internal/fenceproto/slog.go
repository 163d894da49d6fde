package fenceproto

import (
	"context"
	"log/slog"

	"github.com/fence-scsi-go/fence_scsi_go/internal/logging"
)

// Slog returns a *slog.Logger that writes through l: the lower layers log
// through it, in fence-agents' formats (stderr, syslog, debug file, logfile)
// exactly as the front end's own lines. slog's levels map to Python's:
// below INFO is DEBUG, WARN is WARNING.
func (l *Logger) Slog() *slog.Logger { return slog.New(handler{l: l}) }

// handler is the slog.Handler over a Logger.
type handler struct {
	l     *Logger
	attrs string // pre-rendered " key=value" pairs
	group string
}

// levelOf maps a slog level to the Python logging level that covers it.
func levelOf(lv slog.Level) Level {
	switch {
	case lv < slog.LevelInfo:
		return LevelDebug
	case lv < slog.LevelWarn:
		return LevelInfo
	case lv < slog.LevelError:
		return LevelWarning
	}
	return LevelError
}

// Enabled reports whether Log would write a line at lv now.
func (h handler) Enabled(_ context.Context, lv slog.Level) bool {
	level := levelOf(lv)
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	return level >= LevelWarning || h.l.ready && h.l.debug
}

func (h handler) Handle(_ context.Context, r slog.Record) error {
	h.l.Log(levelOf(r.Level), logging.Message(r, h.attrs, h.group))
	return nil
}

func (h handler) WithAttrs(as []slog.Attr) slog.Handler {
	h.attrs += logging.RenderAttrs(as, h.group)
	return h
}

func (h handler) WithGroup(name string) slog.Handler {
	if name != "" {
		h.group += name + "."
	}
	return h
}

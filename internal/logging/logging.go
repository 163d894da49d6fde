// Package logging holds the helpers around the module's one logger shape,
// *slog.Logger. Messages are complete, already formatted texts (the
// fence-agents formats show no attributes); the handler decides the format:
// fenceproto's Logger writes fence-agents' stderr, syslog and logfile lines,
// the arbitration command timestamped lines, check-storage its progress
// lines; tests collect messages. The device layers (internal/scsi,
// internal/nvme) and the watchdog check take plain functions instead
// (DebugFunc adapts a logger), so the check's own binary links no slog.
package logging

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
)

var discard = slog.New(slog.DiscardHandler)

// OrDiscard returns l, or a logger that drops everything when l is nil.
func OrDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return discard
	}
	return l
}

// Debugf logs a formatted message at DEBUG on l (which may be nil).
// The message is formatted only when l would write it: slog drops a record
// its handler is not enabled for, and formatting every debug line of every
// command when nobody asked for them (no -v, no debug file) costs CPU on
// every call of the agent.
func Debugf(l *slog.Logger, format string, args ...any) {
	if DebugEnabled(l) {
		l.Debug(fmt.Sprintf(format, args...))
	}
}

// DebugEnabled reports whether l logs at DEBUG: a caller checks it first where
// building the arguments of Debugf would allocate (an integer boxed into an
// interface) on a path that runs once per device.
func DebugEnabled(l *slog.Logger) bool {
	return l != nil && l.Enabled(context.Background(), slog.LevelDebug)
}

// DebugFunc returns a function that logs a formatted message at DEBUG on l,
// or nil when l is nil: the shape of the device layers' debug hook
// (scsi.DeviceOptions.Log, nvme.DeviceOptions.Log), which do not import slog.
func DebugFunc(l *slog.Logger) func(format string, args ...any) {
	if l == nil {
		return nil
	}
	return func(format string, args ...any) { Debugf(l, format, args...) }
}

// Infof logs a formatted message at INFO on l (which may be nil).
func Infof(l *slog.Logger, format string, args ...any) {
	if l != nil && l.Enabled(context.Background(), slog.LevelInfo) {
		l.Info(fmt.Sprintf(format, args...))
	}
}

// Func returns a logger whose handler passes every record, at every level,
// to f as its level and message; attributes follow the message as
// " key=value" (before the message's trailing newlines).
func Func(f func(level slog.Level, msg string)) *slog.Logger {
	return slog.New(funcHandler{f: f})
}

type funcHandler struct {
	f     func(slog.Level, string)
	attrs string // pre-rendered " key=value" pairs
	group string // prefix of the keys ("g.")
}

func (h funcHandler) Enabled(context.Context, slog.Level) bool { return true }

func (h funcHandler) Handle(_ context.Context, r slog.Record) error {
	h.f(r.Level, Message(r, h.attrs, h.group))
	return nil
}

func (h funcHandler) WithAttrs(as []slog.Attr) slog.Handler {
	h.attrs += renderAttrs(as, h.group)
	return h
}

func (h funcHandler) WithGroup(name string) slog.Handler {
	if name != "" {
		h.group += name + "."
	}
	return h
}

// Message is r's message with attrs (pre-rendered by a handler's
// WithAttrs) and r's own attributes appended before its trailing newlines:
// fence-agents messages end in "\n" to leave a blank line, and keep it.
func Message(r slog.Record, attrs, group string) string {
	var own []slog.Attr
	r.Attrs(func(a slog.Attr) bool { own = append(own, a); return true })
	extra := attrs + renderAttrs(own, group)
	if extra == "" {
		return r.Message
	}
	body := strings.TrimRight(r.Message, "\n")
	return body + extra + r.Message[len(body):]
}

// RenderAttrs renders as as " key=value" pairs, keys prefixed with group.
func RenderAttrs(as []slog.Attr, group string) string { return renderAttrs(as, group) }

func renderAttrs(as []slog.Attr, group string) string {
	var b strings.Builder
	for _, a := range as {
		if a.Equal(slog.Attr{}) {
			continue
		}
		fmt.Fprintf(&b, " %s%s=%v", group, a.Key, a.Value.Resolve())
	}
	return b.String()
}

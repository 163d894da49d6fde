package fenceproto

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"
)

// Level is a log level with Python logging's names.
type Level int

// Log levels, ordered as Python's logging levels.
const (
	LevelDebug Level = iota
	LevelInfo
	LevelWarning
	LevelError
)

func (l Level) String() string {
	return [...]string{"DEBUG", "INFO", "WARNING", "ERROR"}[l]
}

// SyslogFunc sends one message to syslog at the priority matching level.
// Failures are ignored by the caller's implementation.
type SyslogFunc func(l Level, msg string)

// Logger reproduces fence-agents' logging. Before Setup it behaves like
// Python's unconfigured root logger ("WARNING:root:msg" on stderr, warnings
// and errors only); after Setup lines are "YYYY-MM-DD HH:MM:SS,mmm LEVEL: msg"
// on stderr (unless quiet), copied to syslog and to the debug file.
// Unlike fence_scsi, a line is never written to stderr twice (fence_scsi
// repeats every line in both formats once an early warning was logged).
// Safe for concurrent use.
type Logger struct {
	mu     sync.Mutex
	stderr io.Writer
	now    func() time.Time
	syslog SyslogFunc

	ready bool
	quiet bool
	debug bool
	file  io.Writer // --debug-file, nil if none
}

func newLogger(stderr io.Writer, now func() time.Time, sl SyslogFunc) *Logger {
	return &Logger{stderr: stderr, now: now, syslog: sl}
}

// setup switches to the configured format (fence-agents check_input).
func (l *Logger) setup(debug, quiet bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ready, l.debug, l.quiet = true, debug, quiet
}

func (l *Logger) setStderr(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.stderr = w
}

func (l *Logger) setFile(w io.Writer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.file = w
}

// Log writes msg at level. Messages that end in "\n" leave a blank line, as
// they do in fence_scsi.
//
// Whatever the message holds, one line is written: line breaks and other
// control characters inside it (a command's output, a device name) are
// shown as Go escapes (\n, \x1b); only the trailing newlines stay.
func (l *Logger) Log(level Level, msg string) {
	msg = oneLine(msg)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.ready {
		if level >= LevelWarning {
			fmt.Fprintf(l.stderr, "%s:root:%s\n", level, msg)
		}
		return
	}
	if level < LevelWarning && !l.debug {
		return
	}
	if l.syslog != nil {
		l.syslog(level, msg)
	}
	line := fmt.Sprintf("%s %s: %s\n", l.now().Format("2006-01-02 15:04:05,000"), level, msg)
	if !l.quiet {
		io.WriteString(l.stderr, line)
	}
	if l.file != nil {
		io.WriteString(l.file, line)
	}
}

// Debugf logs at DEBUG.
func (l *Logger) Debugf(format string, a ...any) { l.Log(LevelDebug, fmt.Sprintf(format, a...)) }

// Infof logs at INFO.
func (l *Logger) Infof(format string, a ...any) { l.Log(LevelInfo, fmt.Sprintf(format, a...)) }

// Warningf logs at WARNING.
func (l *Logger) Warningf(format string, a ...any) { l.Log(LevelWarning, fmt.Sprintf(format, a...)) }

// Errorf logs at ERROR.
func (l *Logger) Errorf(format string, a ...any) { l.Log(LevelError, fmt.Sprintf(format, a...)) }

// oneLine escapes the control characters and invalid UTF-8 of msg, except
// its trailing newlines.
func oneLine(msg string) string {
	body := strings.TrimRight(msg, "\n")
	if printable(body) {
		return msg
	}
	var b strings.Builder
	for i := 0; i < len(body); {
		r, size := utf8.DecodeRuneInString(body[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, body[i])
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			q := strconv.QuoteRune(r)
			b.WriteString(q[1 : len(q)-1])
		}
		i += size
	}
	return b.String() + msg[len(body):]
}

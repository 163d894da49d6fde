//go:build !windows && !plan9

package fenceproto

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"time"
)

// syslogPaths are the local syslog daemon's sockets, tried in this order
// (datagram, then stream, on each), as Go's log/syslog does.
var syslogPaths = []string{"/dev/log", "/var/run/syslog", "/var/run/log"}

// Syslog priorities: facility LOG_USER (1<<3) with the message's severity.
const (
	syslogErr     = 8 | 3
	syslogWarning = 8 | 4
	syslogInfo    = 8 | 6
	syslogDebug   = 8 | 7
)

// newSyslog returns a SyslogFunc that copies log lines to the local syslog
// with the program name as ident, as fence-agents does (syslog.syslog
// without openlog). The connection is made on first use; failures are
// ignored so a missing syslog never fails fencing.
//
// Each message is one line in the local format of Go's log/syslog, which
// this replaces: "<PRI>Jan _2 15:04:05 IDENT[PID]: MESSAGE\n". It is
// written here so that the agent does not link package net (log/syslog's
// transport), whose initialisation every start would pay.
func newSyslog(prog string) SyslogFunc {
	var c *syslogConn
	failed := false
	return func(l Level, msg string) {
		if c == nil && !failed {
			var err error
			if c, err = dialSyslog(); err != nil {
				failed = true
			}
		}
		if c == nil {
			return
		}
		pri := syslogDebug
		switch l {
		case LevelError:
			pri = syslogErr
		case LevelWarning:
			pri = syslogWarning
		case LevelInfo:
			pri = syslogInfo
		}
		line := syslogLine(pri, time.Now(), prog, os.Getpid(), msg)
		if c.write(line) != nil {
			// As log/syslog: reconnect once (the daemon restarted) and retry.
			c.close()
			if c, _ = dialSyslog(); c != nil {
				c.write(line)
			}
		}
	}
}

// syslogLine formats one message, ending it with a newline if it has none.
func syslogLine(pri int, now time.Time, tag string, pid int, msg string) []byte {
	b := make([]byte, 0, len(msg)+len(tag)+40)
	b = append(b, '<')
	b = strconv.AppendInt(b, int64(pri), 10)
	b = append(b, '>')
	b = now.AppendFormat(b, time.Stamp)
	b = append(b, ' ')
	b = append(b, tag...)
	b = append(b, '[')
	b = strconv.AppendInt(b, int64(pid), 10)
	b = append(b, "]: "...)
	b = append(b, msg...)
	if len(msg) == 0 || msg[len(msg)-1] != '\n' {
		b = append(b, '\n')
	}
	return b
}

type syslogConn struct{ fd int }

var errNoSyslog = errors.New("Unix syslog delivery error")

// dialSyslog connects to the first syslog socket that accepts, datagram
// sockets first.
func dialSyslog() (*syslogConn, error) {
	for _, typ := range []int{syscall.SOCK_DGRAM, syscall.SOCK_STREAM} {
		for _, p := range syslogPaths {
			// Close-on-exec before any fork can see it (os/exec holds ForkLock).
			syscall.ForkLock.RLock()
			fd, err := syscall.Socket(syscall.AF_UNIX, typ, 0)
			if err == nil {
				syscall.CloseOnExec(fd)
			}
			syscall.ForkLock.RUnlock()
			if err != nil {
				continue
			}
			if err := syscall.Connect(fd, &syscall.SockaddrUnix{Name: p}); err != nil {
				syscall.Close(fd)
				continue
			}
			return &syslogConn{fd: fd}, nil
		}
	}
	return nil, errNoSyslog
}

// write sends b whole (one datagram, or the whole line on a stream).
func (c *syslogConn) write(b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(c.fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func (c *syslogConn) close() { syscall.Close(c.fd) }

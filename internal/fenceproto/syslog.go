//go:build !windows && !plan9

package fenceproto

import "log/syslog"

// newSyslog returns a SyslogFunc that copies log lines to the local syslog
// with the program name as ident, as fence-agents does (syslog.syslog
// without openlog). The connection is made on first use; failures are
// ignored so a missing syslog never fails fencing.
func newSyslog(prog string) SyslogFunc {
	var w *syslog.Writer
	failed := false
	return func(l Level, msg string) {
		if w == nil && !failed {
			var err error
			if w, err = syslog.New(syslog.LOG_USER|syslog.LOG_INFO, prog); err != nil {
				failed = true
			}
		}
		if w == nil {
			return
		}
		switch l {
		case LevelError:
			w.Err(msg)
		case LevelWarning:
			w.Warning(msg)
		case LevelInfo:
			w.Info(msg)
		default:
			w.Debug(msg)
		}
	}
}

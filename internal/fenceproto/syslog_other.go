//go:build windows || plan9

package fenceproto

// newSyslog returns nil: there is no syslog on this platform.
func newSyslog(string) SyslogFunc { return nil }

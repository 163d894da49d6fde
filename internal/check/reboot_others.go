//go:build !linux

package check

import "errors"

// RebootNow is only implemented on Linux.
func RebootNow() error { return errors.New("reboot: not supported on this system") }

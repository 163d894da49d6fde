//go:build linux && bounded

package main

import "time"

// sendWait issues SG_IO in a goroutine of its own and waits at most timeout ms for it; a
// timeout counts as a failed read of that device (the goroutine keeps the buffers referenced).
func sendWait(fd uintptr, h *sgIOHdr) bool {
	done := make(chan bool, 1)
	go func() { done <- ioctl(fd, h) }()
	select {
	case ok := <-done:
		return ok
	case <-time.After(timeout * time.Millisecond):
		return false
	}
}

//go:build linux && !bounded

package main

// sendWait issues SG_IO on the calling goroutine and waits for it without a bound.
func sendWait(fd uintptr, h *sgIOHdr) bool { return ioctl(fd, h) }

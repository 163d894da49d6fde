//go:build !linux

package scsi

// openTransport is not available: SG_IO is a Linux ioctl.
func openTransport(path string, _ bool) (Transport, error) {
	return nil, &Error{Op: "open", Device: path, Class: ErrNotSupported,
		Detail: "SG_IO is only available on Linux"}
}

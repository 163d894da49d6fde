//go:build !linux

package nvme

// openTransport is not available: NVMe passthrough is a Linux ioctl here.
func openTransport(path string, _ bool) (Transport, error) {
	return nil, &Error{Op: "open", Device: path, Class: ErrNotSupported,
		Detail: "NVMe passthrough is only available on Linux"}
}

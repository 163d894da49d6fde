package nvme

// OpenOptions selects how Open opens a namespace.
type OpenOptions struct {
	// ReadOnly opens O_RDONLY: enough for Report, Capabilities and HostID
	// with CAP_SYS_ADMIN, and closing it triggers no udev change event.
	ReadOnly bool
	// Device tunes the returned Device (timeouts, retries, logging).
	Device DeviceOptions
}

// Open opens an NVMe namespace block device (/dev/nvmeXnY), reads its
// namespace ID with NVME_IOCTL_ID and returns a Device that sends its
// commands with NVME_IOCTL_IO_CMD and NVME_IOCTL_ADMIN_CMD. It refuses, with
// an ErrNotSupported *Error, anything else: regular files, character devices
// (the controller /dev/nvmeX, the generic /dev/ngXnY), partitions (a
// reservation always covers the whole namespace) and non-NVMe block devices.
// On systems other than Linux every path is refused.
func Open(path string, opt OpenOptions) (Device, error) {
	t, err := openTransport(path, opt.ReadOnly)
	if err != nil {
		return nil, err
	}
	return NewDevice(path, t, opt.Device), nil
}

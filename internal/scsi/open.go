package scsi

// OpenOptions selects how Open opens a device node.
type OpenOptions struct {
	// ReadOnly opens O_RDONLY instead of O_RDWR (fence_scsi --readonly,
	// sg_persist -y). On a block node with CAP_SYS_RAWIO PR commands work
	// either way; a read-only /dev/sgN applies the kernel's command filter
	// (drivers/scsi/scsi_ioctl.c, scsi_cmd_allowed).
	ReadOnly bool
	// Device tunes the returned Device (timeouts, retries, logging).
	Device DeviceOptions
}

// Open opens a SCSI device node (/dev/sdX, /dev/dm-N, /dev/sgN) and returns
// a Device that sends its commands with the SG_IO ioctl. Failures are
// *Error values with Op "open" and the errno (errors.Is(err, fs.ErrNotExist)
// works); on systems other than Linux the class is ErrNotSupported.
func Open(path string, opt OpenOptions) (Device, error) {
	t, err := openTransport(path, opt.ReadOnly)
	if err != nil {
		return nil, err
	}
	return NewDevice(path, t, opt.Device), nil
}

// OpenTransport opens a device node like Open but returns the bare SG_IO
// Transport (no retry policy, no parsing): for tests that must send exact
// CDBs and see every status and unit attention, such as the conformance
// suite's RawAccess against real storage (tests/lio).
func OpenTransport(path string, readOnly bool) (Transport, error) {
	return openTransport(path, readOnly)
}

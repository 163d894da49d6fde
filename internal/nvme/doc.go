// Package nvme is a hand-written NVMe passthrough layer for reservations
// (NVM Express Base Specification 2.0, section 8.19 and the Reservation
// commands of sections 7.2-7.5): pure command builders, bounds-checked
// parsers for the Reservation Status and Identify data structures, status
// decoding into error classes, a retry policy, and the Linux transport
// (NVME_IOCTL_IO_CMD / NVME_IOCTL_ADMIN_CMD on a namespace block device).
//
// It mirrors internal/scsi: a Device interface with the reservation subset
// of scsi.Device, built by NewDevice on any Transport (the ioctl transport
// from Open, or the simulator in internal/nvme/sim), typed *Error values
// matched with errors.Is against class sentinels, and no nvme-cli, cgo or
// shell. Nothing above this package builds an NVMe command.
//
// Reservation keys are little-endian in the NVMe data buffers (big-endian
// in SCSI parameter lists); the Key value is the same 64-bit number, so a
// key printed by this package equals the one sg_persist or nvme-cli prints.
package nvme

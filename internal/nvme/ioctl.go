package nvme

// Linux ioctl request numbers of the NVMe passthrough interface
// (include/uapi/linux/nvme_ioctl.h), computed with the _IOC encoding of
// include/uapi/asm-generic/ioctl.h: nr bits 7:0, type bits 15:8, size from
// bit 16, direction above the size field. x/sys/unix does not define them.
const (
	// PassthruCmdSize is sizeof(struct nvme_passthru_cmd), pinned by a test.
	PassthruCmdSize = 72

	// IoctlID is NVME_IOCTL_ID, _IO('N', 0x40): returns the namespace ID.
	IoctlID = iocNone<<iocDirShift | 'N'<<8 | 0x40
	// IoctlAdminCmd is NVME_IOCTL_ADMIN_CMD, _IOWR('N', 0x41, struct nvme_admin_cmd).
	IoctlAdminCmd = (iocRead|iocWrite)<<iocDirShift | PassthruCmdSize<<16 | 'N'<<8 | 0x41
	// IoctlIOCmd is NVME_IOCTL_IO_CMD, _IOWR('N', 0x43, struct nvme_passthru_cmd).
	IoctlIOCmd = (iocRead|iocWrite)<<iocDirShift | PassthruCmdSize<<16 | 'N'<<8 | 0x43
)

//go:build mips || mipsle || mips64 || mips64le || ppc64 || ppc64le

package nvme

// _IOC direction encoding of arch/{mips,powerpc}/include/uapi/asm/ioctl.h:
// 13 size bits and 3 direction bits, _IOC_NONE = 1.
const (
	iocNone     = 1
	iocRead     = 2
	iocWrite    = 4
	iocDirShift = 29
)

//go:build !(mips || mipsle || mips64 || mips64le || ppc64 || ppc64le)

package nvme

// _IOC direction encoding of include/uapi/asm-generic/ioctl.h (x86, arm, riscv, s390, ...).
const (
	iocNone     = 0
	iocWrite    = 1
	iocRead     = 2
	iocDirShift = 30
)

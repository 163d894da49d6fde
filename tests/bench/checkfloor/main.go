//go:build linux

// Command checkfloor is the floor of the watchdog check's CPU benchmark on PR storage
// (tests/bench/check_guest.sh): the least a Go program can do to answer the check's question,
// so that the benchmark can tell the cost of the question (reading two state files, opening
// each device, one PERSISTENT RESERVE IN READ KEYS per device) from the cost of our check's
// code around it.
//
// It reads the key and the device list the agent's `on` leaves in /var/run/cluster.key and
// /var/run/cluster.dev, sends READ KEYS (SPC-4 6.16.2) with SG_IO to each device in turn, and
// exits 0 at the first device on which the key is registered, 2 when it is on no device it
// could read, and 1 when it is on none and a read failed (or a state file is missing or bad). It has no options, no retries, no logging and no settings file, and it
// imports nothing but syscall and unsafe (not os, whose package initialisation every start
// would pay), so it costs an empty Go program plus that I/O.
//
// Built with the tag "bounded" (checkfloor-bounded), each SG_IO runs in a goroutine of its own
// and the program waits for it at most 5 s (time.After, select), the way the check bounds every
// command (an ioctl cannot be interrupted): the difference between the two builds is what
// bounding the wait costs, which the real check cannot do without.
//
// The CDB is built here, not with internal/scsi, which would bring its package initialisation
// (fmt, os, context, time) into the floor; main_test.go checks it against scsi.PRInCDB and
// the parser against scsi.ParseReadKeys.
package main

import (
	"syscall"
	"unsafe"
)

const (
	keyFile = "/var/run/cluster.key"
	devFile = "/var/run/cluster.dev"
	// allocLen is the check's READ KEYS allocation length (internal/scsi's first try).
	allocLen = 8192
	sgIO     = 0x2285 // SG_IO, include/scsi/sg.h
	timeout  = 5000   // ms, as the check's CommandTimeout
)

// sgIOHdr is struct sg_io_hdr (include/scsi/sg.h, interface 'S'), LP64 layout.
type sgIOHdr struct {
	interfaceID    int32
	dxferDirection int32
	cmdLen         uint8
	mxSbLen        uint8
	iovecCount     uint16
	dxferLen       uint32
	dxferp         unsafe.Pointer
	cmdp           unsafe.Pointer
	sbp            unsafe.Pointer
	timeout        uint32
	flags          uint32
	packID         int32
	usrPtr         unsafe.Pointer
	status         uint8
	maskedStatus   uint8
	msgStatus      uint8
	sbLenWr        uint8
	hostStatus     uint16
	driverStatus   uint16
	resid          int32
	duration       uint32
	info           uint32
}

// readKeysCDB is PERSISTENT RESERVE IN, service action READ KEYS, allocation length alloc.
func readKeysCDB(alloc uint16) [10]byte {
	return [10]byte{0x5E, 0x00, 0, 0, 0, 0, 0, byte(alloc >> 8), byte(alloc), 0}
}

// readFile returns the first 4 KiB of path (both state files are a few bytes).
func readFile(path string) ([]byte, bool) {
	fd, err := syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		return nil, false
	}
	defer syscall.Close(fd)
	buf := make([]byte, 4096)
	n, err := syscall.Read(fd, buf)
	if err != nil || n < 0 {
		return nil, false
	}
	return buf[:n], true
}

// parseKey reads a hexadecimal key (an optional 0x, surrounding blanks and newlines allowed).
func parseKey(b []byte) (uint64, bool) {
	b = trim(b)
	if len(b) > 2 && b[0] == '0' && (b[1] == 'x' || b[1] == 'X') {
		b = b[2:]
	}
	if len(b) == 0 || len(b) > 16 {
		return 0, false
	}
	var k uint64
	for _, c := range b {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		k = k<<4 | uint64(c)
	}
	return k, true
}

func trim(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\n' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t' || b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// hasKey reports whether a READ KEYS response (SPC-4 6.16.2: generation, additional length,
// then 8-byte keys) lists key; ok is false for a response too short for its header.
func hasKey(data []byte, key uint64) (found, ok bool) {
	if len(data) < 8 {
		return false, false
	}
	n := int(uint32(data[4])<<24 | uint32(data[5])<<16 | uint32(data[6])<<8 | uint32(data[7]))
	list := data[8:]
	if n < len(list) {
		list = list[:n]
	}
	for ; len(list) >= 8; list = list[8:] {
		var k uint64
		for _, c := range list[:8] {
			k = k<<8 | uint64(c)
		}
		if k == key {
			return true, true
		}
	}
	return false, true
}

// registered sends READ KEYS to dev and reports whether key is registered there.
func registered(dev string, key uint64) (found, ok bool) {
	fd, err := syscall.Open(dev, syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return false, false
	}
	defer syscall.Close(fd)
	cdb := readKeysCDB(allocLen)
	data := make([]byte, allocLen)
	sense := make([]byte, 96)
	h := &sgIOHdr{interfaceID: 'S', dxferDirection: -3 /* SG_DXFER_FROM_DEV */, cmdLen: 10,
		mxSbLen: uint8(len(sense)), dxferLen: allocLen, dxferp: unsafe.Pointer(&data[0]),
		cmdp: unsafe.Pointer(&cdb[0]), sbp: unsafe.Pointer(&sense[0]), timeout: timeout}
	if !sendWait(uintptr(fd), h) || h.status != 0 || h.hostStatus != 0 || h.driverStatus&0xF != 0 {
		return false, false
	}
	// resid clamped to [0, allocLen]: a device that reports more than it could leave out
	// must not make the slice bound panic.
	return hasKey(data[:allocLen-min(max(int(h.resid), 0), allocLen)], key)
}

// ioctl issues SG_IO; the buffers stay alive because h and the slices are used after it.
func ioctl(fd uintptr, h *sgIOHdr) bool {
	_, _, errno := syscall.Syscall(syscall.SYS_IOCTL, fd, sgIO, uintptr(unsafe.Pointer(h)))
	return errno == 0
}

func main() {
	kb, ok := readFile(keyFile)
	if !ok {
		syscall.Exit(1)
	}
	key, ok := parseKey(kb)
	if !ok {
		syscall.Exit(1)
	}
	devs, ok := readFile(devFile)
	if !ok {
		syscall.Exit(1)
	}
	failed := false
	for len(devs) > 0 {
		line := devs
		rest := []byte(nil)
		for i, c := range devs {
			if c == '\n' {
				line, rest = devs[:i], devs[i+1:]
				break
			}
		}
		devs = rest
		if line = trim(line); len(line) == 0 {
			continue
		}
		found, ok := registered(string(line), key)
		if found {
			syscall.Exit(0)
		}
		failed = failed || !ok
	}
	if failed {
		syscall.Exit(1)
	}
	syscall.Exit(2)
}

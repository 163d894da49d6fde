//go:build linux

package scsi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// TestSGIOConstants pins the numbers of include/scsi/sg.h.
func TestSGIOConstants(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"SG_IO", sgIO, 0x2285},
		{"interface_id", sgInterfaceID, 0x53},
		{"SG_DXFER_NONE", sgDxferNone, -1},
		{"SG_DXFER_TO_DEV", sgDxferToDev, -2},
		{"SG_DXFER_FROM_DEV", sgDxferFromDev, -3},
		{"mx_sb_len", MaxSenseLen, 96},
	} {
		if c.got != c.want {
			t.Errorf("%s = %#x, want %#x", c.name, c.got, c.want)
		}
	}
}

// fakeKernel is an injected ioctl: it records the header it was given and
// plays a completion into it, as the kernel would.
type fakeKernel struct {
	mu      sync.Mutex
	seen    []sgIOHdr
	cdbs    [][]byte
	dataOut [][]byte
	play    func(h *sgIOHdr) error
}

func (k *fakeKernel) ioctl(_ uintptr, h *sgIOHdr) error {
	k.mu.Lock()
	k.seen = append(k.seen, *h)
	k.cdbs = append(k.cdbs, bytes.Clone(unsafe.Slice((*byte)(h.cmdp), h.cmdLen)))
	if h.dxferDirection == sgDxferToDev && h.dxferLen > 0 {
		k.dataOut = append(k.dataOut, bytes.Clone(unsafe.Slice((*byte)(h.dxferp), h.dxferLen)))
	}
	k.mu.Unlock()
	if k.play == nil {
		return nil
	}
	return k.play(h)
}

// newFakeSG opens /dev/null (a character device) with an injected kernel.
func newFakeSG(t *testing.T, k *fakeKernel) *sgTransport {
	t.Helper()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newSGTransport(f, k.ioctl)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tr.Close() })
	return tr
}

// TestSGIORequestHeader checks what Execute puts in sg_io_hdr (include/scsi/sg.h).
func TestSGIORequestHeader(t *testing.T) {
	tests := []struct {
		name    string
		cmd     Command
		dir     int32
		dxfer   uint32
		timeout uint32
	}{
		{"tur", Command{CDB: TestUnitReadyCDB(), Direction: DirNone, Timeout: 20 * time.Second}, sgDxferNone, 0, 20000},
		{"read keys", Command{CDB: PRInCDB(PRInReadKeys, 8192), Direction: DirFromDevice, DataInLen: 8192, Timeout: time.Minute}, sgDxferFromDev, 8192, 60000},
		{"pr out", Command{CDB: PROutCDB(PROutReserve, 0, 5), Direction: DirToDevice, DataOut: PROutParams(keyHost, 0, RegisterOptions{})}, sgDxferToDev, 24, 60000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &fakeKernel{}
			if _, err := newFakeSG(t, k).Execute(context.Background(), &tt.cmd); err != nil {
				t.Fatal(err)
			}
			h := k.seen[0]
			if h.interfaceID != 'S' || h.dxferDirection != tt.dir || h.dxferLen != tt.dxfer ||
				h.timeout != tt.timeout || h.mxSbLen != 96 || int(h.cmdLen) != len(tt.cmd.CDB) ||
				h.iovecCount != 0 || h.flags != 0 {
				t.Errorf("header %+v", h)
			}
			if (h.dxferp == nil) != (tt.dxfer == 0) {
				t.Errorf("dxferp %v with dxfer_len %d", h.dxferp, tt.dxfer)
			}
			if !bytes.Equal(k.cdbs[0], tt.cmd.CDB) {
				t.Errorf("kernel saw CDB % x, want % x", k.cdbs[0], tt.cmd.CDB)
			}
			if tt.cmd.Direction == DirToDevice && !bytes.Equal(k.dataOut[0], tt.cmd.DataOut) {
				t.Errorf("kernel saw data-out % x", k.dataOut[0])
			}
		})
	}
}

// TestSGIOResult checks the hdr -> Result translation (include/scsi/sg.h).
func TestSGIOResult(t *testing.T) {
	tests := []struct {
		name      string
		status    uint8
		host, drv uint16
		sbLenWr   uint8
		resid     int32
		wantResid int
		wantSense int
	}{
		{"good full transfer", 0, 0, 0, 0, 0, 0, 0},
		{"short transfer", 0, 0, 0, 0, 16, 16, 0},
		{"negative resid clamps to 0", 0, 0, 0, 0, -5, 0, 0},
		{"resid beyond dxfer_len clamps", 0, 0, 0, 0, 100000, 24, 0},
		{"check condition sense", 0x02, 0, DriverSense, 18, 24, 24, 18},
		{"sb_len_wr beyond buffer clamps", 0x02, 0, DriverSense, 200, 0, 0, 96},
		{"conflict with old host byte", 0x18, DIDNexusFailure, 0, 0, 24, 24, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &fakeKernel{play: func(h *sgIOHdr) error {
				data := unsafe.Slice((*byte)(h.dxferp), h.dxferLen)
				for i := range data {
					if data[i] != 0 {
						t.Errorf("data-in byte %d not zeroed", i)
					}
					data[i] = byte(i)
				}
				sense := unsafe.Slice((*byte)(h.sbp), h.mxSbLen)
				for i := range sense {
					if sense[i] != 0 {
						t.Errorf("sense byte %d not zeroed", i)
					}
					sense[i] = 0x70
				}
				h.status, h.hostStatus, h.driverStatus = tt.status, tt.host, tt.drv
				h.sbLenWr, h.resid = tt.sbLenWr, tt.resid
				return nil
			}}
			res, err := newFakeSG(t, k).Execute(context.Background(),
				&Command{CDB: PRInCDB(PRInReadReservation, 24), Direction: DirFromDevice, DataInLen: 24})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tt.status || res.HostStatus != tt.host || res.DriverStatus != tt.drv {
				t.Errorf("status %#x host %#x driver %#x", res.Status, res.HostStatus, res.DriverStatus)
			}
			if res.Resid != tt.wantResid || len(res.Sense) != tt.wantSense || len(res.DataIn) != 24 || res.DataIn[23] != 23 {
				t.Errorf("resid %d sense %d data-in %d", res.Resid, len(res.Sense), len(res.DataIn))
			}
		})
	}
}

// TestSGIODeadline: the ioctl outlives ctx; Execute returns ErrTimeout with
// OutcomeUnknown at once, and the goroutine still completes afterwards.
func TestSGIODeadline(t *testing.T) {
	release, finished := make(chan struct{}), make(chan struct{})
	k := &fakeKernel{play: func(h *sgIOHdr) error {
		<-release
		unsafe.Slice((*byte)(h.sbp), h.mxSbLen)[0] = 0x70 // buffer still valid
		close(finished)
		return nil
	}}
	d := NewDevice("/dev/sdz", newFakeSG(t, k), DeviceOptions{})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err := d.PreemptAndAbort(ctx, keyHost, keyVictim, TypeWriteExclusiveRegistrantsOnly)
	if !errors.Is(err, ErrTimeout) || !errors.Is(err, ErrOutcomeUnknown) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want timeout with unknown outcome", err)
	}
	close(release)
	<-finished
	if n := len(k.seen); n != 1 {
		t.Errorf("PR OUT sent %d times, want 1", n)
	}
}

// TestSGIOErrno: EINTR on a PR OUT is an unknown outcome and never re-sent;
// ENOTTY means SG_IO is unsupported.
func TestSGIOErrno(t *testing.T) {
	tests := []struct {
		name       string
		errno      syscall.Errno
		prOut      bool
		class      error
		unknown    bool
		wantIoctls int
	}{
		{"EINTR on PR OUT", syscall.EINTR, true, ErrTransport, true, 1},
		{"EINTR on read is retried", syscall.EINTR, false, ErrTransport, false, 1 + DefaultMaxTransientRetries},
		{"ENOTTY", syscall.ENOTTY, true, ErrNotSupported, false, 1},
		{"EPERM", syscall.EPERM, false, ErrTransport, false, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := &fakeKernel{play: func(*sgIOHdr) error { return tt.errno }}
			s := &noSleep{}
			d := NewDevice("/dev/sdz", newFakeSG(t, k), DeviceOptions{Sleep: s.sleep})
			var err error
			if tt.prOut {
				err = d.Register(context.Background(), keyHost, keyVictim, RegisterOptions{})
			} else {
				_, err = d.ReadReservation(context.Background())
			}
			if !errors.Is(err, tt.class) || !errors.Is(err, tt.errno) || errors.Is(err, ErrOutcomeUnknown) != tt.unknown {
				t.Errorf("got %v (unknown=%v)", err, errors.Is(err, ErrOutcomeUnknown))
			}
			if len(k.seen) != tt.wantIoctls {
				t.Errorf("%d ioctls, want %d", len(k.seen), tt.wantIoctls)
			}
		})
	}
}

// TestOpen uses the real kernel: missing paths and regular files fail
// clearly, and SG_IO on /dev/null is reported as not supported (ENOTTY).
func TestOpen(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope"), OpenOptions{})
	var se *Error
	if !errors.As(err, &se) || se.Op != "open" || !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing path: %v", err)
	}
	reg := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(reg, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(reg, OpenOptions{}); !errors.Is(err, ErrNotSupported) {
		t.Errorf("regular file: %v", err)
	}
	for _, ro := range []bool{false, true} {
		d, err := Open(os.DevNull, OpenOptions{ReadOnly: ro})
		if err != nil {
			t.Fatal(err)
		}
		want := uint64(syscall.O_RDWR | syscall.O_NONBLOCK | syscall.O_CLOEXEC)
		if ro {
			want = syscall.O_RDONLY | syscall.O_NONBLOCK | syscall.O_CLOEXEC
		}
		if got := openFlags(t, d); got&(syscall.O_ACCMODE|syscall.O_NONBLOCK|syscall.O_CLOEXEC|syscall.O_EXCL) != want {
			t.Errorf("readonly=%v: open flags %#o, want %#o", ro, got, want)
		}
		if err := d.TestUnitReady(context.Background()); !errors.Is(err, ErrNotSupported) || !errors.Is(err, syscall.ENOTTY) {
			t.Errorf("readonly=%v: TUR on /dev/null: %v", ro, err)
		}
		if err := d.Close(); err != nil {
			t.Error(err)
		}
	}
}

// openFlags reads the descriptor's flags from /proc/self/fdinfo.
func openFlags(t *testing.T, d Device) uint64 {
	t.Helper()
	var flags uint64
	err := d.(*device).t.(*sgTransport).conn.Control(func(fd uintptr) {
		b, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", fd))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				flags, err = strconv.ParseUint(strings.TrimSpace(v), 8, 64)
				if err != nil {
					t.Fatal(err)
				}
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return flags
}

// TestIoctlForNodeType: only a block device skips the locked, signal-masked
// ioctl; a character device (/dev/sgN's kind) and an unknown type keep it.
func TestIoctlForNodeType(t *testing.T) {
	fn := func(f func(uintptr, *sgIOHdr) error) uintptr { return reflect.ValueOf(f).Pointer() }
	locked, block := fn(ioctlSGIO), fn(ioctlSGIOBlock)
	fi, err := os.Stat(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	if got := fn(ioctlFor(fi, nil)); got != locked {
		t.Errorf("%s (character device): not the locked ioctl", os.DevNull)
	}
	if got := fn(ioctlFor(nil, errors.New("stat failed"))); got != locked {
		t.Error("unknown node type: not the locked ioctl")
	}
	if got := fn(ioctlFor(modeInfo(fs.ModeDevice|0o660), nil)); got != block {
		t.Error("block device: not the block ioctl")
	}
	if got := fn(ioctlFor(modeInfo(0o644), nil)); got != locked {
		t.Error("regular file: not the locked ioctl")
	}
}

// modeInfo is a FileInfo with only a mode.
type modeInfo fs.FileMode

func (m modeInfo) Name() string       { return "x" }
func (m modeInfo) Size() int64        { return 0 }
func (m modeInfo) Mode() fs.FileMode  { return fs.FileMode(m) }
func (m modeInfo) ModTime() time.Time { return time.Time{} }
func (m modeInfo) IsDir() bool        { return false }
func (m modeInfo) Sys() any           { return nil }

package fence

import (
	"errors"
	"io/fs"
	"testing"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
)

// The texts of DeviceError, byte for byte as fence_scsi (or, for the
// multipath and no-PR texts, earlier releases of this agent) prints them.
func TestDeviceErrorTexts(t *testing.T) {
	cause := errors.New("cause")
	for _, c := range []struct {
		err  *DeviceError
		want string
	}{
		{&DeviceError{Device: "/dev/x", Problem: DeviceMissing, Err: fs.ErrNotExist}, `Failed: device "/dev/x" does not exist`},
		{&DeviceError{Device: "/dev/x", Problem: DeviceNotBlock}, `Failed: device "/dev/x" is not a block device`},
		{&DeviceError{Device: "/dev/x", Problem: DeviceNoPR, Err: cause}, `Failed: device "/dev/x" does not support persistent reservations: cause`},
		{&DeviceError{Device: "/dev/x", Problem: DeviceKeysUnreadable, Err: cause}, `Cannot get registration keys on device "/dev/x": cause`},
		{&DeviceError{Device: "/dev/x", Problem: DeviceReservationUnreadable, Err: cause}, `Cannot get reservation key on device "/dev/x": cause`},
		{&DeviceError{Device: "/dev/dm-0", Problem: DevicePathsUnknown}, `Failed: cannot find the paths of device-mapper device "/dev/dm-0"`},
		{&DeviceError{Device: "/dev/dm-0", Problem: DevicePathsUnknown, Err: cause}, `Failed: cannot find the paths of device-mapper device "/dev/dm-0": cause`},
		{&DeviceError{Device: "/dev/dm-0", Problem: DeviceNoPaths}, `Failed: device-mapper device "/dev/dm-0" has no paths`},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("problem %d: got %q, want %q", c.err.Problem, got, c.want)
		}
	}
	err := error(&DeviceError{Device: "/dev/x", Problem: DeviceNoPR, Err: scsi.ErrNotSupported})
	var de *DeviceError
	if !errors.Is(err, scsi.ErrNotSupported) || !errors.As(err, &de) || de.Problem != DeviceNoPR {
		t.Errorf("%v: the cause and the problem are not visible to errors.Is/As", err)
	}
}

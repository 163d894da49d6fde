package main

import (
	"io"
	"os"
	"path/filepath"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/storagecheck"
)

// runCheckStorage is `fence_scsi_go check-storage ...` (docs/check-storage.md):
// devices are opened O_RDONLY unless --write-test or --cleanup is given.
func runCheckStorage(args []string, stdout, stderr io.Writer) int {
	return storagecheck.Run(args, storagecheck.Env{
		Stdout: stdout,
		Stderr: stderr,
		Open: func(path string, readOnly bool) (scsi.Device, error) {
			return scsi.Open(path, scsi.OpenOptions{ReadOnly: readOnly})
		},
		OpenIO: func(path string) (scsi.Transport, error) {
			return scsi.OpenTransport(path, false)
		},
		Sysfs:    storagecheck.Sysfs{Realpath: filepath.EvalSymlinks},
		Hostname: os.Hostname,
	})
}

//go:build !linux

package check

import (
	"errors"

	"github.com/fence-scsi-go/fence_scsi_go/internal/texts"
)

// RebootNow is only implemented on Linux.
func RebootNow() error { return errors.New(texts.RebootUnsupported) }

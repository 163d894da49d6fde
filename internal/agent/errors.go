package agent

import (
	"errors"

	"github.com/fence-scsi-go/fence_scsi_go/internal/fence"
	"github.com/fence-scsi-go/fence_scsi_go/internal/fenceproto"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/keys/nodekey"
	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// compatError gives an error fence_scsi's presentation: "Failed to verify"
// is a plain ERROR line, every other failure is a fatal usage error
// followed by the -h hint, as fence_scsi's fail_usage prints it.
func compatError(err error) error {
	if err == nil {
		return nil
	}
	var fe *fenceproto.Error
	if errors.As(err, &fe) {
		return err
	}
	if errors.Is(err, nodekey.ErrCommandTimeout) {
		return &fenceproto.Error{Msg: fenceproto.TimedOutMsg, Err: err}
	}
	var ve *fence.VerifyError
	var lost *fence.LostError
	var nx *fence.NexusError
	var ur *fence.UnreservedError
	// Outcomes on the storage, not usage mistakes: no "-h" hint.
	if errors.As(err, &ve) || errors.As(err, &lost) || errors.As(err, &nx) || errors.As(err, &ur) {
		return &fenceproto.Error{Msg: err.Error(), Err: err}
	}
	return &fenceproto.Error{Msg: err.Error(), Usage: true, Err: err}
}

// parseKey parses a key the front end has already normalised.
func parseKey(s string) (pr.Key, error) {
	k, err := keys.Parse(s)
	if err != nil {
		return 0, &fenceproto.Error{Msg: err.Error(), Usage: true, Err: err}
	}
	return k, nil
}

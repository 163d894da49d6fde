package nodekey

import (
	"errors"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/texts"
)

// FromNames computes fence_scsi's key_value=hash key from the names
// themselves: the first 4 hex digits of MD5(cluster) followed by the first
// 4 of MD5(node). Cluster managers without corosync (EXPRESSCLUSTER) pass
// both names explicitly.
func FromNames(cluster, node string) (scsi.Key, error) {
	if cluster == "" || node == "" {
		return 0, errors.New(texts.KeyNeedsNames)
	}
	return keys.Parse(md5Prefix(cluster) + md5Prefix(node))
}

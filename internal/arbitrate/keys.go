package arbitrate

import (
	"crypto/md5"
	"encoding/binary"
	"errors"

	"github.com/fence-scsi-go/fence_scsi_go/internal/pr"
)

// KeyFromNames derives a node's arbitration key from the cluster and node
// names: the first 16 bits of MD5(cluster) (as fence_scsi's hash key, so the
// cluster part reads the same) followed by the first 48 bits of MD5(node).
// fence_scsi's own hash key keeps only 16 bits of the node name (any two
// names collide with probability 1/65536); 48 bits make a collision between
// two names 1/2^48 (n names: about n²/2^49). A collision is refused anyway
// by Acquire (ErrDuplicateKey).
func KeyFromNames(cluster, node string) (pr.Key, error) {
	if cluster == "" || node == "" {
		return 0, errors.New("both --cluster-name and --node are needed to derive a key")
	}
	c, n := md5.Sum([]byte(cluster)), md5.Sum([]byte(node))
	k := uint64(binary.BigEndian.Uint16(c[:2]))<<48 | binary.BigEndian.Uint64(n[:8])>>16
	if k == 0 {
		return 0, errors.New("the derived key is 0; give --key")
	}
	return pr.Key(k), nil
}

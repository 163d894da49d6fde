package fenceproto

import (
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/keys"
)

// normaliseKey checks a reservation key given with --key or derived by the
// backend and returns it as fence_scsi compares keys: lower-case hex without
// leading zeros. fence_scsi passes keys through unchecked, so upper-case
// keys fail verification and "0x" keys break; here upper case is accepted
// and lowered, and everything keys.Parse refuses (a 0x prefix, non-hex
// characters, more than 16 digits, zero) is refused before any device is
// touched (docs/differences.md).
func normaliseKey(k string) (string, error) {
	key, err := keys.Parse(strings.ToLower(k))
	if err != nil {
		// keys.Parse names the lowered text; name what the user wrote.
		return "", UsageErrorf("%s", strings.Replace(err.Error(), strings.ToLower(k), k, 1))
	}
	return keys.Format(key), nil
}

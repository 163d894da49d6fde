package fenceproto

import "strings"

// normaliseKey checks a reservation key given with --key or derived by the
// backend and returns it as fence_scsi compares keys: lower-case hex without
// leading zeros. fence_scsi passes keys through unchecked, so upper-case
// keys fail verification and "0x" keys break; here upper case is accepted
// and lowered, everything else that is not 1-16 hex digits is refused
// before any device is touched (docs/differences.md).
func normaliseKey(k string) (string, error) {
	if strings.HasPrefix(k, "0x") || strings.HasPrefix(k, "0X") {
		return "", UsageErrorf("Failed: key %q must be hex digits without a 0x prefix", k)
	}
	for _, c := range k {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return "", UsageErrorf("Failed: key %q is not a hexadecimal number", k)
		}
	}
	s := strings.ToLower(strings.TrimLeft(k, "0"))
	if s == "" {
		return "", UsageErrorf("Failed: key cannot be 0")
	}
	if len(s) > 16 {
		return "", UsageErrorf("Failed: key %q is longer than 16 hex digits (8 bytes)", k)
	}
	return s, nil
}

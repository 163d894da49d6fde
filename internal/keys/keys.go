// Package keys parses and prints node keys the way fence_scsi does: a
// persistent reservation key is shown as lower-case hex without "0x" and
// without leading zeros. Deriving a node's key from corosync (key_value=id
// or hash) is internal/keys/nodekey's.
package keys

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/fence-scsi-go/fence_scsi_go/internal/scsi"
	"github.com/fence-scsi-go/fence_scsi_go/internal/texts"
)

// ErrZeroKey is returned for an empty or all-zero key; the text is fence_scsi's.
var ErrZeroKey = errors.New(texts.ZeroKey)

// MaxDigits is the number of hex digits of a 64-bit reservation key.
const MaxDigits = 16

// Parse reads a user-supplied key (the key option).
//
// Accepted: 1 to 16 significant lower-case hex digits; leading zeros are
// stripped as fence_scsi does (lstrip('0')). Refused, each with a one-line
// error naming the problem and before any device is touched:
//   - "" or only zeros: "Failed: key cannot be 0" (fence_scsi's text);
//   - a "0x"/"0X" prefix: fence_scsi strips the zero and sends "x...",
//     which sg_persist rejects, so it never worked;
//   - upper-case digits: fence_scsi registers them but then fails to verify
//     (sg_persist prints lower case), leaving a stray registration;
//   - any other character, including spaces;
//   - more than 16 significant digits (does not fit the 8-byte key field).
func Parse(s string) (scsi.Key, error) {
	if strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "0X") {
		return 0, fmt.Errorf(texts.KeyHexPrefix, s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'f':
		case c >= 'A' && c <= 'F':
			return 0, fmt.Errorf(texts.KeyUpperCase, s)
		default:
			return 0, fmt.Errorf(texts.KeyNotHex, s, rune(c))
		}
	}
	digits := strings.TrimLeft(s, "0")
	if digits == "" {
		return 0, ErrZeroKey
	}
	if len(digits) > MaxDigits {
		return 0, fmt.Errorf(texts.KeyTooLong, s, MaxDigits)
	}
	v, err := strconv.ParseUint(digits, 16, 64)
	if err != nil { // unreachable after the checks above; kept for safety
		return 0, fmt.Errorf(texts.KeyInvalid, s)
	}
	return scsi.Key(v), nil
}

// Format prints a key as fence_scsi stores and logs it: lower-case hex, no
// "0x", no padding (the key string after lstrip('0')).
func Format(k scsi.Key) string { return strconv.FormatUint(uint64(k), 16) }

package check

import "strings"

// parseSettings adds the settings found in the config file's contents b to
// s, lower-cased, as fence_scsi's check finds them: every match of the
// multi-line regular expression `^\s*(\S*)\s*=\s*(\S*)` (Go's \s, i.e.
// [\t\n\f\r ]), in order, a later match overriding an earlier name. Written
// out by hand so that the watchdog check links no regexp package; the
// regular expression stays the oracle in TestParseSettingsMatchesRegexp and
// FuzzReadSettings. As with the expression, the spaces around "=" may span
// lines ("a\n=\nb" sets a to b) and a name takes everything up to the last
// "=" of its word ("a=b=c" sets "a=b" to c).
func parseSettings(s settings, b []byte) settings {
	for p := 0; p < len(b); {
		name, value, end, ok := settingAt(b, p)
		if ok {
			s[strings.ToLower(string(name))] = strings.ToLower(string(value))
			p = end
			if p > 0 && b[p-1] == '\n' {
				continue // a match that ends after a newline: the next may start here
			}
		} else {
			p++
		}
		// The next match starts at the beginning of a line (^ in multi-line mode).
		for p < len(b) && b[p-1] != '\n' {
			p++
		}
	}
	return s
}

// settingAt matches the expression at p, the beginning of a line, with the
// leftmost-first choices of a backtracking matcher: the longest leading
// space, the longest word, then shorter words back to its last "=".
func settingAt(b []byte, p int) (name, value []byte, end int, ok bool) {
	q := skip(b, p, isSettingSpace)
	r := skip(b, q, func(c byte) bool { return !isSettingSpace(c) })
	eq := -1
	if u := skip(b, r, isSettingSpace); u < len(b) && b[u] == '=' {
		eq, name = u, b[q:r] // the whole word, spaces, then "="
	} else if k := lastIndexByte(b[q:r], '='); k >= 0 {
		eq, name = q+k, b[q:q+k] // the word up to its last "="
	}
	if eq < 0 {
		return nil, nil, 0, false
	}
	v := skip(b, eq+1, isSettingSpace)
	end = skip(b, v, func(c byte) bool { return !isSettingSpace(c) })
	return name, b[v:end], end, true
}

// skip returns the first index from i on whose byte does not satisfy f.
func skip(b []byte, i int, f func(byte) bool) int {
	for i < len(b) && f(b[i]) {
		i++
	}
	return i
}

func lastIndexByte(b []byte, c byte) int {
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] == c {
			return i
		}
	}
	return -1
}

// isSettingSpace is Go's \s: the bytes of a multi-byte UTF-8 sequence are
// never among them, so scanning bytes matches scanning runes.
func isSettingSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

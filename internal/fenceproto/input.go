package fenceproto

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits on stdin. fence_scsi has none; these keep a broken caller from
// making the agent read without bound.
const (
	MaxLineBytes  = 64 << 10
	MaxInputBytes = 1 << 20
)

// values are the options given, by internal name. A present key means the
// option is set (for booleans: true).
type values map[string]string

// parseStdin reads key=value lines (lib/fencing.py.py's process_input). Warnings are logged; a
// malformed stream (too long, NUL or control bytes, invalid UTF-8) is a
// usage error.
func parseStdin(r io.Reader, log *Logger) (values, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxInputBytes+1))
	if err != nil {
		return nil, UsageErrorf("Failed: cannot read standard input: %v", err)
	}
	if len(data) > MaxInputBytes {
		return nil, UsageErrorf("Failed: input is longer than %d bytes", MaxInputBytes)
	}
	// Python reads stdin with universal newlines: \r\n, \r and \n end a line.
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	data = bytes.ReplaceAll(data, []byte("\r"), []byte("\n"))
	v := values{}
	for i, raw := range bytes.Split(data, []byte("\n")) {
		if err := checkLine(i+1, raw); err != nil {
			return nil, err
		}
		line := strings.TrimFunc(string(raw), unicode.IsSpace)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, value, _ := strings.Cut(line, "=")
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = value[1 : len(value)-1]
		}
		setStdin(v, resolveStdinName(name), value, line, log)
	}
	if _, ok := v[optVerboseLevel]; !ok {
		v[optVerboseLevel] = "0"
		if _, ok := v[optVerbose]; ok {
			v[optVerboseLevel] = "1"
		}
	}
	return v, nil
}

func checkLine(n int, b []byte) error {
	if len(b) > MaxLineBytes {
		return UsageErrorf("Failed: input line %d is longer than %d bytes", n, MaxLineBytes)
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return UsageErrorf("Failed: input line %d contains a NUL byte", n)
	}
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\v' && c != '\f') || c == 0x7f {
			return UsageErrorf("Failed: input line %d contains control character 0x%02x", n, c)
		}
	}
	if !utf8.Valid(b) {
		return UsageErrorf("Failed: input line %d is not valid UTF-8", n)
	}
	return nil
}

// resolveStdinName maps a stdin name to an internal name the way
// fence-agents does: try the name with "-" made "_", then with "_" made
// "-", against the long option names; otherwise keep it as is.
func resolveStdinName(name string) string {
	for _, n := range []string{strings.ReplaceAll(name, "-", "_"), strings.ReplaceAll(name, "_", "-")} {
		for i := range Table {
			if Table[i].Long == n {
				return Table[i].Name
			}
		}
	}
	return name
}

func setStdin(v values, name, value, line string, log *Logger) {
	o := lookup(name)
	if o == nil {
		internal := false
		for _, n := range internalNames {
			internal = internal || n == name
		}
		switch {
		case !internal:
			log.Warningf("Parse error: Ignoring unknown option '%s'\n", clean(line))
		case parseBool(value) != "":
			// fence_scsi crashes with a KeyError traceback here.
			log.Warningf("Parse error: Ignoring option '%s' because it cannot be set\n", clean(name))
		default:
			log.Warningf("Parse error: Ignoring option '%s' because it does not have value\n", clean(name))
		}
		return
	}
	if o.HasArg {
		v[name] = value
		return
	}
	switch parseBool(value) {
	case "1":
		v[name] = "1"
	case "0":
		// fence_scsi stores "0" and still treats the option as set; a
		// false value means false here (docs/differences.md).
		delete(v, name)
	default:
		log.Warningf("Parse error: Ignoring option '%s' because it does not have value\n", clean(name))
	}
}

// parseBool maps fence-agents' boolean spellings to "1"/"0", else "".
func parseBool(s string) string {
	switch strings.ToLower(s) {
	case "1", "yes", "on", "true":
		return "1"
	case "0", "no", "off", "false":
		return "0"
	}
	return ""
}

// parseArgs parses the command line (lib/fencing.py.py's getopt call in process_input).
func parseArgs(args []string, log *Logger) (values, error) {
	opts, operands, err := gnuGetopt(args)
	if err != nil {
		return nil, UsageErrorf("Parse error: %s", err.Error())
	}
	if len(operands) > 0 {
		log.Warningf("Unused arguments on command line: %s", pyListRepr(operands))
	}
	// fence-agents turns the getopt list into a dict keyed by spelling, so
	// each occurrence takes the last value given with that spelling.
	last := map[string]string{}
	for _, o := range opts {
		last[o.spelling] = o.value
	}
	v := values{}
	verbose := 0
	for _, o := range opts {
		v[o.opt.Name] = last[o.spelling]
		if o.opt.Name == optVerbose {
			verbose++
		}
	}
	if _, ok := v[optVerboseLevel]; !ok {
		v[optVerboseLevel] = strconv.Itoa(verbose)
	}
	return v, nil
}

// pyListRepr formats a list of strings like Python's str(list).
func pyListRepr(ss []string) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = pyRepr(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// pyRepr formats a string like Python's repr(str).
func pyRepr(s string) string {
	q := byte('\'')
	if strings.Contains(s, "'") && !strings.Contains(s, `"`) {
		q = '"'
	}
	var b strings.Builder
	b.WriteByte(q)
	for _, r := range s {
		switch {
		case r == rune(q) || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == utf8.RuneError:
			b.WriteString(`\ufffd`)
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			fmt.Fprintf(&b, `\x%02x`, r)
		case !unicode.IsPrint(r) && r != ' ':
			if r > 0xffff {
				fmt.Fprintf(&b, `\U%08x`, r)
			} else {
				fmt.Fprintf(&b, `\u%04x`, r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte(q)
	return b.String()
}

// pyInt parses s as Python's int(str) does for ASCII input: surrounding
// whitespace, an optional sign, digits with single underscores between them.
// Values must fit in an int.
func pyInt(s string) (int, bool) {
	s = strings.TrimFunc(s, unicode.IsSpace)
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 || body == "" || body[0] == '_' || body[len(body)-1] == '_' || strings.Contains(body, "__") {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimPrefix(s, "+"), "_", ""), 10, 0)
	if err != nil {
		return 0, false
	}
	return int(n), true
}

package fenceproto

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// This file is a small GNU getopt, written to behave like Python's
// getopt.gnu_getopt, which fence-agents uses. urfave/cli/v2 is not used
// for the command line because it cannot reproduce what callers see:
// it stops at the first operand (fence_scsi lets options and operands mix),
// cannot bundle a short option with its value (-ooff), has no unique-prefix
// matching of long options (--act=on works in fence_scsi), and prints its
// own error texts instead of "option --foo not recognized".

// argOpt is one parsed option: its table entry and value ("" for flags).
type argOpt struct {
	spelling string // as getopt reports it: "-o" or "--action"
	opt      *Option
	value    string
}

// getoptError carries Python getopt's message text.
type getoptError struct{ msg string }

func (e *getoptError) Error() string { return e.msg }

// gnuGetopt parses args (without argv[0]) against the table.
func gnuGetopt(args []string) (opts []argOpt, operands []string, err error) {
	for len(args) > 0 {
		a := args[0]
		switch {
		case a == "--":
			return opts, append(operands, args[1:]...), nil
		case strings.HasPrefix(a, "--"):
			var o argOpt
			o, args, err = doLong(a[2:], args[1:])
			if err != nil {
				return nil, nil, err
			}
			opts = append(opts, o)
		case strings.HasPrefix(a, "-") && a != "-":
			var os []argOpt
			os, args, err = doShorts(a[1:], args[1:])
			if err != nil {
				return nil, nil, err
			}
			opts = append(opts, os...)
		default:
			operands = append(operands, a)
			args = args[1:]
		}
	}
	return opts, operands, nil
}

func doLong(s string, rest []string) (argOpt, []string, error) {
	name, val, hasVal := strings.Cut(s, "=")
	o, err := matchLong(name)
	if err != nil {
		return argOpt{}, nil, err
	}
	if o.HasArg {
		if !hasVal {
			if len(rest) == 0 {
				return argOpt{}, nil, &getoptError{fmt.Sprintf("option --%s requires argument", o.Long)}
			}
			val, rest = rest[0], rest[1:]
		}
	} else if hasVal {
		return argOpt{}, nil, &getoptError{fmt.Sprintf("option --%s must not have an argument", o.Long)}
	}
	return argOpt{spelling: "--" + o.Long, opt: o, value: val}, rest, nil
}

// matchLong finds a long option by exact name or unique prefix.
func matchLong(name string) (*Option, error) {
	var cands []*Option
	for i := range Table {
		o := &Table[i]
		if strings.HasPrefix(o.Long, name) {
			if o.Long == name {
				return o, nil
			}
			cands = append(cands, o)
		}
	}
	switch len(cands) {
	case 0:
		return nil, &getoptError{fmt.Sprintf("option --%s not recognized", clean(name))}
	case 1:
		return cands[0], nil
	}
	return nil, &getoptError{fmt.Sprintf("option --%s not a unique prefix", clean(name))}
}

func doShorts(s string, rest []string) ([]argOpt, []string, error) {
	var out []argOpt
	for s != "" {
		c, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		o := matchShort(c)
		if o == nil {
			return nil, nil, &getoptError{fmt.Sprintf("option -%s not recognized", clean(string(c)))}
		}
		val := ""
		if o.HasArg {
			if s == "" {
				if len(rest) == 0 {
					return nil, nil, &getoptError{fmt.Sprintf("option -%s requires argument", clean(string(c)))}
				}
				s, rest = rest[0], rest[1:]
			}
			val, s = s, ""
		}
		out = append(out, argOpt{spelling: "-" + string(c), opt: o, value: val})
	}
	return out, rest, nil
}

func matchShort(c rune) *Option {
	for i := range Table {
		if Table[i].Short != 0 && rune(Table[i].Short) == c {
			return &Table[i]
		}
	}
	return nil
}

package metadata

import "strings"

// Wrap reflows text the way fence-agents' _join_wrap does with Python's
// textwrap.TextWrapper(width=85, subsequent_indent=40 spaces,
// break_on_hyphens=False, break_long_words=False): whitespace characters
// become spaces, runs of spaces inside a line are kept, a word longer than
// the width gets a line of its own. The result is left-trimmed and has no
// trailing newline, as _join_wrap returns it.
func Wrap(text string, firstIndent int) string {
	const width = 85
	chunks := wrapChunks(text)
	isSpace := func(s string) bool { return strings.TrimLeft(s, " ") == "" }

	var lines []string
	for len(chunks) > 0 {
		indent := strings.Repeat(" ", firstIndent)
		if len(lines) > 0 {
			indent = strings.Repeat(" ", 40)
			if isSpace(chunks[0]) {
				chunks = chunks[1:]
				if len(chunks) == 0 {
					break
				}
			}
		}
		avail := width - len(indent)
		var cur []string
		n := 0
		for len(chunks) > 0 && n+len(chunks[0]) <= avail {
			n += len(chunks[0])
			cur = append(cur, chunks[0])
			chunks = chunks[1:]
		}
		if len(chunks) > 0 && len(chunks[0]) > avail && len(cur) == 0 {
			cur = append(cur, chunks[0])
			chunks = chunks[1:]
		}
		if len(cur) > 0 && isSpace(cur[len(cur)-1]) {
			cur = cur[:len(cur)-1]
		}
		if len(cur) > 0 {
			lines = append(lines, indent+strings.Join(cur, ""))
		}
	}
	return strings.TrimLeft(strings.Join(lines, "\n"), " \t\n")
}

// wrapChunks is TextWrapper's split: tabs expanded to 8 spaces, the other
// whitespace characters made spaces, then chunks alternating between words
// and runs of spaces.
func wrapChunks(text string) []string {
	text = strings.NewReplacer("\t", "        ").Replace(text)
	text = strings.Map(func(r rune) rune {
		switch r {
		case '\n', '\v', '\f', '\r':
			return ' '
		}
		return r
	}, text)
	var chunks []string
	for i := 0; i < len(text); {
		j := i
		space := text[i] == ' '
		for j < len(text) && (text[j] == ' ') == space {
			j++
		}
		chunks = append(chunks, text[i:j])
		i = j
	}
	return chunks
}

// JoinWords joins words as "a, b and c" with the given last separator
// (fence-agents' _join2).
func JoinWords(words []string, last string) string {
	if len(words) <= 1 {
		return strings.Join(words, "")
	}
	return strings.Join(words[:len(words)-1], ", ") + last + words[len(words)-1]
}

// Usage renders the --help text: a header naming prog, then each non-empty
// help string wrapped as fence-agents' usage() does.
func Usage(prog string, helps []string) string {
	var b strings.Builder
	b.WriteString("Usage:\n\t" + prog + " [options]\nOptions:\n")
	for _, h := range helps {
		if h == "" {
			continue
		}
		b.WriteString("   " + Wrap(h, 3) + "\n")
	}
	return b.String()
}

package pipelines

import (
	"fmt"
	"unicode/utf8"
)

// maxCharacterProblems is how many unreadable characters of one file are reported one by one.
const maxCharacterProblems = 10

// scanCharacters reports, with its line and column, every character of a file that YAML
// parsers read differently or that hides what the file says: bytes that are not UTF-8, control
// characters other than tab and line breaks, DEL and the C1 controls (YAML 1.1 reads NEL as a
// line break, YAML 1.2 as text), the line and paragraph separators (the same), the
// bidirectional overrides and isolates (an editor shows other text than the file holds), and
// the noncharacters U+FFFE and U+FFFF. yaml.v3 refuses most of them without saying where, and
// reads the separators as line breaks; none of them belongs in a definition, comments included.
func scanCharacters(file string, data []byte) Problems {
	var out Problems
	line, col, extra := 1, 1, 0
	for i := 0; i < len(data); {
		if b := data[i]; b >= ' ' && b < 0x7f { // printable ASCII: most of any file
			i, col = i+1, col+1
			continue
		}
		r, size := utf8.DecodeRune(data[i:])
		if what := unreadable(r, size, i); what != "" {
			if len(out) < maxCharacterProblems {
				out = append(out, Problem{File: file, Line: line, Column: col, What: what, Fix: characterFix(r, size)})
			} else {
				extra++
			}
		}
		if r == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
		i += size
	}
	if extra > 0 {
		last := out[len(out)-1]
		last.What = fmt.Sprintf("holds %d more such characters after this one", extra)
		out = append(out, last)
	}
	return out
}

// unreadable names a character a definition may not hold, or returns "".
func unreadable(r rune, size, offset int) string {
	code := func() string { return fmt.Sprintf("U+%04X", r) }
	switch {
	case r == utf8.RuneError && size <= 1:
		return "is not UTF-8 text here"
	case r == '\t' || r == '\n' || r == '\r':
		return ""
	case r < 0x20 || (r >= 0x7f && r <= 0x9f):
		return "holds the control character " + code()
	case r == '\u2028' || r == '\u2029':
		return "holds the line or paragraph separator " + code() + ", which YAML 1.1 reads as a line break and YAML 1.2 as text"
	case (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069'):
		return "holds the bidirectional control " + code() + ", which makes editors show other text than the file holds"
	case r == '\uFFFE' || r == '\uFFFF':
		return "holds the noncharacter " + code()
	case r == '\uFEFF' && offset > 0:
		return "holds a byte order mark (" + code() + ") after the start of the file"
	}
	return ""
}

func characterFix(r rune, size int) string {
	if r == utf8.RuneError && size <= 1 {
		return "save the file as UTF-8"
	}
	return "remove the character (an editor that shows invisible characters finds it)"
}

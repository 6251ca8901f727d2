package main

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// termSafe returns s with everything that could act on a terminal escaped, for printing strings
// that come from run.json (ids, datasets, models, class names, errors) in tables and messages: C0
// and C1 control characters (ESC, CR, BEL, ...; also tab and newline), DEL, Unicode format
// characters such as the bidirectional overrides, and bytes that are not UTF-8 are written as Go
// escapes (\x1b, \n, \u202e, \xff). Anything else, including a backslash, is kept as is.
func termSafe(s string) string { return escapeControls(s, false) }

// termSafeText is termSafe for a whole message that may span lines: newlines and tabs are kept.
func termSafeText(s string) string { return escapeControls(s, true) }

func escapeControls(s string, keepLines bool) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || needsEscape(r, keepLines) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !needsEscape(r, keepLines):
			b.WriteString(s[i : i+size])
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

func needsEscape(r rune, keepLines bool) bool {
	if keepLines && (r == '\n' || r == '\t') {
		return false
	}
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029'
}

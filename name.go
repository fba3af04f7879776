package tack

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/secure/precis"
)

// MaxCombining is how many combining marks one character may carry in a
// name: enough for every script's stacked vowels and tones (Vietnamese,
// Thai, Devanagari, Tibetan), far too few for "Zalgo" text that spills over
// the lines around it.
const MaxCombining = 4

// CleanName checks and normalises text that people see as a name: a
// person's display name, a group title, a department's or an
// organisation's name. field names the input in errors.
//
// It applies the PRECIS Nickname profile (RFC 8266): full-width and other
// compatibility forms fold to their plain form (NFKC), runs of spaces
// become one space, leading and trailing spaces go. It refuses control
// characters and invisible ones: zero-width spaces and joiners outside the
// scripts that need them, bidirectional overrides and isolates (which make
// a name read backwards), soft hyphens and other default-ignorable code
// points. No character may carry more than MaxCombining combining marks.
// The result has 1 to maxRunes characters.
func CleanName(field, s string, maxRunes int) (string, error) {
	if !utf8.ValidString(s) {
		return "", Invalid(field, "%s is not valid UTF-8", field)
	}
	if len(s) > 16*maxRunes+64 {
		return "", Invalid(field, "%s is longer than %d characters", field, maxRunes)
	}
	marks := 0
	for _, r := range s {
		switch {
		case unicode.IsControl(r):
			return "", Invalid(field, "%s contains a control character", field)
		case Invisible(r):
			return "", Invalid(field, "%s contains an invisible or direction-changing character", field)
		case unicode.In(r, unicode.Mn, unicode.Me):
			if marks++; marks > MaxCombining {
				return "", Invalid(field, "%s stacks more than %d marks on one character", field, MaxCombining)
			}
		default:
			marks = 0
		}
	}
	out, err := precis.Nickname.String(s)
	if err != nil || strings.TrimSpace(out) == "" {
		if strings.TrimSpace(s) == "" {
			return "", Invalid(field, "%s is required", field)
		}
		return "", Invalid(field, "%s contains a character that is not allowed in names", field)
	}
	if n := utf8.RuneCountInString(out); n > maxRunes {
		return "", Invalid(field, "%s is longer than %d characters", field, maxRunes)
	}
	return out, nil
}

// Invisible reports whether r is a character that shows nothing (or
// changes how its neighbours show) and so lets two different strings look
// the same: format characters (zero-width spaces and joiners, bidi
// embeddings, overrides, isolates and marks, the soft hyphen, word
// joiners, the byte-order mark), other default-ignorable code points
// (variation selectors excepted: emoji need them), and the blank "filler"
// letters of Hangul and Braille.
func Invisible(r rune) bool {
	switch {
	case r >= 0xFE00 && r <= 0xFE0F, r >= 0xE0100 && r <= 0xE01EF: // variation selectors
		return false
	case unicode.Is(unicode.Cf, r):
		return true
	case r == 0x034F, // combining grapheme joiner
		r == 0x115F, r == 0x1160, r == 0x3164, r == 0xFFA0, // Hangul fillers
		r == 0x2800,                  // Braille blank
		r >= 0x17B4 && r <= 0x17B5,   // Khmer inherent vowels
		r >= 0x180B && r <= 0x180F,   // Mongolian free variation selectors and vowel separator
		r >= 0xE0000 && r <= 0xE0FFF: // tags
		return true
	}
	return false
}

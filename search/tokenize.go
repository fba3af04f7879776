// Package search finds messages (and, through the same tokens, people and
// file names) in Chinese, Japanese, Korean and space-separated languages.
//
// Tokens: text is normalised rune by rune (NFKC, then lower case); runs of
// CJK characters (Han, Hiragana, Katakana, Hangul) give every single
// character and every pair of neighbours (1- and 2-grams), so that a
// two-character word such as 会议 is one exact token; everything else gives
// words of letters, marks and numbers. Stores index the tokens exactly
// (DESIGN.md §7: trigram indexes find nothing for 会议).
//
// A query is tokenised the same way and its terms are joined with AND; the
// last Latin word of a query also matches as a prefix (search as you type).
// Candidates a store returns are checked against the query (Query.Match),
// so a CJK run must appear as written, not merely as scattered pairs.
package search

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/tackhq/tack"
	"golang.org/x/text/unicode/norm"
)

// MaxWordRunes bounds one indexed word; longer words are cut (the same way
// in the index and in queries).
const MaxWordRunes = 40

// Token is one index term with where it came from in the original text, in
// code points (Start inclusive, End exclusive).
type Token struct {
	Text       string
	Start, End int
	// CJK is true for the 1- and 2-grams of a CJK run.
	CJK bool
}

// IsCJK reports whether r is written without spaces between words and so is
// indexed as 1- and 2-grams.
func IsCJK(r rune) bool {
	if r < 0x1100 {
		return false
	}
	if 0x4E00 <= r && r <= 0x9FFF { // CJK Unified Ideographs: most of any Chinese text
		return true
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) ||
		unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Hangul, r) ||
		r == 'ー' // the katakana length mark is Common, but part of words
}

func isWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsNumber(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r)
}

// normRune is one rune of the normalised text and the code point of the
// original text it came from.
type normRune struct {
	r    rune
	orig int
}

// normalize returns the normalised runes of s, each with the index (in code
// points) of the original rune it came from.
func normalize(s string) []normRune {
	out := make([]normRune, 0, len(s))
	var buf [utf8.UTFMax]byte
	i := 0
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			if 'A' <= r && r <= 'Z' {
				r += 'a' - 'A'
			}
			out = append(out, normRune{r, i})
		case 0x4E00 <= r && r <= 0x9FFF:
			// CJK Unified Ideographs are their own NFKC and have no case.
			out = append(out, normRune{r, i})
		default:
			n := utf8.EncodeRune(buf[:], r)
			for _, nr := range strings.ToLower(norm.NFKC.String(string(buf[:n]))) {
				out = append(out, normRune{nr, i})
			}
		}
		i++
	}
	return out
}

// Tokens returns the tokens of s in order of appearance. A CJK run gives
// each character, then each pair starting there; a word is given once.
func Tokens(s string) []Token {
	ns := normalize(s)
	var out []Token
	for i := 0; i < len(ns); {
		r := ns[i].r
		switch {
		case IsCJK(r):
			j := i
			for j < len(ns) && IsCJK(ns[j].r) {
				j++
			}
			for k := i; k < j; k++ {
				out = append(out, Token{Text: string(ns[k].r), Start: ns[k].orig, End: ns[k].orig + 1, CJK: true})
				if k+1 < j {
					out = append(out, Token{Text: string([]rune{ns[k].r, ns[k+1].r}), Start: ns[k].orig, End: ns[k+1].orig + 1, CJK: true})
				}
			}
			i = j
		case isWord(r):
			j := i
			var w []rune
			for j < len(ns) && isWord(ns[j].r) && !IsCJK(ns[j].r) {
				if len(w) < MaxWordRunes {
					w = append(w, ns[j].r)
				}
				j++
			}
			out = append(out, Token{Text: string(w), Start: ns[i].orig, End: ns[j-1].orig + 1})
			i = j
		default:
			i++
		}
	}
	return out
}

// Grams returns what a store indexes for s: its distinct tokens, each once,
// in order of first appearance.
func Grams(s string) []string {
	toks := Tokens(s)
	seen := make(map[string]struct{}, len(toks))
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		if _, ok := seen[t.Text]; ok {
			continue
		}
		seen[t.Text] = struct{}{}
		out = append(out, t.Text)
	}
	return out
}

// GramText returns Grams(s) joined by spaces: a document for an index whose
// tokenizer splits on ASCII spaces and punctuation only (SQLite FTS5's
// "ascii"). Tokens never contain ASCII punctuation or spaces. It makes what
// Grams makes, without a string per token (it runs for every message sent).
func GramText(s string) string {
	ns := normalize(s)
	var b strings.Builder
	b.Grow(len(s) * 3)
	seenCJK := make(map[uint64]struct{}, len(ns))
	var seenWord map[string]struct{}
	put := func(r rune) {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	for i := 0; i < len(ns); {
		r := ns[i].r
		switch {
		case IsCJK(r):
			j := i
			for j < len(ns) && IsCJK(ns[j].r) {
				j++
			}
			for k := i; k < j; k++ {
				a := ns[k].r
				if _, ok := seenCJK[uint64(a)]; !ok {
					seenCJK[uint64(a)] = struct{}{}
					put(a)
				}
				if k+1 < j {
					c := ns[k+1].r
					key := uint64(a)<<21 | uint64(c) | 1<<63
					if _, ok := seenCJK[key]; !ok {
						seenCJK[key] = struct{}{}
						put(a)
						b.WriteRune(c)
					}
				}
			}
			i = j
		case isWord(r):
			j := i
			var w []rune
			for j < len(ns) && isWord(ns[j].r) && !IsCJK(ns[j].r) {
				if len(w) < MaxWordRunes {
					w = append(w, ns[j].r)
				}
				j++
			}
			word := string(w)
			if seenWord == nil {
				seenWord = map[string]struct{}{}
			}
			if _, ok := seenWord[word]; !ok {
				seenWord[word] = struct{}{}
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(word)
			}
			i = j
		default:
			i++
		}
	}
	return b.String()
}

// ConvToken is the token that stands for a conversation in an indexed
// document. Stores add it to each message's document (Document) so that a
// search within one conversation is narrowed inside the index (term AND
// conv) instead of reading every match. (Narrowing to all of a member's
// conversations, term AND (conv1 OR conv2 ...), was measured slower on both
// stores for 50 conversations: see docs/search.md.) The membership check
// stays in SQL, so a word that happens to look like one changes nothing.
func ConvToken(convID tack.ID) string { return "c" + string(convID) }

// Document is what a store indexes for a message: GramText of its text and
// the ConvToken of its conversation. For a message with files, text is
// FileText: files are found by name.
func Document(convID tack.ID, text string) string {
	g := GramText(text)
	if g == "" {
		return ConvToken(convID)
	}
	return g + " " + ConvToken(convID)
}

// FileText is what is indexed (and matched) of a message with files: its
// text and the files' names, a line each. SQLite's triggers build the same
// text (migration 00021); keep them in step.
func FileText(text string, names []string) string {
	if len(names) == 0 {
		return text
	}
	return text + "\n" + strings.Join(names, "\n")
}

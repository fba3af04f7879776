package search

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/tackhq/tack"
)

// Query limits.
const (
	MaxQueryRunes = 100
	MaxTerms      = 32
	// MinPrefixRunes is the shortest last word that matches as a prefix.
	MinPrefixRunes = 2
)

// Term is one token a match must contain.
type Term struct {
	Text string
	// Prefix: any indexed word starting with Text matches.
	Prefix bool
}

// Query is a parsed search query.
type Query struct {
	// Terms are joined with AND.
	Terms []Term
	// runs are the normalised CJK runs of the query, each of which a match
	// must contain as written; words are its Latin words.
	runs  [][]rune
	words []Term
}

// Parse parses a query typed by a person. Errors: EInvalid (field "q") for
// an empty query, one with nothing to search for (only punctuation), one
// longer than MaxQueryRunes or with more than MaxTerms terms.
func Parse(q string) (Query, error) {
	q = strings.TrimSpace(q)
	if q == "" {
		return Query{}, tack.Invalid("q", "type something to search for")
	}
	if !utf8.ValidString(q) {
		return Query{}, tack.Invalid("q", "the query is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(q); n > MaxQueryRunes {
		return Query{}, tack.Invalid("q", "a query is at most %d characters", MaxQueryRunes)
	}
	var out Query
	seen := map[string]bool{}
	add := func(t Term) {
		k := t.Text
		if t.Prefix {
			k += "*"
		}
		if !seen[k] {
			seen[k] = true
			out.Terms = append(out.Terms, t)
		}
	}
	ns := normalize(q)
	lastWord := -1
	for i := 0; i < len(ns); {
		r := ns[i].r
		switch {
		case IsCJK(r):
			j := i
			for j < len(ns) && IsCJK(ns[j].r) {
				j++
			}
			run := make([]rune, 0, j-i)
			for k := i; k < j; k++ {
				run = append(run, ns[k].r)
			}
			out.runs = append(out.runs, run)
			if len(run) == 1 {
				add(Term{Text: string(run)})
			}
			for k := 0; k+1 < len(run); k++ {
				add(Term{Text: string(run[k : k+2])})
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
			out.words = append(out.words, Term{Text: string(w)})
			lastWord = len(out.words) - 1
			if j < len(ns) {
				lastWord = -1 // something follows: the word is complete
			}
			i = j
		default:
			i++
		}
	}
	if lastWord >= 0 && utf8.RuneCountInString(out.words[lastWord].Text) >= MinPrefixRunes {
		out.words[lastWord].Prefix = true
	}
	for _, w := range out.words {
		add(w)
	}
	if len(out.Terms) == 0 {
		return Query{}, tack.Invalid("q", "the query has no letters or numbers to search for")
	}
	if len(out.Terms) > MaxTerms {
		return Query{}, tack.Invalid("q", "a query has at most %d terms", MaxTerms)
	}
	return out, nil
}

// Match reports whether text matches q exactly: every CJK run of the query
// appears in it as written, and every word is one of its words (or, for a
// prefix term, the start of one). Stores return candidates by their terms;
// Match removes those whose grams are all there but not in order.
func (q Query) Match(text string) bool {
	if len(q.runs) > 0 {
		ns := normalize(text)
		rs := make([]rune, len(ns))
		for i, n := range ns {
			rs[i] = n.r
		}
		for _, run := range q.runs {
			if index(rs, run, 0) < 0 {
				return false
			}
		}
	}
	if len(q.words) > 0 {
		var words []string
		for _, t := range Tokens(text) {
			if !t.CJK {
				words = append(words, t.Text)
			}
		}
		for _, w := range q.words {
			if !slices.ContainsFunc(words, w.matches) {
				return false
			}
		}
	}
	return true
}

func (t Term) matches(word string) bool {
	if t.Prefix {
		return strings.HasPrefix(word, t.Text)
	}
	return word == t.Text
}

// index returns the first index >= from of needle in hay, or -1.
func index(hay, needle []rune, from int) int {
	for i := from; i+len(needle) <= len(hay); i++ {
		if slices.Equal(hay[i:i+len(needle)], needle) {
			return i
		}
	}
	return -1
}

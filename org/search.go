package org

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mozillazg/go-pinyin"
)

// Directory search works on keys: every member has a handful of lower-case
// strings (name, its suffixes, full pinyin and initials, email, phone digits,
// employee number), stored in an indexed table and matched by prefix. A
// query term matches a member if it is a prefix of one of its keys. Prefix
// lookups in a B-tree are cheap whatever the term's length, which is why
// this beats trigram indexes for two-character Chinese names (see
// DESIGN.md §7).
//
// Pinyin: go-pinyin gives each Han character's readings. A name's first
// character (the surname) is indexed under every reading, since surnames
// such as 曾 (zeng/ceng), 單 (shan/dan) and 解 (xie/jie) are often read
// other than their commonest reading; the other characters use their
// commonest reading, so that the number of keys stays small.

var pyArgs = func() pinyin.Args {
	a := pinyin.NewArgs()
	a.Heteronym = true
	a.Fallback = func(r rune, a pinyin.Args) []string { return nil }
	return a
}()

// maxKeyRunes bounds how much of a long name is turned into keys.
const maxKeyRunes = 24

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

// normalize lower-cases s, trims it and folds runs of spaces into one.
func normalize(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	return strings.Join(strings.Fields(s), " ")
}

// syllable is one unit of a name for pinyin: a Han character's readings, or
// a run of other letters and digits as it is.
type syllable struct {
	readings []string // readings[0] is the commonest
	han      bool
}

func syllables(name string) []syllable {
	var out []syllable
	var run strings.Builder
	flush := func() {
		if run.Len() > 0 {
			out = append(out, syllable{readings: []string{run.String()}})
			run.Reset()
		}
	}
	n := 0
	for _, r := range name {
		if n++; n > maxKeyRunes {
			break
		}
		switch {
		case isHan(r):
			flush()
			rs := pinyin.SinglePinyin(r, pyArgs)
			if len(rs) == 0 {
				continue
			}
			out = append(out, syllable{readings: dedupe(rs), han: true})
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			run.WriteRune(unicode.ToLower(r))
		default:
			flush()
		}
	}
	flush()
	return out
}

func dedupe(ss []string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		dup := false
		for _, o := range out {
			if o == s {
				dup = true
				break
			}
		}
		if !dup && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// nameKeys returns the keys of a person's or department's name: the whole
// name, its suffixes (so that a given name finds its owner), each word, and
// for names with Han characters the full pinyin and the initials under
// every reading of the first character, and the full pinyin of each suffix.
func nameKeys(name string) []Key {
	n := normalize(name)
	if n == "" {
		return nil
	}
	seen := map[Key]bool{}
	var keys []Key
	add := func(text string, field int) {
		text = strings.TrimSpace(text)
		if text == "" {
			return
		}
		if len(text) > 200 {
			text = truncate(text, 200)
		}
		k := Key{Text: text, Field: field}
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	add(n, FieldName)
	for _, w := range strings.FieldsFunc(n, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		add(w, FieldName)
	}
	hasHan := false
	for _, r := range n {
		if isHan(r) {
			hasHan = true
			break
		}
	}
	if !hasHan {
		// Latin names: initials of the words ("alice smith" → "as").
		words := strings.Fields(n)
		if len(words) > 1 {
			var b strings.Builder
			for _, w := range words {
				r, _ := utf8.DecodeRuneInString(w)
				b.WriteRune(r)
			}
			add(b.String(), FieldPinyin)
		}
		return keys
	}
	// Han names: suffixes of the characters (spaces dropped).
	compact := []rune(strings.ReplaceAll(n, " ", ""))
	if len(compact) > maxKeyRunes {
		compact = compact[:maxKeyRunes]
	}
	for i := 1; i < len(compact); i++ {
		add(string(compact[i:]), FieldName)
	}
	syl := syllables(n)
	if len(syl) == 0 {
		return keys
	}
	var restFull, restInit strings.Builder
	for _, s := range syl[1:] {
		restFull.WriteString(s.readings[0])
		restInit.WriteString(s.readings[0][:1])
	}
	for _, r := range syl[0].readings {
		add(r+restFull.String(), FieldPinyin)
		add(r[:1]+restInit.String(), FieldPinyin)
	}
	for i := 1; i < len(syl); i++ {
		var b strings.Builder
		for _, s := range syl[i:] {
			b.WriteString(s.readings[0])
		}
		add(b.String(), FieldPinyin)
	}
	return keys
}

// surnameReadings are readings of characters as surnames that differ
// from their commonest reading, for directory order.
var surnameReadings = map[rune]string{'曾': "zeng", '單': "shan", '单': "shan", '解': "xie", '仇': "qiu", '朴': "piao", '区': "ou",
	'區': "ou", '查': "zha", '盖': "ge", '蓋': "ge", '乐': "yue", '樂': "yue", '召': "shao", '尉': "yu", '繁': "po", '员': "yun", '員': "yun",
	'覃': "qin", '冼': "xian", '褚': "chu", '缪': "miao", '繆': "miao", '种': "chong", '種': "chong", '纪': "ji", '紀': "ji", '葛': "ge"}

// sortKey orders the directory: the full pinyin (surnames as surnames are
// read), syllables separated by spaces, then the name.
func sortKey(name string) string {
	var parts []string
	for i, s := range syllables(normalize(name)) {
		r := s.readings[0]
		if first, _ := utf8.DecodeRuneInString(normalize(name)); i == 0 && s.han {
			if sr, ok := surnameReadings[first]; ok {
				r = sr
			}
		}
		parts = append(parts, r)
	}
	// \x01 sorts before every printable character (and PostgreSQL text
	// cannot hold \x00).
	k := strings.Join(parts, " ") + "\x01" + normalize(name)
	return truncate(k, 200)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// phoneDigits returns the digits of a phone number.
func phoneDigits(p string) string {
	var b strings.Builder
	for _, r := range p {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// memberKeys returns every search key of m.
func memberKeys(m *Member) []Key {
	keys := nameKeys(m.Name)
	if m.WorkEmail != "" {
		keys = append(keys, Key{Text: strings.ToLower(m.WorkEmail), Field: FieldEmail})
	}
	if d := phoneDigits(m.Phone); d != "" {
		keys = append(keys, Key{Text: d, Field: FieldPhone})
		// Chinese mobile numbers with the country code are also found by
		// their 11 national digits.
		if strings.HasPrefix(d, "86") && len(d) == 13 {
			keys = append(keys, Key{Text: d[2:], Field: FieldPhone})
		}
	}
	if m.EmployeeNo != "" {
		keys = append(keys, Key{Text: strings.ToLower(m.EmployeeNo), Field: FieldEmployeeNo})
	}
	return keys
}

// queryTerms splits a directory query into at most 4 terms. Apostrophes
// (zhang'san) are dropped; a term that looks like a phone number is
// reduced to its digits.
func queryTerms(q string) []string {
	q = strings.ReplaceAll(normalize(q), "'", "")
	if whole := strings.ReplaceAll(q, " ", ""); looksLikePhone(whole) {
		// "+86 138 0013" is one phone number, not three words.
		return []string{phoneDigits(whole)}
	}
	var out []string
	for _, t := range strings.Fields(q) {
		if looksLikePhone(t) {
			if d := phoneDigits(t); d != "" {
				t = d
			}
		}
		out = append(out, truncate(t, 100))
		if len(out) == 4 {
			break
		}
	}
	return out
}

func looksLikePhone(t string) bool {
	digits := 0
	for _, r := range t {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' || r == '-' || r == '(' || r == ')':
		default:
			return false
		}
	}
	return digits >= 3
}

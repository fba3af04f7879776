package search

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tackhq/tack"
)

func texts(ts []Token) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Text)
	}
	return out
}

func TestTokens(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"会议", []string{"会", "会议", "议"}},
		{"明天开会", []string{"明", "明天", "天", "天开", "开", "开会", "会"}},
		{"Hello, World 2024!", []string{"hello", "world", "2024"}},
		{"ＡＢＣ１２３", []string{"abc123"}}, // full width: NFKC
		{"Q3会议室review", []string{"q3", "会", "会议", "议", "议室", "室", "review"}},
		{"ｶﾀｶﾅ", []string{"カ", "カタ", "タ", "タカ", "カ", "カナ", "ナ"}}, // half-width katakana
		{"Ünïcode café", []string{"ünïcode", "café"}},
		{"", nil},
		{"...!!!", nil},
		{"한국어", []string{"한", "한국", "국", "국어", "어"}},
	} {
		if got := texts(Tokens(tc.in)); !slices.Equal(got, tc.want) {
			t.Errorf("Tokens(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestTokenSpans(t *testing.T) {
	s := "ok 开会了 ＡＢ"
	for _, tok := range Tokens(s) {
		rs := []rune(s)
		if tok.Start < 0 || tok.End > len(rs) || tok.Start >= tok.End {
			t.Fatalf("%+v out of %q", tok, s)
		}
	}
	toks := Tokens(s)
	last := toks[len(toks)-1]
	if last.Text != "ab" || last.Start != 7 || last.End != 9 {
		t.Errorf("full-width word = %+v, want ab at 7..9", last)
	}
}

func TestGrams(t *testing.T) {
	for _, in := range []string{"会议 会议 Meeting meeting", "明天开会 Q3会议室review", "ＡＢＣ１２３ ｶﾀｶﾅ 한국어 ünï café", "", "!!", "会"} {
		if got, want := GramText(in), strings.Join(Grams(in), " "); got != want {
			t.Errorf("GramText(%q) = %q, want %q", in, got, want)
		}
	}
	long := strings.Repeat("a", 100)
	if g := Grams(long); len(g) != 1 || utf8.RuneCountInString(g[0]) != MaxWordRunes {
		t.Errorf("a long word: %q", g)
	}
	// Both cut a long word at MaxWordRunes, to the same term.
	if got, want := GramText(long+" b"), strings.Repeat("a", MaxWordRunes)+" b"; got != want {
		t.Errorf("GramText(a long word) = %q, want %q", got, want)
	}
}

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"会议", []string{"会议"}},
		{"会", []string{"会"}},
		{"开会议", []string{"开会", "会议"}},
		{"Meet", []string{"meet*"}},
		{"meet notes", []string{"meet", "notes*"}},
		{"meet ", []string{"meet"}}, // trimmed: still the last word
		{"q3 会议", []string{"会议", "q3"}},
		{"a", []string{"a"}}, // too short for a prefix
		{"会议 会议", []string{"会议"}},
		{"go", []string{"go*"}},                // two letters: long enough for a prefix
		{"AZ Zebra", []string{"az", "zebra*"}}, // A and Z fold too
		// A long word is cut to MaxWordRunes, as the index cuts it.
		{strings.Repeat("w", MaxWordRunes+10) + " x", []string{strings.Repeat("w", MaxWordRunes), "x"}},
	} {
		q, err := Parse(tc.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		var got []string
		for _, term := range q.Terms {
			s := term.Text
			if term.Prefix {
				s += "*"
			}
			got = append(got, s)
		}
		if tc.in == "meet " {
			tc.want = []string{"meet*"}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("Parse(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{"", "   ", "?!.", strings.Repeat("会", MaxQueryRunes+1), manyWords(MaxTerms + 1), "\xff\xfe"} {
		_, err := Parse(in)
		if tack.ErrorCode(err) != tack.EInvalid {
			t.Errorf("Parse(%q) = %v, want invalid", in, err)
		}
	}
}

// The limits are inclusive: a query of MaxQueryRunes characters, or of
// MaxTerms terms, is a query.
func TestParseAtLimits(t *testing.T) {
	for _, in := range []string{strings.Repeat("x", MaxQueryRunes), strings.Repeat("会", MaxQueryRunes/4), manyWords(MaxTerms)} {
		if _, err := Parse(in); err != nil {
			t.Errorf("Parse(%d characters) = %v, want a query", len([]rune(in)), err)
		}
	}
}

// manyWords is n different short words (a b ... z ba bb ...): a query of
// n terms that is well under MaxQueryRunes.
// IsCJK at the edges of what it checks first: Hangul starts at U+1100;
// symbols between that and the CJK block are not CJK.
func TestIsCJK(t *testing.T) {
	for r, want := range map[rune]bool{
		'\u10ff': false, 'ᄀ': true, '€': false, '—': false, '、': false,
		'一': true, '鿿': true, 'ー': true, 'か': true, 'カ': true, '한': true, 'a': false,
	} {
		if got := IsCJK(r); got != want {
			t.Errorf("IsCJK(%U) = %v, want %v", r, got, want)
		}
	}
	if q, err := Parse("20€ 会议"); err != nil || len(q.words) != 1 || q.words[0].Text != "20" {
		t.Errorf("Parse(20€ 会议) = %+v, %v", q, err)
	}
}

func manyWords(n int) string {
	var b strings.Builder
	for i := range n {
		if i >= 26 {
			b.WriteByte(byte('a' + i/26))
		}
		b.WriteByte(byte('a' + i%26))
		b.WriteString(" ")
	}
	return b.String()
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct {
		q, text string
		want    bool
	}{
		{"会议", "明天下午三点开会议", true},
		{"会议", "议会", false}, // grams there, not in order
		{"会议室", "会议 议室", false},
		{"会议室", "去3号会议室", true},
		{"meeting", "Meeting at 3", true},
		{"meet", "Meeting at 3", true}, // prefix: last word
		{"meet at", "Meeting at 3", false},
		{"ＭＥＥＴ", "meet", true},
		{"review 会议", "会议 Review", true},
		{"review 会议", "会议", false},
	} {
		q, err := Parse(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Match(tc.text); got != tc.want {
			t.Errorf("Parse(%q).Match(%q) = %v, want %v", tc.q, tc.text, got, tc.want)
		}
	}
}

func TestHighlight(t *testing.T) {
	for _, tc := range []struct {
		q, text string
		want    []Range
	}{
		{"会议", "会议，会议室", []Range{{0, 2}, {3, 5}}},
		{"meet", "We MEET at the meeting", []Range{{3, 7}, {15, 22}}},
		{"ab", "ＡＢ会议", []Range{{0, 2}}},
		{"会议 室", "会议室", []Range{{0, 3}}}, // touching ranges join
		{"x", "nothing", []Range{}},
		{"😀会议", "😀会议", []Range{{1, 3}}},
		// Ranges come in text order whatever order the query names them.
		{"会议 review", "Review the 会议 notes", []Range{{0, 6}, {11, 13}}},
		{"notes 会议 review", "Review the 会议 notes", []Range{{0, 6}, {11, 13}, {14, 19}}},
	} {
		q, err := Parse(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if got := q.Highlight(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("Highlight(%q, %q) = %v, want %v", tc.q, tc.text, got, tc.want)
		}
	}
}

func TestCursor(t *testing.T) {
	for _, k := range []int64{1, 42, 1 << 60} {
		got, err := decodeCursor(encodeCursor(k))
		if err != nil || got != k {
			t.Errorf("cursor %d: %d, %v", k, got, err)
		}
	}
	for _, bad := range []string{"x", "!!", encodeCursor(0), "AAAA"} {
		if _, err := decodeCursor(bad); tack.ErrorCode(err) != tack.EInvalid {
			t.Errorf("decodeCursor(%q) = %v", bad, err)
		}
	}
}

// FuzzQuery checks that parsing, matching and highlighting never panic, that
// highlights lie inside the text in order, and that a text always matches a
// query made of itself.
func FuzzQuery(f *testing.F) {
	for _, s := range []string{"会议", "明天开会 review Q3", "ＡＢＣ", "ﬁle", "😀x", "a\u0301b", "İstanbul", "ß"} {
		f.Add(s, s+" extra")
	}
	f.Fuzz(func(t *testing.T, q, text string) {
		if g, w := GramText(text), strings.Join(Grams(text), " "); g != w {
			t.Fatalf("GramText(%q) = %q, Grams gives %q", text, g, w)
		}
		pq, err := Parse(q)
		if err != nil {
			return
		}
		n := utf8.RuneCountInString(text)
		end := 0
		for _, r := range pq.Highlight(text) {
			if r.Start < end || r.End <= r.Start || r.End > n {
				t.Fatalf("Highlight(%q, %q): bad range %v", q, text, r)
			}
			end = r.End
		}
		pq.Match(text)
		if !pq.Match(q) && utf8.ValidString(q) {
			t.Fatalf("%q does not match itself", q)
		}
	})
}

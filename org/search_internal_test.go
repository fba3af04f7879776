package org

import (
	"slices"
	"strings"
	"testing"
)

// TestTruncateKeepsWholeRunes: truncate cuts a string to at most n bytes
// without splitting a character, and leaves a string of n bytes or fewer
// alone (invalid UTF-8 included).
func TestTruncateKeepsWholeRunes(t *testing.T) {
	for _, c := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 3, "abc"},
		{"abc", 4, "abc"},
		{"abcd", 3, "abc"},
		{"中文字", 9, "中文字"},
		{"中文字", 6, "中文"},
		{"中文字", 4, "中"},
		{"中文字", 5, "中"},
		{"a中", 2, "a"},
		{"\x80\x80\x80", 2, ""},
	} {
		if got := truncate(c.s, c.n); got != c.want {
			t.Errorf("truncate(%q, %d) = %q, want %q", c.s, c.n, got, c.want)
		}
	}
}

// TestLooksLikePhone: three digits or more, with only + - ( ) besides.
func TestLooksLikePhone(t *testing.T) {
	for s, want := range map[string]bool{"12": false, "123": true, "+86-10": true, "(01)2": true, "1a3": false, "--": false, "": false} {
		if got := looksLikePhone(s); got != want {
			t.Errorf("looksLikePhone(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestQueryTermsAtMostFour: a query is at most its first four terms.
func TestQueryTermsAtMostFour(t *testing.T) {
	if got := queryTerms("ann bob cat dan eve"); !slices.Equal(got, []string{"ann", "bob", "cat", "dan"}) {
		t.Errorf("five words: %q, want the first four", got)
	}
	if got := queryTerms("ann bob"); !slices.Equal(got, []string{"ann", "bob"}) {
		t.Errorf("two words: %q", got)
	}
}

// TestNameKeysBounds: a Latin name of one word has no initials key, of two
// words its initials; a long Han name gives, besides the whole name, keys
// for its first maxKeyRunes characters only; no key is longer than 200 bytes.
func TestNameKeysBounds(t *testing.T) {
	has := func(keys []Key, text string, field int) bool {
		return slices.Contains(keys, Key{Text: text, Field: field})
	}
	if k := nameKeys("alice"); has(k, "a", FieldPinyin) {
		t.Errorf("a one-word name has an initials key: %+v", k)
	}
	if k := nameKeys("alice smith"); !has(k, "as", FieldPinyin) {
		t.Errorf("a two-word name has no initials key: %+v", k)
	}
	long := strings.Repeat("王", 30)
	if n := len(syllables(long)); n != maxKeyRunes {
		t.Errorf("a name of 30 Han characters has %d syllables, want the first %d", n, maxKeyRunes)
	}
	if n := len(syllables(strings.Repeat("王", maxKeyRunes))); n != maxKeyRunes {
		t.Errorf("a name of %d Han characters has %d syllables", maxKeyRunes, n)
	}
	for _, k := range nameKeys(long) {
		if k.Field == FieldName && k.Text != long && len([]rune(k.Text)) >= maxKeyRunes {
			t.Errorf("a suffix key of %d characters from a name of 30: %q", len([]rune(k.Text)), k.Text)
		}
	}
	for _, k := range nameKeys(strings.Repeat("abcdefghij", 30)) {
		if len(k.Text) > 200 {
			t.Errorf("a key of %d bytes", len(k.Text))
		}
	}
}

// TestSortKeyReadsSurnamesAsSurnames: the directory orders 曾小明 under
// "zeng", as the surname is read, and 小曾 under "xiao ceng".
func TestSortKeyReadsSurnamesAsSurnames(t *testing.T) {
	if k := sortKey("曾小明"); !strings.HasPrefix(k, "zeng xiao ming\x01") {
		t.Errorf("sortKey(曾小明) = %q, want it to start zeng xiao ming", k)
	}
	if k := sortKey("小曾"); !strings.HasPrefix(k, "xiao ceng\x01") {
		t.Errorf("sortKey(小曾) = %q, want it to start xiao ceng", k)
	}
}

package search

import "slices"

// Range is a highlighted part of a text, in code points (Unicode scalar
// values, as JavaScript's Array.from counts them): Start inclusive, End
// exclusive.
type Range struct {
	Start int `json:"start"`
	End   int `json:"end"`
}

// Highlight returns the parts of text that q matched, in order, without
// overlaps: each occurrence of a CJK run and each matching word.
func (q Query) Highlight(text string) []Range {
	var rs []Range
	if len(q.runs) > 0 {
		ns := normalize(text)
		hay := make([]rune, len(ns))
		for i, n := range ns {
			hay[i] = n.r
		}
		for _, run := range q.runs {
			for i := index(hay, run, 0); i >= 0; i = index(hay, run, i+len(run)) {
				rs = append(rs, Range{ns[i].orig, ns[i+len(run)-1].orig + 1})
			}
		}
	}
	if len(q.words) > 0 {
		for _, t := range Tokens(text) {
			if t.CJK {
				continue
			}
			for _, w := range q.words {
				if w.matches(t.Text) {
					rs = append(rs, Range{t.Start, t.End})
					break
				}
			}
		}
	}
	return merge(rs)
}

// merge sorts rs and joins overlapping or touching ranges.
func merge(rs []Range) []Range {
	if len(rs) == 0 {
		return []Range{}
	}
	slices.SortFunc(rs, func(a, b Range) int { return a.Start - b.Start })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r.Start <= last.End {
			last.End = max(last.End, r.End)
			continue
		}
		out = append(out, r)
	}
	return out
}

package postgres_test

import (
	"context"
	"os"
	"regexp"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/tackhq/tack/search"
	"github.com/tackhq/tack/storetest"
)

// BenchmarkSearchPlans loads BenchmarkSearch's history once and asks the
// same two-character words with the plan before migration 23 (whole index;
// its index dropped in a transaction rolled back) and the per-conversation
// plan, alternating, in rounds: the server's
// execution time (EXPLAIN ANALYZE) of each word with each plan, that both
// give the same pages, and the wall time per query. TACK_TEST_POSTGRES=... go test -run X
// -bench SearchPlans -benchtime 1x ./postgres/ (TACK_SEARCH_BENCH_MESSAGES
// sets the size; TACK_SEARCH_BENCH_EXPLAIN=1 logs the plans).
func BenchmarkSearchPlans(b *testing.B) {
	baseDSN(b)
	db := open(b)
	ctx := context.Background()
	n := 100_000
	if v := os.Getenv("TACK_SEARCH_BENCH_MESSAGES"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	searcher, words, _, load := storetest.LoadSearchBench(b, db, db, n)
	b.Logf("%d messages loaded in %v", n, load.Round(time.Second))
	if err := db.Analyze(ctx); err != nil {
		b.Fatal(err)
	}
	sizes, err := db.IndexSizes(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("indexes: %s", sizes)
	find := func(w string) search.Find {
		q, err := search.Parse(w)
		if err != nil {
			b.Fatal(err)
		}
		return search.Find{Terms: q.Terms, MemberID: searcher, Limit: 21}
	}
	name := map[bool]string{false: "whole index", true: "per conversation"}
	exec := regexp.MustCompile(`Execution Time: ([0-9.]+) ms`)
	for _, per := range []bool{false, true} {
		var ts []float64
		for _, w := range words {
			out, err := db.ExplainSearch(ctx, find(w), per)
			if err != nil {
				b.Fatal(err)
			}
			if os.Getenv("TACK_SEARCH_BENCH_EXPLAIN") != "" && (w == words[0] || w == words[len(words)-1]) {
				b.Logf("%s, %s:\n%s", name[per], w, out)
			}
			m := exec.FindStringSubmatch(out)
			t, _ := strconv.ParseFloat(m[1], 64)
			ts = append(ts, t)
		}
		b.Logf("%s: server execution per word (ms) %v", name[per], ts)
	}
	// Same results both ways, page by page.
	for _, w := range words {
		f := find(w)
		for page := 0; page < 3; page++ {
			x, _, err1 := db.SearchKeysWith(ctx, f, false)
			y, _, err2 := db.SearchKeysWith(ctx, f, true)
			if err1 != nil || err2 != nil {
				b.Fatal(err1, err2)
			}
			if !slices.Equal(x, y) {
				b.Fatalf("%s page %d: keys %v vs %v", w, page, x, y)
			}
			if len(x) == 0 {
				break
			}
			f.Before = x[len(x)-1]
		}
	}
	// The query's wall time only (the old plan's index drop is not counted).
	const rounds, per = 3, 120
	for r := 0; r < rounds; r++ {
		for _, p := range []bool{false, true} {
			var lat []time.Duration
			for i := 0; i < per; i++ {
				_, took, err := db.SearchKeysWith(ctx, find(words[i%len(words)]), p)
				if err != nil {
					b.Fatal(err)
				}
				lat = append(lat, took)
			}
			slices.Sort(lat)
			var sum time.Duration
			for _, l := range lat {
				sum += l
			}
			b.Logf("round %d, %s: wall p50 %v, p99 %v, mean %v", r+1, name[p],
				lat[per/2].Round(time.Microsecond), lat[per*99/100].Round(time.Microsecond), (sum / per).Round(time.Microsecond))
		}
	}
	for b.Loop() {
	}
}

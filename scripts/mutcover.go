//go:build ignore

// Command mutcover picks, for each mutant, the tests that run its line, for
// scripts/mutate.sh (--sample, --recheck and --all): a mutant need only be
// tried against the tests that execute the mutated code, which cuts a
// package's run from all its tests to a few.
//
//	go run scripts/mutcover.go DIR IMPORTPATH < mutants.tsv > selected.tsv
//
// DIR holds one coverage profile per top-level test, DIR/<TestName>.out,
// each from a run of that test alone (so code that a test reaches through
// goroutines, helpers or package state it set up is in its own profile).
// IMPORTPATH is the package's import path, as the profiles name its files.
// Each input line is "file<TAB>mutator<TAB>line<TAB>column" (file relative
// to the package); each output line is the same with two more fields: a
// -test.run pattern naming every test whose profile counts the mutated
// position as executed, or "-" when none does (the mutant is not covered),
// and the seconds those tests took in their coverage runs (DIR/<TestName>.secs,
// 0 where missing), from which the caller sets the mutant's time limit;
// then the same pattern split in two: the tests that took under 5 s, and
// the others ("none" for an empty set), so that the caller can run the fast
// ones first and the slow ones only for a mutant the fast ones missed.
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// block is one executed statement block of a profile.
type block struct {
	l0, c0, l1, c1 int
}

func (b block) holds(line, col int) bool {
	if line < b.l0 || line > b.l1 {
		return false
	}
	if line == b.l0 && col < b.c0 {
		return false
	}
	if line == b.l1 && col > b.c1 {
		return false
	}
	return true
}

var prof = regexp.MustCompile(`^(.+):(\d+)\.(\d+),(\d+)\.(\d+) \d+ (\d+)$`)

// slowTest is the coverage-run time (seconds) from which a test is slow:
// a mutant's fast tests run first, and its slow ones only if it survives
// them (most mutants die in the fast ones).
const slowTest = 5.0

// pattern is a -test.run pattern matching exactly these (quoted) tests,
// or none when there are none.
func pattern(tests []string, none string) string {
	if len(tests) == 0 {
		return none
	}
	return "^(" + strings.Join(tests, "|") + ")$"
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mutcover DIR IMPORTPATH < mutants.tsv")
		os.Exit(2)
	}
	dir, pkg := os.Args[1], os.Args[2]
	files, err := filepath.Glob(filepath.Join(dir, "*.out"))
	if err != nil || len(files) == 0 {
		fmt.Fprintln(os.Stderr, "mutcover: no profiles in", dir)
		os.Exit(2)
	}
	// covered[test][file] = executed blocks.
	covered := map[string]map[string][]block{}
	for _, f := range files {
		test := strings.TrimSuffix(filepath.Base(f), ".out")
		m := map[string][]block{}
		fh, err := os.Open(f)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		sc := bufio.NewScanner(fh)
		for sc.Scan() {
			g := prof.FindStringSubmatch(sc.Text())
			if g == nil || g[6] == "0" {
				continue
			}
			name, ok := strings.CutPrefix(g[1], pkg+"/")
			if !ok || strings.Contains(name, "/") {
				continue
			}
			n := func(i int) int { v, _ := strconv.Atoi(g[i]); return v }
			m[name] = append(m[name], block{n(2), n(3), n(4), n(5)})
		}
		fh.Close()
		covered[test] = m
	}
	tests := make([]string, 0, len(covered))
	for t := range covered {
		tests = append(tests, t)
	}
	sort.Strings(tests)

	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		f := strings.Split(in.Text(), "\t")
		if len(f) < 4 {
			continue
		}
		line, _ := strconv.Atoi(f[2])
		col, _ := strconv.Atoi(f[3])
		var sel, fast, slow []string
		secs := 0.0
		for _, t := range tests {
			for _, b := range covered[t][f[0]] {
				if b.holds(line, col) {
					q := regexp.QuoteMeta(t)
					sel = append(sel, q)
					v := 0.0
					if d, err := os.ReadFile(filepath.Join(dir, t+".secs")); err == nil {
						v, _ = strconv.ParseFloat(strings.TrimSpace(string(d)), 64)
					}
					secs += v
					if v < slowTest {
						fast = append(fast, q)
					} else {
						slow = append(slow, q)
					}
					break
				}
			}
		}
		fmt.Fprintf(out, "%s\t%s\t%.1f\t%s\t%s\n", strings.Join(f[:4], "\t"), pattern(sel, "-"), secs, pattern(fast, "none"), pattern(slow, "none"))
	}
}

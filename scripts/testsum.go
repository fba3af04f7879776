//go:build ignore

// Command testsum reads `go test -json` on stdin and prints what a plain
// `go test` prints (the ok line of a package that passed, all the output
// of one that failed), then one line naming every test that was skipped,
// grouped by the reason its t.Skip gave:
//
//	go test -json ./... | go run scripts/testsum.go
//
//	skipped 9 tests: 6 "TACK_TEST_POSTGRES is not set" (attendance, e2e, postgres); 3 "no Chromium found" (web)
//
// scripts/test.sh runs the suite through it, so that a run without
// PostgreSQL, NATS or Chromium says so at its end instead of passing in
// silence. It exits 1 when a package failed (or the input had no package
// result), so it can stand in for go test's exit status.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"sort"
	"strings"
)

type event struct {
	Action     string
	Package    string
	Test       string
	Output     string
	ImportPath string
}

type skip struct {
	pkg, test, reason string
}

// reasonRe finds a t.Skip message in a test's output: "    file_test.go:12: message".
var reasonRe = regexp.MustCompile(`^\s+[\w.-]+_test\.go:\d+: (.*)$`)

func main() {
	failed, ok := run(os.Stdin, os.Stdout, os.Stderr)
	if failed || !ok {
		os.Exit(1)
	}
}

// run copies r's events to out as go test's plain output and reports
// whether a package failed and whether any package finished at all.
func run(r io.Reader, out, errOut io.Writer) (failed, finished bool) {
	pkgOut := map[string][]string{}           // a package's output so far
	testOut := map[string]map[string]string{} // package → test → its last message line
	var skips []skip
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		line := sc.Bytes()
		var e event
		if json.Unmarshal(line, &e) != nil || e.Action == "" {
			fmt.Fprintln(out, string(line)) // not an event: go vet or build output
			continue
		}
		switch e.Action {
		case "build-output":
			fmt.Fprint(errOut, e.Output)
		case "output":
			pkgOut[e.Package] = append(pkgOut[e.Package], e.Output)
			if e.Test != "" {
				if m := reasonRe.FindStringSubmatch(strings.TrimRight(e.Output, "\n")); m != nil {
					if testOut[e.Package] == nil {
						testOut[e.Package] = map[string]string{}
					}
					testOut[e.Package][e.Test] = m[1]
				}
			}
		case "skip":
			if e.Test != "" {
				skips = append(skips, skip{e.Package, e.Test, testOut[e.Package][e.Test]})
			}
		case "pass", "fail":
			if e.Test != "" {
				delete(testOut[e.Package], e.Test)
				continue
			}
			finished = true
			if e.Action == "fail" {
				failed = true
				for _, o := range pkgOut[e.Package] {
					fmt.Fprint(out, o)
				}
			} else {
				for _, o := range pkgOut[e.Package] {
					if strings.HasPrefix(o, "ok ") || strings.HasPrefix(o, "ok\t") {
						fmt.Fprint(out, o)
					}
				}
			}
			delete(pkgOut, e.Package)
			delete(testOut, e.Package)
		}
		if e.Action == "skip" && e.Test == "" {
			finished = true
			for _, o := range pkgOut[e.Package] {
				if strings.HasPrefix(o, "?") {
					fmt.Fprint(out, o)
				}
			}
			delete(pkgOut, e.Package)
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintln(errOut, "testsum:", err)
		failed = true
	}
	fmt.Fprintln(out, summary(skips))
	return failed, finished
}

// summary is the one line naming the skipped tests by reason.
func summary(skips []skip) string {
	if len(skips) == 0 {
		return "skipped: none"
	}
	type group struct {
		n    int
		pkgs map[string]bool
	}
	groups := map[string]*group{}
	for _, s := range skips {
		r := shorten(s.reason)
		if groups[r] == nil {
			groups[r] = &group{pkgs: map[string]bool{}}
		}
		groups[r].n++
		groups[r].pkgs[path.Base(s.pkg)] = true
	}
	reasons := make([]string, 0, len(groups))
	for r := range groups {
		reasons = append(reasons, r)
	}
	sort.Slice(reasons, func(i, j int) bool {
		a, b := groups[reasons[i]], groups[reasons[j]]
		if a.n != b.n {
			return a.n > b.n
		}
		return reasons[i] < reasons[j]
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		pkgs := make([]string, 0, len(groups[r].pkgs))
		for p := range groups[r].pkgs {
			pkgs = append(pkgs, p)
		}
		sort.Strings(pkgs)
		parts[i] = fmt.Sprintf("%d %q (%s)", groups[r].n, r, strings.Join(pkgs, ", "))
	}
	noun := "tests"
	if len(skips) == 1 {
		noun = "test"
	}
	return fmt.Sprintf("skipped %d %s: %s", len(skips), noun, strings.Join(parts, "; "))
}

// shorten keeps a skip message's first clause, so that one reason given
// with different details (a URL, an error) groups as one.
func shorten(r string) string {
	if r == "" {
		return "no reason given"
	}
	for _, sep := range []string{": ", "; ", " (", ". "} {
		if i := strings.Index(r, sep); i > 0 {
			r = r[:i]
		}
	}
	return strings.TrimSuffix(r, ".")
}

//go:build ignore

// Command mutschema builds one test binary holding many mutants of a
// package at once (mutant schemata), for scripts/mutate.sh: each mutated
// expression or statement is rewritten so that the environment variable
// TACK_MUTANT picks which mutant, if any, is live. A package's mutants then
// cost one build instead of one each, which matters where the package's
// tests link a whole server (a build of approval's tests takes ~20 s here;
// running the tests a mutant reaches, a second or two).
//
//	go run scripts/mutschema.go PKGDIR OUTDIR < mutants.tsv > ids.tsv
//
// Each input line is "file<TAB>mutator<TAB>line<TAB>column" (file relative
// to PKGDIR, position as gremlins reports it). Each output line is the input
// line with a fifth field: the mutant's TACK_MUTANT number when the schema
// binary OUTDIR/schema.test holds it, or "-" when it must be tried the slow
// way (one build per mutant): mutators or places this rewriting does not
// handle (an increment in a for statement's post, a constant expression),
// and every rewrite the compiler refused (found by building, dropping the
// mutants on the lines the compiler names, and building again).
//
// With TACK_MUTANT unset the binary behaves as the package's own tests do.
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/scanner"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

type mutant struct {
	in        string // the input line
	file      string
	typ       string
	line, col int
	id        int // TACK_MUTANT number; 0 when not in the schema
	placed    bool
}

var swaps = map[string]map[token.Token]token.Token{
	"CONDITIONALS_BOUNDARY": {token.LSS: token.LEQ, token.LEQ: token.LSS, token.GTR: token.GEQ, token.GEQ: token.GTR},
	"CONDITIONALS_NEGATION": {token.EQL: token.NEQ, token.NEQ: token.EQL, token.LSS: token.GEQ, token.LEQ: token.GTR, token.GTR: token.LEQ, token.GEQ: token.LSS},
	"ARITHMETIC_BASE":       {token.ADD: token.SUB, token.SUB: token.ADD, token.MUL: token.QUO, token.QUO: token.MUL, token.REM: token.MUL},
	"INCREMENT_DECREMENT":   {token.INC: token.DEC, token.DEC: token.INC},
	"INVERT_LOGICAL":        {token.LAND: token.LOR, token.LOR: token.LAND},
	"INVERT_ASSIGNMENTS":    {token.ADD_ASSIGN: token.SUB_ASSIGN, token.SUB_ASSIGN: token.ADD_ASSIGN, token.MUL_ASSIGN: token.QUO_ASSIGN, token.QUO_ASSIGN: token.MUL_ASSIGN, token.REM_ASSIGN: token.MUL_ASSIGN},
}

// alt is one mutant at a node: its number and the operator it puts there.
type alt struct {
	id int
	op token.Token
}

// site is one node with mutants.
type site struct {
	node ast.Node
	alts []alt
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: mutschema PKGDIR OUTDIR < mutants.tsv")
		os.Exit(2)
	}
	pkgDir, outDir := os.Args[1], os.Args[2]
	absPkg, err := filepath.Abs(pkgDir)
	check(err)
	check(os.MkdirAll(outDir, 0o755))
	absOut, err := filepath.Abs(outDir)
	check(err)

	var ms []*mutant
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		if len(f) < 4 {
			continue
		}
		l, _ := strconv.Atoi(f[2])
		c, _ := strconv.Atoi(f[3])
		ms = append(ms, &mutant{in: strings.Join(f[:4], "\t"), file: f[0], typ: f[1], line: l, col: c})
	}
	for i, m := range ms {
		m.id = i + 1
	}
	// Build, and on refusal drop the mutants on the lines the compiler
	// names; a few rounds, then give up on the files still refused.
	dropped := map[int]bool{}
	ok := false
	for round := 0; round < 8 && !ok; round++ {
		spans, pkgName := write(absPkg, absOut, ms, dropped)
		if len(spans) == 0 {
			break
		}
		out, err := build(absPkg, absOut, pkgName, spans)
		if err == nil {
			ok = true
			break
		}
		errs := compileErrors(out, absOut)
		if len(errs) == 0 {
			fmt.Fprintf(os.Stderr, "mutschema: build failed with no error to attribute:\n%s", out)
			break
		}
		n := 0
		for _, e := range errs {
			for _, sp := range spans[e.file] {
				if e.line >= sp.l0 && e.line <= sp.l1 {
					for _, id := range sp.ids {
						if !dropped[id] {
							dropped[id] = true
							n++
						}
					}
				}
			}
		}
		if n == 0 {
			// Errors outside every rewritten span: drop the whole files.
			for _, e := range errs {
				for _, sp := range spans[e.file] {
					for _, id := range sp.ids {
						dropped[id] = true
					}
				}
			}
		}
		fmt.Fprintf(os.Stderr, "mutschema: round %d: the compiler refused %d rewrites; building again\n", round+1, n)
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for _, m := range ms {
		id := "-"
		if ok && m.id > 0 && !dropped[m.id] {
			id = strconv.Itoa(m.id)
		}
		fmt.Fprintf(w, "%s\t%s\n", m.in, id)
	}
}

// span is a rewritten region of a file: lines l0..l1 (of the written file,
// which keeps the original's line numbers) and the mutants in it.
type span struct {
	l0, l1 int
	ids    []int
}

// write rewrites every file with mutants into absOut, returns the spans by
// written file name, and the package name. Mutants it cannot rewrite get id 0.
func write(absPkg, absOut string, ms []*mutant, dropped map[int]bool) (map[string][]span, string) {
	byFile := map[string][]*mutant{}
	for _, m := range ms {
		if m.id > 0 && !dropped[m.id] {
			byFile[m.file] = append(byFile[m.file], m)
		}
	}
	spans := map[string][]span{}
	pkgName := ""
	files := make([]string, 0, len(byFile))
	for f := range byFile {
		files = append(files, f)
	}
	sort.Strings(files)
	for _, name := range files {
		src, err := os.ReadFile(filepath.Join(absPkg, name))
		check(err)
		fset := token.NewFileSet()
		af, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		check(err)
		pkgName = af.Name.Name
		r := &rewriter{fset: fset, src: src, sites: map[ast.Node]*site{}}
		r.locate(af, byFile[name])
		if len(r.sites) == 0 {
			continue
		}
		out := r.render(0, len(src))
		wrote := filepath.Join(absOut, name)
		check(os.WriteFile(wrote, []byte(out), 0o644))
		for _, s := range r.sites {
			var ids []int
			for _, a := range s.alts {
				ids = append(ids, a.id)
			}
			spans[wrote] = append(spans[wrote], span{fset.Position(s.node.Pos()).Line, fset.Position(s.node.End()).Line, ids})
		}
	}
	return spans, pkgName
}

type rewriter struct {
	fset  *token.FileSet
	src   []byte
	sites map[ast.Node]*site
	order []ast.Node // sites by start offset
}

// locate finds each mutant's node; a mutant it cannot place gets id 0.
func (r *rewriter) locate(af *ast.File, ms []*mutant) {
	type key struct{ line, col int }
	want := map[key][]*mutant{}
	for _, m := range ms {
		want[key{m.line, m.col}] = append(want[key{m.line, m.col}], m)
	}
	var stack []ast.Node
	ast.Inspect(af, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		parent := ast.Node(nil)
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		stack = append(stack, n)
		var pos token.Pos
		var op token.Token
		switch x := n.(type) {
		case *ast.BinaryExpr:
			pos, op = x.OpPos, x.Op
		case *ast.UnaryExpr:
			pos, op = x.OpPos, x.Op
		case *ast.IncDecStmt:
			pos, op = x.TokPos, x.Tok
			if !inList(parent, n) {
				return true
			}
		case *ast.AssignStmt:
			pos, op = x.TokPos, x.Tok
			if !inList(parent, n) || len(x.Lhs) != 1 {
				return true
			}
		default:
			return true
		}
		p := r.fset.Position(pos)
		for _, m := range want[key{p.Line, p.Column}] {
			s := r.sites[n]
			if s == nil {
				s = &site{node: n}
			}
			switch {
			case m.typ == "INVERT_NEGATIVES":
				// gremlins applies it to every minus: -X becomes +X, and
				// X - Y becomes X + Y.
				if op != token.SUB {
					continue
				}
				s.alts = append(s.alts, alt{m.id, token.ADD})
			default:
				to, ok := swaps[m.typ][op]
				if !ok {
					continue
				}
				if _, un := n.(*ast.UnaryExpr); un {
					continue
				}
				s.alts = append(s.alts, alt{m.id, to})
			}
			m.placed = true
			if r.sites[n] == nil {
				r.sites[n] = s
				r.order = append(r.order, n)
			}
		}
		return true
	})
	for _, m := range ms {
		if !m.placed {
			m.id = 0
		}
	}
	sort.Slice(r.order, func(i, j int) bool { return r.order[i].Pos() < r.order[j].Pos() })
}

func inList(parent, n ast.Node) bool {
	var list []ast.Stmt
	switch p := parent.(type) {
	case *ast.BlockStmt:
		list = p.List
	case *ast.CaseClause:
		list = p.Body
	case *ast.CommClause:
		list = p.Body
	default:
		return false
	}
	for _, s := range list {
		if s == n {
			return true
		}
	}
	return false
}

func (r *rewriter) off(p token.Pos) int { return r.fset.Position(p).Offset }

// render returns src[from:to] with every site inside it rewritten.
func (r *rewriter) render(from, to int) string {
	var b strings.Builder
	at := from
	for _, n := range r.order {
		s, e := r.off(n.Pos()), r.off(n.End())
		if s < at || e > to {
			continue // outside, or inside a site already rendered
		}
		b.Write(r.src[at:s])
		b.WriteString(r.site(r.sites[n]))
		at = e
	}
	b.Write(r.src[at:to])
	return b.String()
}

// flat renders src[from:to] with its sites on one line, so that a copy of
// an operand adds no lines (the written file keeps the original's line
// numbers, which the compiler's errors are matched against).
func (r *rewriter) flat(from, to int) string {
	text := r.render(from, to)
	var s scanner.Scanner
	fs := token.NewFileSet()
	f := fs.AddFile("", -1, len(text))
	s.Init(f, []byte(text), nil, 0)
	var parts []string
	for {
		_, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		switch {
		case tok == token.SEMICOLON && lit == "\n":
			parts = append(parts, ";")
		case lit != "":
			parts = append(parts, lit) // a raw string's line breaks stay: only error attribution shifts
		default:
			parts = append(parts, tok.String())
		}
	}
	if n := len(parts); n > 0 && parts[n-1] == ";" {
		parts = parts[:n-1] // the scanner's semicolon at the end of the text
	}
	return strings.Join(parts, " ")
}

func (r *rewriter) site(s *site) string {
	switch x := s.node.(type) {
	case *ast.BinaryExpr:
		xs, xe, ys, ye := r.off(x.X.Pos()), r.off(x.X.End()), r.off(x.Y.Pos()), r.off(x.Y.End())
		switch x.Op {
		case token.ADD, token.SUB, token.MUL, token.QUO, token.REM:
			fn := "tackMutArith"
			if x.Op == token.REM {
				fn = "tackMutArithInt"
			}
			var alts []string
			for _, a := range s.alts {
				if a.op == token.REM {
					fn = "tackMutArithInt"
				}
				alts = append(alts, strconv.Itoa(a.id), strconv.Itoa(int(a.op)))
			}
			return fmt.Sprintf("%s(%s, %s, %d, %s)", fn, r.render(xs, xe), r.render(ys, ye), int(x.Op), strings.Join(alts, ", "))
		default: // comparisons and && ||: a closure, each side evaluated as written
			var b strings.Builder
			b.WriteString("func() bool { switch tackMutant { ")
			for _, a := range s.alts {
				fmt.Fprintf(&b, "case %d: return (%s) %s (%s); ", a.id, r.flat(xs, xe), a.op, r.flat(ys, ye))
			}
			// The last copy keeps the operands' line breaks, the others
			// are flat: the line count of the original is kept.
			fmt.Fprintf(&b, "}; return (%s) %s (%s) }()", r.render(xs, xe), x.Op, r.render(ys, ye))
			return b.String()
		}
	case *ast.UnaryExpr:
		return fmt.Sprintf("tackMutNeg(%d, %s)", s.alts[0].id, r.render(r.off(x.X.Pos()), r.off(x.X.End())))
	case *ast.IncDecStmt:
		xt := r.flat(r.off(x.X.Pos()), r.off(x.X.End()))
		return fmt.Sprintf("if tackMutant == %d { %s%s } else { %s%s }", s.alts[0].id, xt, s.alts[0].op, xt, x.Tok)
	case *ast.AssignStmt:
		lt := r.flat(r.off(x.Lhs[0].Pos()), r.off(x.Lhs[0].End()))
		rs, re := r.off(x.Rhs[0].Pos()), r.off(x.Rhs[len(x.Rhs)-1].End())
		return fmt.Sprintf("if tackMutant == %d { %s %s %s } else { %s %s %s }", s.alts[0].id, lt, s.alts[0].op, r.flat(rs, re), lt, x.Tok, r.render(rs, re))
	}
	panic("unreachable")
}

const helper = `package %s

import (
	"os"
	"strconv"
)

// Mutant schemata of scripts/mutschema.go: TACK_MUTANT picks the live mutant.
var tackMutant = func() int { n, _ := strconv.Atoi(os.Getenv("TACK_MUTANT")); return n }()

type tackMutNum interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr | ~float32 | ~float64
}

type tackMutInt interface {
	~int | ~int8 | ~int16 | ~int32 | ~int64 | ~uint | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

func tackMutOp(op int, alts []int) int {
	for i := 0; i+1 < len(alts); i += 2 {
		if alts[i] == tackMutant {
			return alts[i+1]
		}
	}
	return op
}

func tackMutArith[T tackMutNum](x, y T, op int, alts ...int) T {
	switch tackMutOp(op, alts) {
	case %d:
		return x + y
	case %d:
		return x - y
	case %d:
		return x * y
	}
	return x / y
}

func tackMutArithInt[T tackMutInt](x, y T, op int, alts ...int) T {
	switch tackMutOp(op, alts) {
	case %d:
		return x + y
	case %d:
		return x - y
	case %d:
		return x * y
	case %d:
		return x %% y
	}
	return x / y
}

func tackMutNeg[T tackMutNum](id int, x T) T {
	if tackMutant == id {
		return +x
	}
	return -x
}
`

// build writes the helper file and the overlay, and builds the schema test
// binary; on failure it returns the compiler's output.
func build(absPkg, absOut, pkgName string, spans map[string][]span) (string, error) {
	hf := filepath.Join(absOut, "tack_mutant_schema.go")
	check(os.WriteFile(hf, []byte(fmt.Sprintf(helper, pkgName,
		token.ADD, token.SUB, token.MUL, token.ADD, token.SUB, token.MUL, token.REM)), 0o644))
	repl := map[string]string{filepath.Join(absPkg, "tack_mutant_schema.go"): hf}
	for wrote := range spans {
		repl[filepath.Join(absPkg, filepath.Base(wrote))] = wrote
	}
	var ov bytes.Buffer
	ov.WriteString(`{"Replace":{`)
	i := 0
	for k, v := range repl {
		if i > 0 {
			ov.WriteByte(',')
		}
		fmt.Fprintf(&ov, "%q:%q", k, v)
		i++
	}
	ov.WriteString("}}")
	ovf := filepath.Join(absOut, "overlay.json")
	check(os.WriteFile(ovf, ov.Bytes(), 0o644))
	cmd := exec.Command("go", "test", "-c", "-overlay", ovf, "-o", filepath.Join(absOut, "schema.test"), ".")
	cmd.Dir = absPkg
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

type cerr struct {
	file string
	line int
}

var errLine = regexp.MustCompile(`(?m)^(?:\S*/)?([^\s:/]+\.go):(\d+)(?::\d+)?: `)

// compileErrors are the positions the compiler complained about in the
// rewritten files (reported by their base names, relative paths or overlay
// paths alike).
func compileErrors(out, absOut string) []cerr {
	var errs []cerr
	for _, g := range errLine.FindAllStringSubmatch(out, -1) {
		l, _ := strconv.Atoi(g[2])
		errs = append(errs, cerr{filepath.Join(absOut, g[1]), l})
	}
	return errs
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "mutschema:", err)
		os.Exit(2)
	}
}

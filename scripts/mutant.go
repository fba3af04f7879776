//go:build ignore

// Command mutant writes a Go file with one gremlins mutation applied, for
// scripts/mutate.sh --recheck (which builds it into the package's tests
// with go test -overlay, so the tree is never touched):
//
//	go run scripts/mutant.go FILE LINE COLUMN MUTATOR > mutated.go
//
// LINE and COLUMN are where gremlins reported the mutant (the operator's
// position); MUTATOR is its type (CONDITIONALS_BOUNDARY, ...). It exits 1
// if no operator that the mutator changes is there.
package main

import (
	"fmt"
	"go/scanner"
	"go/token"
	"os"
	"strconv"
)

var swaps = map[string]map[token.Token]string{
	"CONDITIONALS_BOUNDARY": {token.LSS: "<=", token.LEQ: "<", token.GTR: ">=", token.GEQ: ">"},
	"CONDITIONALS_NEGATION": {token.EQL: "!=", token.NEQ: "==", token.LSS: ">=", token.LEQ: ">", token.GTR: "<=", token.GEQ: "<"},
	"ARITHMETIC_BASE":       {token.ADD: "-", token.SUB: "+", token.MUL: "/", token.QUO: "*", token.REM: "*"},
	"INCREMENT_DECREMENT":   {token.INC: "--", token.DEC: "++"},
	"INVERT_NEGATIVES":      {token.SUB: "+"},
	"INVERT_LOGICAL":        {token.LAND: "||", token.LOR: "&&"},
	"INVERT_ASSIGNMENTS":    {token.ADD_ASSIGN: "-=", token.SUB_ASSIGN: "+=", token.MUL_ASSIGN: "/=", token.QUO_ASSIGN: "*=", token.REM_ASSIGN: "*="},
}

func main() {
	if len(os.Args) != 5 {
		fmt.Fprintln(os.Stderr, "usage: mutant FILE LINE COLUMN MUTATOR")
		os.Exit(2)
	}
	src, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	line, _ := strconv.Atoi(os.Args[2])
	col, _ := strconv.Atoi(os.Args[3])
	swap := swaps[os.Args[4]]
	if swap == nil {
		fmt.Fprintln(os.Stderr, "unknown mutator", os.Args[4])
		os.Exit(2)
	}
	fset := token.NewFileSet()
	f := fset.AddFile(os.Args[1], -1, len(src))
	var s scanner.Scanner
	s.Init(f, src, nil, 0)
	for {
		pos, tok, lit := s.Scan()
		if tok == token.EOF {
			break
		}
		p := fset.Position(pos)
		if p.Line != line || p.Column != col {
			continue
		}
		to, ok := swap[tok]
		if !ok {
			break
		}
		n := len(tok.String())
		if lit != "" {
			n = len(lit)
		}
		off := p.Offset
		os.Stdout.Write(src[:off])
		os.Stdout.WriteString(to)
		os.Stdout.Write(src[off+n:])
		return
	}
	fmt.Fprintf(os.Stderr, "%s:%d:%d: no operator for %s\n", os.Args[1], line, col, os.Args[4])
	os.Exit(1)
}

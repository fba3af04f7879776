package tack_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestCapabilitiesStayPure checks the layout rule of DESIGN.md: capability
// packages hold rules, not transports or drivers, so they never import
// database/sql, net/http or NATS (stores, the API and the bus packages do).
func TestCapabilitiesStayPure(t *testing.T) {
	capabilities := []string{".", "account", "chat", "media", "org", "hub", "presence", "limit", "bus", "push", "attendance", "approval", "leave", "backup", "search", "platform", "export", "retention", "circle"}
	forbidden := []string{"database/sql", "net/http", "github.com/nats-io/", "github.com/jackc/", "modernc.org/sqlite"}
	for _, dir := range capabilities {
		files, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		if len(files) == 0 {
			t.Errorf("%s: no Go files (package moved?)", dir)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
			if err != nil {
				t.Fatal(err)
			}
			for _, imp := range af.Imports {
				path, _ := strconv.Unquote(imp.Path.Value)
				for _, bad := range forbidden {
					if path == bad || strings.HasPrefix(path, bad) && strings.HasSuffix(bad, "/") || strings.HasPrefix(path, bad+"/") {
						t.Errorf("%s imports %s: capability packages must not import %s", f, path, bad)
					}
				}
			}
		}
	}
}

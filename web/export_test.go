package web

import (
	"io/fs"
	"path"
	"sort"
	"testing/fstest"
)

// Rebuild is a test hook: it prepares the client again from the embedded
// files, with edit applied to each (by its path under static/, e.g.
// "static/assets/app.js"), as a new release of the server would have
// them, and makes every Handler serve it. restore goes back to the
// embedded build.
func Rebuild(edit func(path string, body []byte) []byte) (restore func(), err error) {
	old, err := load()
	if err != nil {
		return nil, err
	}
	m := fstest.MapFS{}
	err = fs.WalkDir(static, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(static, p)
		if err != nil {
			return err
		}
		m[p] = &fstest.MapFile{Data: edit(p, b)}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s, err := prepare(m)
	if err != nil {
		return nil, err
	}
	current.Store(s)
	return func() { current.Store(old) }, nil
}

// UseBuild is a test hook: it prepares the client from fsys (which holds
// static/index.html and static/assets/..., another build's web/ directory)
// and makes every Handler serve it. restore goes back to the embedded
// build.
func UseBuild(fsys fs.FS) (restore func(), err error) {
	old, err := load()
	if err != nil {
		return nil, err
	}
	s, err := prepare(fsys)
	if err != nil {
		return nil, err
	}
	current.Store(s)
	return func() { current.Store(old) }, nil
}

// ServiceWorkerVersion is the release version written into the served
// sw.js (its cache is "tack-" + this).
func ServiceWorkerVersion() string {
	s, _ := load()
	return swVersion(s)
}

// Modules lists the served names (under /assets/) of every JavaScript
// module, for tests that load them all: features that other features load
// with import() are not in lazy.js.
func Modules() []string {
	s, _ := load()
	var out []string
	for name, hn := range s.hashed {
		if path.Ext(name) == ".js" {
			out = append(out, hn)
		}
	}
	sort.Strings(out)
	return out
}

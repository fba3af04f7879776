package web

import (
	"io/fs"
	"testing/fstest"
)

type fstestMap map[string]string

func (m fstestMap) fs() fs.FS {
	f := fstest.MapFS{}
	for k, v := range m {
		f[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return f
}

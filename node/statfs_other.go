//go:build !unix

package node

import "errors"

func statfs(path string) (uint64, error) {
	return 0, errors.New("free space is not known on this system")
}

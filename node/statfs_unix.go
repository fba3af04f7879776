//go:build unix

package node

import "syscall"

// statfs returns the bytes available to unprivileged users on path's file
// system.
func statfs(path string) (uint64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), nil
}

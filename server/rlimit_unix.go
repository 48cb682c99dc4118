//go:build unix

package server

import (
	"fmt"
	"syscall"
)

// RaiseFileLimit raises the soft limit on open files (RLIMIT_NOFILE) to the hard limit, so
// that the connection cap, not the shell's default soft limit (often 1024), bounds the
// connections the gateway can hold. Go (1.19 and later) does the same when package os
// starts; doing it here as well makes it explicit and lets bifrost-http log the limit it
// runs with. It returns the soft and hard limits in force afterwards.
func RaiseFileLimit() (soft, hard uint64, err error) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0, 0, fmt.Errorf("reading the open file limit: %w", err)
	}
	if l.Cur < l.Max {
		want := l
		want.Cur = l.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &want); err != nil {
			return uint64(l.Cur), uint64(l.Max), fmt.Errorf("raising the open file limit from %d to %d: %w", l.Cur, l.Max, err)
		}
		l = want
	}
	return uint64(l.Cur), uint64(l.Max), nil //nolint:unconvert // the fields' types differ across platforms
}

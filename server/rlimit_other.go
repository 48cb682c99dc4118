//go:build !unix

package server

import "errors"

// RaiseFileLimit is a no-op where there is no RLIMIT_NOFILE; it reports that.
func RaiseFileLimit() (soft, hard uint64, err error) {
	return 0, 0, errors.ErrUnsupported
}

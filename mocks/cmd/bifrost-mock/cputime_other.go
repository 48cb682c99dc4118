//go:build !unix

package main

import (
	"errors"
	"time"
)

// cpuTime is not available on this platform.
func cpuTime() (user, sys time.Duration, err error) {
	return 0, 0, errors.New("not supported on this platform")
}

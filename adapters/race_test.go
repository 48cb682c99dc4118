//go:build race

package adapters_test

// raceEnabled: the race detector makes sync.Pool drop objects on purpose, so allocation
// counts are checked only without it (make test runs the Allocs tests a second time so).
const raceEnabled = true

package redisstore_test

import (
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/governance/redisstore"
	"github.com/bifrost-gw/bifrost/governance/redistest"
	"github.com/bifrost-gw/bifrost/governance/state"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// BenchmarkReserveSettle is one request's work on Redis, one call after the other: the
// reservation script, then the settlement script (for a key in a team, with budgets).
//
//	go test -run '^$' -bench . ./governance/redisstore/
func BenchmarkReserveSettle(b *testing.B) {
	srv := redistest.Start(b)
	st, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	key := &state.Level{ID: "key:a", Limits: config.Limits{RPM: 1 << 40, Budget: [4]int64{1 << 50, 0, 0, 1 << 50}}}
	team := &state.Level{ID: "team:t", Limits: config.Limits{Budget: [4]int64{0, 0, 1 << 50, 0}}}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		r := state.Reservation{Levels: [state.MaxLevels]*state.Level{key, team}, N: 2, Tokens: 100, Cost: 1000}
		var v state.Verdict
		if err := st.Reserve(&r, &v); err != nil || !r.Held {
			b.Fatal(err, v)
		}
		if err := st.Settle(&r, 50, 500); err != nil {
			b.Fatal(err)
		}
	}
}

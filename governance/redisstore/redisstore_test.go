package redisstore_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/governance/redisstore"
	"github.com/bifrost-gw/bifrost/governance/redistest"
	"github.com/bifrost-gw/bifrost/governance/state"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/redis/rueidis"
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

// TestReadsFieldPerCounterHash: counters that an older version kept in a hash with a
// field per counter are read, and carried on in the packed field, so an upgrade keeps
// this minute's requests and the budgets' spend.
func TestReadsFieldPerCounterHash(t *testing.T) {
	srv := redistest.Start(t)
	at := time.Date(2026, 12, 4, 12, 0, 30, 0, time.UTC)
	st, err := redisstore.New(redisstore.Options{URL: srv.URL, Timeout: time.Second, Now: func() time.Time { return at }})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: []string{srv.Addr}, DisableCache: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	minute, w := state.Windows(at)
	old := c.B().Hset().Key(redisstore.KeyPrefix+"key:a").FieldValue().FieldValue("m", itoa(minute)).FieldValue("req", "5").
		FieldValue("tok", "500").FieldValue("inf", "2").FieldValue("w1", itoa(w[0])).FieldValue("w2", itoa(w[1])).
		FieldValue("w3", itoa(w[2])).FieldValue("w4", "0").FieldValue("s1", "100").FieldValue("s2", "200").
		FieldValue("s3", "300").FieldValue("s4", "400").Build()
	if err := c.Do(context.Background(), old).Error(); err != nil {
		t.Fatal(err)
	}
	var u state.Usage
	if err := st.Usage("key:a", &u); err != nil {
		t.Fatal(err)
	}
	if u.Requests != 5 || u.Tokens != 500 || u.InFlight != 2 || u.Spent != [4]int64{100, 200, 300, 400} {
		t.Fatalf("old hash read as %+v", u)
	}
	r := state.Reservation{Levels: [state.MaxLevels]*state.Level{{ID: "key:a"}}, N: 1, Tokens: 10, Cost: 1}
	var v state.Verdict
	if err := st.Reserve(&r, &v); err != nil || !r.Held {
		t.Fatal(err, v)
	}
	if err := st.Usage("key:a", &u); err != nil {
		t.Fatal(err)
	}
	if u.Requests != 6 || u.Tokens != 510 || u.InFlight != 3 || u.Spent != [4]int64{101, 201, 301, 401} {
		t.Errorf("after a reservation: %+v", u)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

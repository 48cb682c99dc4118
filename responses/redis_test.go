package responses

import (
	"context"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/governance/redistest"
)

// TestRedis checks Put, Get, Delete and the time to live on a private redis-server.
func TestRedis(t *testing.T) {
	srv := redistest.Start(t)
	r, err := NewRedis(srv.URL, "", time.Second, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := context.Background()
	rec := Record{Response: []byte(`{"id":"resp_1"}`), Input: []byte(`[]`), History: []byte(`[{"role":"user","content":"hi"}]`)}
	if err := r.Put(ctx, "resp_1", rec); err != nil {
		t.Fatal(err)
	}
	got, ok, err := r.Get(ctx, "resp_1")
	if err != nil || !ok || string(got.Response) != string(rec.Response) || string(got.Input) != "[]" || string(got.History) != string(rec.History) {
		t.Fatalf("get: %+v %v %v", got, ok, err)
	}
	if _, ok, err := r.Get(ctx, "resp_none"); ok || err != nil {
		t.Errorf("get of nothing: %v %v", ok, err)
	}
	if ok, err := r.Delete(ctx, "resp_1"); !ok || err != nil {
		t.Errorf("delete: %v %v", ok, err)
	}
	if ok, _ := r.Delete(ctx, "resp_1"); ok {
		t.Error("a second delete says deleted")
	}
	r.Put(ctx, "resp_2", rec) //nolint:errcheck // checked by the TTL read
	ms, err := r.client.Do(ctx, r.client.B().Pttl().Key(redisPrefix+"resp_2").Build()).AsInt64()
	if err != nil || ms <= 0 || ms > 1000 {
		t.Errorf("the stored response's TTL is %dms (%v), want up to 1000", ms, err)
	}
}

// TestRecordCoding checks that a malformed stored value is an error, not a panic.
func TestRecordCoding(t *testing.T) {
	rec := Record{Response: []byte("a"), Input: nil, History: []byte("ccc")}
	got, err := decodeRecord(encodeRecord(rec))
	if err != nil || string(got.Response) != "a" || len(got.Input) != 0 || string(got.History) != "ccc" {
		t.Fatalf("%+v %v", got, err)
	}
	for _, bad := range []string{"", "\x05ab", "\x01a\x01b", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"} {
		if _, err := decodeRecord([]byte(bad)); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

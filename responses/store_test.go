package responses

import (
	"context"
	"strconv"
	"testing"
	"time"
)

// TestMemory checks Put, Get, Delete, the time to live and the cap.
func TestMemory(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(1000, 0)
	m := NewMemory(time.Minute, 3)
	m.now = func() time.Time { return now }
	rec := Record{Response: []byte(`{"id":"a"}`), Input: []byte(`[]`), History: []byte(`[]`)}
	if err := m.Put(ctx, "a", rec); err != nil {
		t.Fatal(err)
	}
	rec.Response[2] = 'X' // the store kept its own copy
	got, ok, err := m.Get(ctx, "a")
	if err != nil || !ok || string(got.Response) != `{"id":"a"}` {
		t.Fatalf("get: %q %v %v", got.Response, ok, err)
	}
	now = now.Add(time.Minute)
	if _, ok, _ := m.Get(ctx, "a"); ok {
		t.Error("an expired response is still served")
	}
	for i := range 5 {
		m.Put(ctx, strconv.Itoa(i), rec) //nolint:errcheck // Memory.Put cannot fail
	}
	if _, ok, _ := m.Get(ctx, "0"); ok {
		t.Error("the oldest response outlived the cap")
	}
	if _, ok, _ := m.Get(ctx, "4"); !ok {
		t.Error("the newest response is gone")
	}
	if ok, _ := m.Delete(ctx, "4"); !ok {
		t.Error("delete of a stored response says none")
	}
	if ok, _ := m.Delete(ctx, "4"); ok {
		t.Error("a second delete says deleted")
	}
	if _, ok, _ := m.Get(ctx, "4"); ok {
		t.Error("a deleted response is still served")
	}
}

package cache

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/clock"
)

func TestMemory(t *testing.T) {
	ctx := context.Background()
	type op struct {
		do       string // "set", "get", "advance"
		key, val string
		ttl      time.Duration
		wantOK   bool
	}
	cases := []struct {
		name       string
		maxEntries int
		maxBytes   int64
		ops        []op
		wantLen    int
	}{
		{"set then get", 10, 1 << 20, []op{
			{do: "set", key: "a", val: "1", ttl: time.Minute},
			{do: "get", key: "a", val: "1", wantOK: true},
			{do: "get", key: "b"},
		}, 1},
		{"expires after its TTL", 10, 1 << 20, []op{
			{do: "set", key: "a", val: "1", ttl: time.Minute},
			{do: "advance", ttl: 59 * time.Second},
			{do: "get", key: "a", val: "1", wantOK: true},
			{do: "advance", ttl: time.Second},
			{do: "get", key: "a"},
		}, 0},
		{"least recently used goes first (entries)", 2, 1 << 20, []op{
			{do: "set", key: "a", val: "1", ttl: time.Minute},
			{do: "set", key: "b", val: "2", ttl: time.Minute},
			{do: "get", key: "a", val: "1", wantOK: true}, // a is now the most recent
			{do: "set", key: "c", val: "3", ttl: time.Minute},
			{do: "get", key: "b"},
			{do: "get", key: "a", val: "1", wantOK: true},
			{do: "get", key: "c", val: "3", wantOK: true},
		}, 2},
		{"byte bound evicts", 100, 10, []op{
			{do: "set", key: "a", val: "1234", ttl: time.Minute}, // 5 bytes
			{do: "set", key: "b", val: "1234", ttl: time.Minute}, // 10
			{do: "set", key: "c", val: "1234", ttl: time.Minute}, // 15: a goes
			{do: "get", key: "a"},
			{do: "get", key: "b", val: "1234", wantOK: true},
		}, 2},
		{"a value larger than the store is not kept", 100, 10, []op{
			{do: "set", key: "a", val: "0123456789", ttl: time.Minute},
			{do: "get", key: "a"},
		}, 0},
		{"overwrite replaces", 10, 1 << 20, []op{
			{do: "set", key: "a", val: "1", ttl: time.Minute},
			{do: "set", key: "a", val: "22", ttl: time.Minute},
			{do: "get", key: "a", val: "22", wantOK: true},
		}, 1},
		{"zero TTL is not stored", 10, 1 << 20, []op{
			{do: "set", key: "a", val: "1"},
			{do: "get", key: "a"},
		}, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(time.Unix(1_700_000_000, 0))
			m := NewMemory(tc.maxEntries, tc.maxBytes)
			m.clk = clk
			for i, o := range tc.ops {
				switch o.do {
				case "set":
					if err := m.Set(ctx, o.key, []byte(o.val), o.ttl); err != nil {
						t.Fatal(err)
					}
				case "advance":
					clk.Advance(o.ttl)
				case "get":
					v, ok, err := m.Get(ctx, o.key)
					if err != nil || ok != o.wantOK || ok && string(v) != o.val {
						t.Fatalf("op %d: Get(%q) = %q, %v, %v; want %q, %v", i, o.key, v, ok, err, o.val, o.wantOK)
					}
				}
			}
			if m.Len() != tc.wantLen {
				t.Errorf("Len = %d, want %d", m.Len(), tc.wantLen)
			}
			var size int64
			for _, el := range m.items {
				e := el.Value.(*memEntry)
				size += int64(len(e.key) + len(e.val))
			}
			if m.Bytes() != size || size > tc.maxBytes {
				t.Errorf("Bytes = %d, held %d, bound %d", m.Bytes(), size, tc.maxBytes)
			}
		})
	}
}

func TestMemoryConcurrent(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(50, 1<<20)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 500; i++ {
				k := strconv.Itoa((g*7 + i) % 80)
				m.Set(ctx, k, []byte(k), time.Minute) //nolint:errcheck // never fails
				if v, ok, _ := m.Get(ctx, k); ok && string(v) != k {
					t.Errorf("Get(%s) = %s", k, v)
				}
			}
		}()
	}
	wg.Wait()
	if m.Len() > 50 {
		t.Errorf("Len %d over the bound", m.Len())
	}
	if err := m.Close(); err != nil || m.Len() != 0 || m.Bytes() != 0 {
		t.Errorf("after Close: %v, %d entries, %d bytes", err, m.Len(), m.Bytes())
	}
}

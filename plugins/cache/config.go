package cache

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// FromConfig reads the plugin's settings from config.json's "config" object:
//
//	{"ttl_seconds": 300, "max_entries": 10000, "max_bytes": 67108864}
//
// or, for a cache shared by every replica in Redis (Config.RedisURL):
//
//	{"ttl_seconds": 300, "redis_url": "redis://127.0.0.1:6379/0", "redis_timeout_ms": 50}
//
// Every key is optional. Errors name the bad key.
func FromConfig(m map[string]any) (Config, error) {
	var cfg Config
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		switch k {
		case "ttl_seconds":
			n, err := whole(v, 1, 30*24*3600)
			if err != nil {
				return Config{}, fmt.Errorf("%s: %w", k, err)
			}
			cfg.TTL = time.Duration(n) * time.Second
		case "max_entries":
			n, err := whole(v, 1, 100_000_000)
			if err != nil {
				return Config{}, fmt.Errorf("%s: %w", k, err)
			}
			cfg.MaxEntries = int(n)
		case "max_bytes":
			n, err := whole(v, 1024, 1<<40)
			if err != nil {
				return Config{}, fmt.Errorf("%s: %w", k, err)
			}
			cfg.MaxBytes = n
		case "redis_url":
			s, ok := v.(string)
			if !ok || !(strings.HasPrefix(s, "redis://") || strings.HasPrefix(s, "rediss://")) {
				return Config{}, fmt.Errorf("%s: must be a redis:// or rediss:// URL", k)
			}
			cfg.RedisURL = s
		case "redis_timeout_ms":
			n, err := whole(v, 1, 10_000)
			if err != nil {
				return Config{}, fmt.Errorf("%s: %w", k, err)
			}
			cfg.RedisTimeout = time.Duration(n) * time.Millisecond
		default:
			return Config{}, fmt.Errorf("%s: unknown field (known: ttl_seconds, max_entries, max_bytes, redis_url, redis_timeout_ms)", k)
		}
	}
	return cfg, nil
}

// whole reads a whole number in [lo, hi] from a decoded JSON or YAML value.
func whole(v any, lo, hi int64) (int64, error) {
	var n int64
	switch x := v.(type) {
	case int:
		n = int64(x)
	case int64:
		n = x
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("must be at most %d", hi)
		}
		n = int64(x)
	case float64:
		if x != math.Trunc(x) || math.IsInf(x, 0) || math.IsNaN(x) {
			return 0, fmt.Errorf("must be a whole number")
		}
		if x < float64(lo) || x > float64(hi) {
			return 0, fmt.Errorf("must be between %d and %d", lo, hi)
		}
		n = int64(x)
	default:
		return 0, fmt.Errorf("must be a number")
	}
	if n < lo || n > hi {
		return 0, fmt.Errorf("must be between %d and %d", lo, hi)
	}
	return n, nil
}

package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/rueidis"
)

// Cache is a response cache store in Redis (plugins/cache.Store), shared by every replica:
// GET, and SET with PX for the TTL. A call that fails or takes longer than the timeout is
// an error, which the cache plugin treats as a miss.
type Cache struct {
	client  rueidis.Client
	timeout time.Duration
}

// NewCache connects to the Redis server that url names ("env." values are resolved by the
// caller); timeout bounds each call (50 ms when 0).
func NewCache(url, password string, timeout time.Duration) (*Cache, error) {
	co, err := rueidis.ParseURL(url)
	if err != nil {
		return nil, errors.New("redisstore: invalid URL") // the parse error would quote it, password included
	}
	if password != "" {
		co.Password = password
	}
	if timeout <= 0 {
		timeout = 50 * time.Millisecond
	}
	co.DisableCache = true
	co.Dialer.Timeout = timeout
	co.ConnWriteTimeout = max(timeout, 100*time.Millisecond)
	c, err := rueidis.NewClient(co)
	if err != nil {
		return nil, fmt.Errorf("redisstore: connect: %w", err)
	}
	return &Cache{client: c, timeout: timeout}, nil
}

// Get returns the value under key, if any.
func (c *Cache) Get(ctx context.Context, key string) ([]byte, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	b, err := c.client.Do(ctx, c.client.B().Get().Key(key).Build()).AsBytes()
	if rueidis.IsRedisNil(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("redisstore: cache get: %w", err)
	}
	return b, true, nil
}

// Set stores val under key for ttl.
func (c *Cache) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	cmd := c.client.B().Set().Key(key).Value(rueidis.BinaryString(val)).Px(ttl).Build()
	if err := c.client.Do(ctx, cmd).Error(); err != nil {
		return fmt.Errorf("redisstore: cache set: %w", err)
	}
	return nil
}

// Close closes the connection.
func (c *Cache) Close() error {
	c.client.Close()
	return nil
}

package responses

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/redis/rueidis"
)

// Redis is a Store on a Redis server shared by every replica, so that any replica can
// continue a conversation. Each response is one key, "bifrost:resp:<id>", holding the
// record's three parts, with the store's time to live. It uses the project's rueidis client,
// configured as the governance state's (governance/redisstore).
type Redis struct {
	client  rueidis.Client
	ttl     time.Duration
	timeout time.Duration
}

// redisPrefix is the key prefix of stored responses.
const redisPrefix = "bifrost:resp:"

// NewRedis connects to the Redis server that url names ("redis://" or "rediss://"). ttl is
// how long a response is kept (DefaultTTL when <= 0); timeout bounds each call (50ms when
// <= 0).
func NewRedis(url, password string, ttl, timeout time.Duration) (*Redis, error) {
	co, err := rueidis.ParseURL(url)
	if err != nil {
		return nil, errors.New("responses: invalid Redis URL") // the parse error would quote it, password included
	}
	if password != "" {
		co.Password = password
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}
	if timeout <= 0 {
		timeout = 50 * time.Millisecond
	}
	co.DisableCache = true
	co.Dialer.Timeout = timeout
	co.ConnWriteTimeout = max(timeout, 100*time.Millisecond)
	c, err := rueidis.NewClient(co)
	if err != nil {
		return nil, fmt.Errorf("responses: connect to Redis: %w", err)
	}
	return &Redis{client: c, ttl: ttl, timeout: timeout}, nil
}

// Close closes the connection.
func (r *Redis) Close() { r.client.Close() }

// Put stores rec under id for the store's time to live.
func (r *Redis) Put(ctx context.Context, id string, rec Record) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	val := encodeRecord(rec)
	cmd := r.client.B().Set().Key(redisPrefix + id).Value(rueidis.BinaryString(val)).Px(r.ttl).Build()
	if err := r.client.Do(ctx, cmd).Error(); err != nil {
		return fmt.Errorf("responses: redis set: %w", err)
	}
	return nil
}

// Get returns id's record.
func (r *Redis) Get(ctx context.Context, id string) (Record, bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	b, err := r.client.Do(ctx, r.client.B().Get().Key(redisPrefix+id).Build()).AsBytes()
	if rueidis.IsRedisNil(err) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("responses: redis get: %w", err)
	}
	rec, err := decodeRecord(b)
	if err != nil {
		return Record{}, false, err
	}
	return rec, true, nil
}

// Delete removes id's record.
func (r *Redis) Delete(ctx context.Context, id string) (bool, error) {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	n, err := r.client.Do(ctx, r.client.B().Del().Key(redisPrefix+id).Build()).AsInt64()
	if err != nil {
		return false, fmt.Errorf("responses: redis del: %w", err)
	}
	return n > 0, nil
}

// encodeRecord writes the record's parts, each after its length as a uvarint.
func encodeRecord(rec Record) []byte {
	parts := [...][]byte{rec.Response, rec.Input, rec.History}
	n := 0
	for _, p := range parts {
		n += len(p) + binary.MaxVarintLen64
	}
	out := make([]byte, 0, n)
	for _, p := range parts {
		out = binary.AppendUvarint(out, uint64(len(p)))
		out = append(out, p...)
	}
	return out
}

func decodeRecord(b []byte) (Record, error) {
	var parts [3][]byte
	for i := range parts {
		n, k := binary.Uvarint(b)
		if k <= 0 || n > uint64(len(b)-k) {
			return Record{}, errors.New("responses: a stored response is malformed")
		}
		parts[i] = b[k : k+int(n)]
		b = b[k+int(n):]
	}
	return Record{Response: parts[0], Input: parts[1], History: parts[2]}, nil
}

var (
	_ Store = (*Memory)(nil)
	_ Store = (*Redis)(nil)
)

// Open returns the Redis store a config implies: one on the governance state's Redis server
// (governance.state.url "redis://..." or "rediss://..."), with DefaultTTL and the state's
// timeout; nil when the state is in memory, for the in-memory default. A config reload does
// not move the store.
func Open(cfg *config.Config) (*Redis, error) {
	g := cfg.Governance
	if g == nil || !strings.HasPrefix(g.State.URL, "redis://") && !strings.HasPrefix(g.State.URL, "rediss://") {
		return nil, nil
	}
	return NewRedis(g.State.URL, g.State.Password, DefaultTTL, g.State.Timeout)
}

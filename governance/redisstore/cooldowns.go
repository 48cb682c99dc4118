package redisstore

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/redis/rueidis"
)

// CooldownChannel is the Redis channel on which replicas share provider key cooldowns.
const CooldownChannel = "bifrost:gov:key-cooldowns"

// Cooldown is one provider key's cooldown, as replicas share it. Key is the engine's key
// identity (runtime.CoolKey), never the key.
type Cooldown struct {
	Provider, Key string
	Until         time.Time
	Auth          bool
}

// PublishCooldown tells every replica subscribed with SubscribeCooldowns of c, within the
// store's timeout.
func (s *Store) PublishCooldown(c Cooldown) error {
	msg := c.Provider + "\n" + c.Key + "\n" + strconv.FormatInt(c.Until.UnixMilli(), 10) + "\n" + strconv.FormatBool(c.Auth)
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	return s.client.Do(ctx, s.client.B().Publish().Channel(CooldownChannel).Message(msg).Build()).Error()
}

// SubscribeCooldowns calls f with each cooldown published on CooldownChannel, by this
// replica too, until ctx ends; it resubscribes after a lost connection. A replica that
// subscribes later does not see earlier cooldowns.
func (s *Store) SubscribeCooldowns(ctx context.Context, f func(Cooldown)) {
	for ctx.Err() == nil {
		s.client.Receive(ctx, s.client.B().Subscribe().Channel(CooldownChannel).Build(), func(m rueidis.PubSubMessage) { //nolint:errcheck // retried below
			parts := strings.Split(m.Message, "\n")
			if len(parts) != 4 {
				return
			}
			ms, err := strconv.ParseInt(parts[2], 10, 64)
			if err != nil {
				return
			}
			f(Cooldown{Provider: parts[0], Key: parts[1], Until: time.UnixMilli(ms), Auth: parts[3] == "true"})
		})
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

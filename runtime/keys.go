package runtime

import (
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// keyCooldown is a key's cooldown, shared by the snapshots that hold the same key of the same
// provider, so that a reload does not forget it.
type keyCooldown struct {
	until atomic.Int64 // unix ns; 0 or past: the key is usable
	auth  atomic.Bool  // the cooldown is for a 401/403 (else for a 429)
}

// pickKey results besides an index.
const (
	noKeyForModel = -1 // no key allows the model
	allKeysCool   = -2 // every key that allows the model is cooling down
)

// pickKey chooses among the provider's keys allowed for model and not cooling down, at random
// in proportion to their weights, skipping the key at index avoid when another is usable.
// Keys that refused this model (see denials) are passed over while another key is usable;
// when none is, they are chosen as if not denied, so that the provider answers for itself.
// It returns noKeyForModel, or allKeysCool with the soonest end of a cooldown (unix ns)
// and whether every cooldown is for an auth failure. It allocates nothing and takes no lock.
func (p *providerState) pickKey(model string, avoid int, now int64) (k int, soonest int64, auth bool) {
	if p.denials.active(now) && model != "" {
		k, soonest, auth = p.pick(model, hashString(model), true, avoid, now)
		if k != allKeysCool {
			return k, soonest, auth
		}
		// No key that did not refuse the model is usable: choose as if none had.
	}
	return p.pick(model, 0, false, avoid, now)
}

// pick is pickKey, passing over the keys that refused model (whose hash is modelHash) when
// deny is set.
func (p *providerState) pick(model string, modelHash uint64, deny bool, avoid int, now int64) (k int, soonest int64, auth bool) {
	usable := func(i int) bool {
		ks := &p.keys[i]
		return ks.allows(model) && ks.cool.until.Load() <= now &&
			!(deny && p.denials.has(ks.ident, ks.hash, model, modelHash, now))
	}
	if len(p.keys) == 1 && avoid != 0 && usable(0) {
		// One key, usable: it is the pick, whatever its weight (the draw below would choose
		// it too), without the draw.
		return 0, 0, false
	}
	var total float64
	n, allowed := 0, 0
	auth = true
	for i := range p.keys {
		ks := &p.keys[i]
		if !ks.allows(model) {
			continue
		}
		allowed++
		if u := ks.cool.until.Load(); u > now {
			if soonest == 0 || u < soonest {
				soonest = u
			}
			auth = auth && ks.cool.auth.Load()
			continue
		}
		if i != avoid && usable(i) {
			total += ks.weight
			n++
		}
	}
	if n == 0 {
		switch {
		case allowed == 0:
			return noKeyForModel, 0, false
		case avoid >= 0 && usable(avoid):
			return avoid, 0, false
		}
		return allKeysCool, soonest, auth
	}
	r := rand.Float64() * total
	last := -1
	for i := range p.keys {
		if i == avoid || !usable(i) {
			continue
		}
		last = i
		r -= p.keys[i].weight
		if r < 0 {
			return i, 0, false
		}
	}
	return last, 0, false // rounding, or weights of 0
}

// deniedModel reports whether key k refused model within the auth cooldown (see denials).
func (p *providerState) deniedModel(k int, model string, now int64) bool {
	if k < 0 || !p.denials.active(now) {
		return false
	}
	ks := &p.keys[k]
	return p.denials.has(ks.ident, ks.hash, model, hashString(model), now)
}

// denyModel remembers, for the auth cooldown, that key k may not use model. The key is not
// cooled: its other models stay served.
func (p *providerState) denyModel(k int, model string, now int64) {
	if p.denials == nil || k < 0 || model == "" {
		return
	}
	ks := &p.keys[k]
	p.denials.add(ks.ident, ks.hash, model, now+int64(p.authCooldown))
}

// coolKey puts key k into cooldown after an answer with status (401, 403 or 429).
// retryAfter is the provider's Retry-After in seconds, or 0.
func (p *providerState) coolKey(k, status, retryAfter int, now int64) {
	d := p.rateLimitCooldown
	auth := status == 401 || status == 403
	switch {
	case auth:
		d = p.authCooldown
	case retryAfter > 0:
		d = min(time.Duration(retryAfter)*time.Second, 24*time.Hour)
	}
	cool := p.keys[k].cool
	cool.auth.Store(auth)
	cool.until.Store(now + int64(d))
	p.stats.keyCooldowns.Add(1)
}

// keysCooling is the error for a request whose keys are all cooling down: 429 when some are
// rate-limited, 503 when all failed authentication. Both fall back.
func (c *Call) keysCooling(p *providerState, model string, soonest int64, auth bool, now int64) *Error {
	wait := time.Duration(soonest - now)
	secs := int((wait + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	var err *Error
	if auth {
		err = c.Err.set(503, schemas.ErrServer, "all_keys_failing_auth", "",
			"provider "+p.name+": every key allowed for model \""+model+"\" was refused by the provider (401/403) and is cooling down; the soonest is tried again in "+strconv.Itoa(secs)+"s")
	} else {
		err = c.Err.set(429, schemas.ErrRateLimit, "all_keys_rate_limited", "",
			"provider "+p.name+": every key allowed for model \""+model+"\" is rate-limited; the soonest is free again in "+strconv.Itoa(secs)+"s")
	}
	err.Provider, err.Retryable, err.RetryAfterSec = p.name, true, secs
	return err
}

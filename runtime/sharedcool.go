package runtime

import (
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// KeyCooldownFunc is told of each cooldown that a provider's answer (401, 403 or 429) puts
// one of provider's configured keys into: keyID names the key without revealing it (see
// CoolKey), until is when the cooldown ends, and auth says it followed a 401 or 403.
type KeyCooldownFunc func(provider, keyID string, until time.Time, auth bool)

// OnKeyCooldown makes f be told of each key cooldown, so that it can share it, for example
// with other replicas (nil: nobody is told). f runs on the request's goroutine and must
// not block.
func (e *Engine) OnKeyCooldown(f KeyCooldownFunc) {
	if f == nil {
		e.coolHook.Store(nil)
		return
	}
	e.coolHook.Store(&f)
}

// CoolKey puts the configured key of provider named keyID into cooldown until until,
// unless it is cooling down longer already: a cooldown learned elsewhere, such as from
// another replica. It reports whether provider has such a key. It does not call the
// OnKeyCooldown function.
func (e *Engine) CoolKey(provider, keyID string, until time.Time, auth bool) bool {
	p := e.snapshot().providers[provider]
	if p == nil {
		return false
	}
	found := false
	for i := range p.keys {
		ks := &p.keys[i]
		if keyIdentity(ks.ident) != keyID {
			continue
		}
		found = true
		if u := until.UnixNano(); ks.cool.until.Load() < u {
			ks.cool.auth.Store(auth)
			ks.cool.until.Store(u)
		}
	}
	return found
}

// sharedCooldown tells the OnKeyCooldown function, if any, of key k's new cooldown.
func (e *Engine) sharedCooldown(p *providerState, k int) {
	f := e.coolHook.Load()
	if f == nil {
		return
	}
	ks := &p.keys[k]
	(*f)(p.name, keyIdentity(ks.ident), time.Unix(0, ks.cool.until.Load()), ks.cool.auth.Load())
}

// keyIdentity names a key across processes without revealing it: the hex of the first 16
// bytes of the SHA-256 of its identity (its value and the settings that make two keys with
// one value differ).
func keyIdentity(ident string) string {
	sum := sha256.Sum256([]byte(ident))
	return hex.EncodeToString(sum[:16])
}

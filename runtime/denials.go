package runtime

import (
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// Model denials.
//
// A provider answers 403 or 404 in two different senses: "this key is bad" (revoked,
// wrong, of a suspended account: 401 invalid_api_key, 403 for a region) and "this key may
// not use this model" (the project has no access to it, the Azure deployment or Bedrock
// model grant is missing, the model does not exist). The first cools the key for every
// model; the second says nothing about the key's other models, so it must not: one request
// for a forbidden model would otherwise cool every key it was retried on, and lock the
// whole provider out for the auth cooldown. modelDenied tells the second kind apart, and a
// denial table remembers the (key, model) pairs so refused, for the auth cooldown, so that
// later requests for that model try the provider's other keys first.

// denialSlots is the size of a provider's denial table, and denialProbes how many slots
// one (key, model) pair may sit in. The table is bounded: when its slots are taken, the
// denial that ends soonest is forgotten, which costs at most one more refused request.
const (
	denialSlots  = 64
	denialProbes = 8
)

// denial is one remembered (key, model) refusal. It is immutable once stored.
type denial struct {
	hash  uint64
	key   string // keyState.ident (never logged)
	model string // owned copy
	until int64  // unix ns
}

// denials is a provider's table of (key, model) refusals, shared by the snapshots that hold
// the provider, as key cooldowns are. Reads take no lock and allocate nothing; adding a
// denial (a rare event: one refused request) takes a lock and allocates one entry.
type denials struct {
	latest atomic.Int64 // the latest end of any denial (unix ns): past, the table is empty in effect
	slots  [denialSlots]atomic.Pointer[denial]
	mu     sync.Mutex // serialises add
}

// active reports whether any denial may still hold at now; when false, no lookup is needed.
func (d *denials) active(now int64) bool { return d != nil && d.latest.Load() > now }

// has reports whether the key with identity key (keyState.ident) and hash keyHash is denied model (whose hash is
// modelHash) at now.
func (d *denials) has(key string, keyHash uint64, model string, modelHash uint64, now int64) bool {
	h := pairHash(keyHash, modelHash)
	for j := uint64(0); j < denialProbes; j++ {
		e := d.slots[(h+j)%denialSlots].Load()
		if e == nil {
			return false // slots fill in probe order and never empty again
		}
		if e.hash == h && e.until > now && e.model == model && e.key == key {
			return true
		}
	}
	return false
}

// add remembers that key may not use model until until. It replaces an entry for the same
// pair, else takes an empty slot, else the one whose denial ends soonest (an expired one
// first).
func (d *denials) add(key string, keyHash uint64, model string, until int64) {
	h := pairHash(keyHash, hashString(model))
	d.mu.Lock()
	defer d.mu.Unlock()
	victim, victimUntil := -1, int64(0)
	for j := uint64(0); j < denialProbes; j++ {
		i := int((h + j) % denialSlots)
		e := d.slots[i].Load()
		if e == nil || e.hash == h && e.model == model && e.key == key {
			victim = i
			break
		}
		if victim < 0 || e.until < victimUntil {
			victim, victimUntil = i, e.until
		}
	}
	d.slots[victim].Store(&denial{hash: h, key: key, model: strings.Clone(model), until: until})
	if until > d.latest.Load() {
		d.latest.Store(until)
	}
}

// hashString is 64-bit FNV-1a; it allocates nothing.
func hashString(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// pairHash combines a key's and a model's hashes.
func pairHash(keyHash, modelHash uint64) uint64 {
	h := keyHash ^ (modelHash + 0x9e3779b97f4a7c15 + keyHash<<6 + keyHash>>2)
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	return h
}

// modelDenied reports whether an upstream 403 or 404, decoded into b, means "this key may
// not use this model" rather than "this key is bad". The shapes recognised:
//
//   - OpenAI and OpenAI-compatible providers: code "model_not_found" (403 "Project ... does
//     not have access to model ...", 404 "The model ... does not exist or you do not have
//     access to it").
//   - Anthropic: 404 not_found_error "model: ...".
//   - Azure OpenAI: 404 code "DeploymentNotFound".
//   - AWS Bedrock: 403 AccessDeniedException "You don't have access to the model with the
//     specified model ID.", and 404 ResourceNotFoundException about a model.
//   - Google Gemini and Vertex AI: 404 NOT_FOUND "models/... is not found ..." and
//     "Publisher Model ... was not found or your project does not have access to it".
//
// Other 403s (a revoked key, a region, Vertex PERMISSION_DENIED on the project) stay key
// failures. It allocates nothing.
func modelDenied(status int, b *schemas.ErrorBody) bool {
	if status != 403 && status != 404 {
		return false
	}
	code, msg := string(b.Code), b.Message
	switch code {
	case "model_not_found", "DeploymentNotFound":
		return true
	case "not_found_error", "NOT_FOUND", "ResourceNotFoundException":
		return status == 404 && containsFold(msg, "model")
	}
	for _, phrase := range deniedPhrases {
		if containsFold(msg, phrase) {
			return true
		}
	}
	return false
}

// deniedPhrases are messages that say a model is refused for the key, whatever the code.
var deniedPhrases = [...]string{
	"does not have access to model",
	"do not have access to it", // "The model ... does not exist or you do not have access to it."
	"have access to the model", // Bedrock's AccessDeniedException
	"does not have access to it",
	"deploymentnotfound",
}

// containsFold reports whether s contains sub, ignoring ASCII case; sub must be lower case.
// It allocates nothing.
func containsFold(s, sub string) bool {
	n := len(sub)
outer:
	for i := 0; i+n <= len(s); i++ {
		for j := 0; j < n; j++ {
			c := s[i+j]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if c != sub[j] {
				continue outer
			}
		}
		return true
	}
	return false
}

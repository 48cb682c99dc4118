package runtime

import (
	"strconv"
	"testing"
	"time"
)

// keysOf returns a provider whose keys have the given weights, all allowing every model.
func keysOf(weights ...float64) *providerState {
	p := &providerState{name: "p", stats: &providerStats{}, authCooldown: time.Minute, rateLimitCooldown: 5 * time.Second,
		denials: &denials{}}
	for i, w := range weights {
		id := "sk-" + strconv.Itoa(i)
		p.keys = append(p.keys, keyState{value: id, ident: id, hash: hashString(id), weight: w, cool: &keyCooldown{}})
	}
	return p
}

// TestPickKeyWeights: weights of 0 (a config built in Go may leave them so) never make
// pickKey panic or return an index out of range; a key is still chosen.
func TestPickKeyWeights(t *testing.T) {
	for _, weights := range [][]float64{{0}, {0, 0, 0}, {0, 1}, {1, 0}, {1e-300, 1e-300}} {
		p := keysOf(weights...)
		for i := 0; i < 100; i++ {
			k, _, _ := p.pickKey("m", -1, 0)
			if k < 0 || k >= len(weights) {
				t.Fatalf("weights %v: pickKey = %d", weights, k)
			}
		}
	}
}

// TestPickKeyCooldown: a cooling key is skipped until its cooldown ends; when every key
// allowed for the model cools, pickKey says so with the soonest end and whether all are for
// auth failures; a model no key allows gives noKeyForModel; the key to avoid is taken only
// when it is the one usable key.
func TestPickKeyCooldown(t *testing.T) {
	p := keysOf(1, 1)
	p.coolKey(0, 401, 0, 0) // auth: for a minute
	for i := 0; i < 50; i++ {
		if k, _, _ := p.pickKey("m", -1, int64(time.Second)); k != 1 {
			t.Fatalf("pickKey = %d while key 0 cools, want 1", k)
		}
	}
	if k, _, _ := p.pickKey("m", 1, int64(time.Second)); k != 1 {
		t.Errorf("avoiding the only usable key: pickKey = %d, want it anyway", k)
	}
	p.coolKey(1, 429, 2, 0) // Retry-After: 2 s
	k, soonest, auth := p.pickKey("m", -1, int64(time.Second))
	if k != allKeysCool || soonest != int64(2*time.Second) || auth {
		t.Errorf("all cooling: pickKey = %d, soonest %v, auth %v; want allKeysCool, 2s, false", k, time.Duration(soonest), auth)
	}
	if k, _, _ := p.pickKey("m", -1, int64(2*time.Second)); k != 1 {
		t.Errorf("after key 1's Retry-After: pickKey = %d, want 1", k)
	}
	q := keysOf(1)
	q.coolKey(0, 403, 0, 0)
	if k, _, auth := q.pickKey("m", -1, 1); k != allKeysCool || !auth {
		t.Errorf("one key refused: pickKey = %d, auth %v; want allKeysCool, true", k, auth)
	}
	if k, _, _ := q.pickKey("m", -1, int64(time.Minute)); k != 0 {
		t.Errorf("after the auth cooldown: pickKey = %d, want the key back", k)
	}
	r := keysOf(1)
	r.keys[0].models = []string{"other"}
	if k, _, _ := r.pickKey("m", -1, 0); k != noKeyForModel {
		t.Errorf("model not allowed: pickKey = %d, want noKeyForModel", k)
	}
	if got := p.stats.keyCooldowns.Load(); got != 2 {
		t.Errorf("keyCooldowns = %d, want 2", got)
	}
}

package runtime_test

import (
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
)

// TestSharedKeyCooldown: a key's cooldown after a 429 is told to the OnKeyCooldown
// function, naming the key without revealing it; CoolKey with that name cools the key on
// another engine, which then refuses at once without calling the provider.
func TestSharedKeyCooldown(t *testing.T) {
	up := serveMock(t, mocks.Config{FailFirst: []int{429}, RetryAfter: 30})
	cfg := `{"providers":{"openai":` + rigProvider(up.addr, 0, "") + `}}`
	a := newEngine(t, cfg, timeouts{}, runtime.Options{})
	b := newEngine(t, cfg, timeouts{}, runtime.Options{})
	type cool struct {
		provider, key string
		until         time.Time
		auth          bool
	}
	told := make(chan cool, 1)
	a.OnKeyCooldown(func(provider, key string, until time.Time, auth bool) { told <- cool{provider, key, until, auth} })
	c, err := rigChat(t, a, chatBody("openai/gpt-4o-mini", false), nil)
	if err == nil || err.Status != 429 { // err lives in c: read it before releasing c
		t.Fatalf("first request: %v, want the provider's 429", err)
	}
	a.ReleaseCall(c)
	got := <-told
	if got.provider != "openai" || len(got.key) != 32 || got.auth || time.Until(got.until) < 20*time.Second {
		t.Fatalf("told %+v", got)
	}
	if !b.CoolKey(got.provider, got.key, got.until, got.auth) || b.CoolKey("openai", "nope", got.until, false) || b.CoolKey("groq", got.key, got.until, false) {
		t.Fatal("CoolKey found the wrong keys")
	}
	c, err = rigChat(t, b, chatBody("openai/gpt-4o-mini", false), nil)
	if err == nil || string(err.Body.Code) != "all_keys_rate_limited" || up.requests() != 1 {
		t.Fatalf("engine b: %v, %d requests at the provider; want all_keys_rate_limited and 1", err, up.requests())
	}
	b.ReleaseCall(c)
}

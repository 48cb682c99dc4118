package runtime_test

import (
	"strconv"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
)

// threeKeys is a provider block with three keys for a mock at addr that takes any key,
// with max_retries retries and the given circuit_breaker block.
func threeKeys(addr string, retries int, breaker string) string {
	return `{"keys":[{"name":"a","value":"sk-key-a-0000000000000","weight":1},{"name":"b","value":"sk-key-b-0000000000000","weight":1},
		{"name":"c","value":"sk-key-c-0000000000000","weight":1}],
		"circuit_breaker":` + breaker + `,
		"network_config":{"base_url":"http://` + addr + `","max_retries":` + strconv.Itoa(retries) +
		`,"retry_backoff_initial":10,"retry_backoff_max":20}}`
}

// providerLoad returns the engine's load report for provider name.
func providerLoad(t *testing.T, e *runtime.Engine, name string) runtime.ProviderLoad {
	t.Helper()
	for _, l := range e.Load(nil) {
		if l.Name == name {
			return l
		}
	}
	t.Fatalf("no load for provider %s", name)
	return runtime.ProviderLoad{}
}

// TestModelDenialLocksNothingOut (issue 10, defect 2): a 403 model_not_found for one model
// ("Project ... does not have access to model ...") is final for that model and cools no
// key: with three keys and max_retries 2, the request tries each key once and gets the
// provider's 403; every other model is still served at once by any key; and a later request
// for the refused model costs one upstream request, not three.
func TestModelDenialLocksNothingOut(t *testing.T) {
	lc := newLeakCheck()
	up := serveMock(t, mocks.Config{RequireKey: "-", ModelStatus: map[string]int{"gpt-4-32k": 403}})
	e := newEngine(t, `{"providers":{"openai":`+threeKeys(up.addr, 2, `{"enabled":true}`)+`}}`, timeouts{}, runtime.Options{})

	c, err := rigChat(t, e, chatBody("openai/gpt-4-32k", false), nil)
	if err == nil || err.Status != 403 || string(err.Body.Code) != "model_not_found" || err.Retryable {
		t.Fatalf("refused model: %v, want the provider's final 403 model_not_found", err)
	}
	if c.Attempts != 3 {
		t.Errorf("refused model: %d attempts, want 3 (each key once)", c.Attempts)
	}
	e.ReleaseCall(c)
	if n := providerLoad(t, e, "openai").KeyCooldowns; n != 0 {
		t.Fatalf("%d keys put into cooldown by a refusal of one model, want 0", n)
	}
	for i := 0; i < 20; i++ {
		c, err := rigChat(t, e, chatBody(model, false), nil)
		if err != nil || c.Attempts != 1 {
			t.Fatalf("other model, request %d: %v after %d attempts; want 200 at once", i, err, c.Attempts)
		}
		e.ReleaseCall(c)
	}
	before := up.requests()
	c, err = rigChat(t, e, chatBody("openai/gpt-4-32k", false), nil)
	if err == nil || err.Status != 403 {
		t.Fatalf("refused model again: %v, want 403", err)
	}
	e.ReleaseCall(c)
	if n := up.requests() - before; n != 1 {
		t.Errorf("refused model again: %d upstream requests, want 1: every key is known to be refused", n)
	}
	if l := providerLoad(t, e, "openai"); l.KeyCooldowns != 0 || l.Breaker != runtime.BreakerClosed {
		t.Errorf("after the refusals: %d key cooldowns, breaker %d; want none, closed", l.KeyCooldowns, l.Breaker)
	}
	lc.done(t, e, up)
}

// TestBreakerCountsRequestsPerModel (issue 10, defect 2): the circuit breaker counts a
// request once, however many retries it made, and a model that fails does not open the
// breaker for the provider's healthy models. With the default breaker (min_requests 20,
// ratio 0.5) and max_retries 2, eight requests for a model that answers 500 (24 attempts)
// leave it closed; the healthy model is served throughout; twenty failed requests open the
// failing model's breaker only.
func TestBreakerCountsRequestsPerModel(t *testing.T) {
	lc := newLeakCheck()
	up := serveMock(t, mocks.Config{RequireKey: "-", ModelStatus: map[string]int{"gpt-bad": 500}})
	e := newEngine(t, `{"providers":{"openai":`+threeKeys(up.addr, 2, `{"enabled":true}`)+`}}`, timeouts{}, runtime.Options{})
	bad, good := chatBody("openai/gpt-bad", false), chatBody(model, false)
	// send returns a copy of the request's error (the Call's is reset on release).
	send := func(body string) (*runtime.Error, int) {
		t.Helper()
		c, err := rigChat(t, e, body, nil)
		defer e.ReleaseCall(c)
		if err != nil {
			cp := *err
			err = &cp
		}
		return err, c.Attempts
	}
	for i := 0; i < 8; i++ {
		if err, n := send(bad); err == nil || err.Status != 500 || n != 3 {
			t.Fatalf("failing model, request %d: %v after %d attempts; want 500 after 3", i, err, n)
		}
	}
	if st := providerLoad(t, e, "openai").Breaker; st != runtime.BreakerClosed {
		t.Fatalf("breaker state %d after 8 failed requests (24 attempts), want closed: min_requests is 20 requests", st)
	}
	if err, _ := send(good); err != nil {
		t.Fatalf("healthy model after 8 failed requests of another: %v", err)
	}
	for i := 8; i < 20; i++ {
		if err, _ := send(bad); err == nil || err.Status != 500 {
			t.Fatalf("failing model, request %d: %v, want 500", i, err)
		}
	}
	before := up.requests()
	if err, _ := send(bad); err == nil || err.Status != 503 || string(err.Body.Code) != "circuit_open" {
		t.Fatalf("failing model after 20 failed requests: %v, want 503 circuit_open", err)
	}
	if up.requests() != before {
		t.Error("a request for the failing model reached the provider while its breaker is open")
	}
	for i := 0; i < 5; i++ {
		if err, n := send(good); err != nil || n != 1 {
			t.Fatalf("healthy model while the failing model's breaker is open: %v after %d attempts", err, n)
		}
	}
	if st := providerLoad(t, e, "openai").Breaker; st != runtime.BreakerOpen {
		t.Errorf("gauge state %d, want open (the most open of the provider's models)", st)
	}
	lc.done(t, e, up)
}

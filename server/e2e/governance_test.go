package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/governance/redisstore"
	"github.com/bifrost-gw/bifrost/governance/redistest"
	"github.com/bifrost-gw/bifrost/mocks"
)

// TestGovernanceTwoReplicas runs two bifrost-http processes that share one redis-server,
// with the load split across them: a key's rpm limit and another key's budget hold in
// total, not per replica, and the usage API gives the same answer on both.
func TestGovernanceTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two gateways")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel) // after the gateways' own cleanup, which needs ctx alive
	redis := redistest.Start(t)
	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey})
	bin := buildGateway(t, ctx)

	// The budget key: input free, output 1 USD per million tokens, and max_tokens equal to
	// the mock's completion tokens, so that the worst case is the real cost.
	client := &http.Client{Timeout: 10 * time.Second}
	const budgetRequests, rpm, clients = 6, 10, 30
	// The bulk key's rpm has room for leases (governance.state.lease_ms): each replica
	// admits from its share until the shares come back.
	const bulkRPM, bulkClients = 200, 300
	writeCfg := func(completion int) string {
		budget := strconv.FormatFloat(float64(budgetRequests*completion)/1e6, 'f', -1, 64)
		cfg := `{"providers":{"openai":{"keys":[{"value":"` + mockKey + `","models":["*"],"weight":1}],
			"network_config":{"base_url":"` + mockURL + `"}}},
		  "governance":{"admin_keys":["adm-e2e-0123456789"],
		    "virtual_keys":[{"name":"rate","value":"vk-rate-0123456789","rpm":` + strconv.Itoa(rpm) + `},
		                    {"name":"budget","value":"vk-budget-0123456789","budget":{"daily_usd":` + budget + `}},
		                    {"name":"bulk","value":"vk-bulk-0123456789","rpm":` + strconv.Itoa(bulkRPM) + `}],
		    "prices":{"openai/gpt-4o-mini":{"input":0,"output":1}},
		    "state":{"url":"` + redis.URL + `","timeout_ms":500,"lease_ms":50}}}`
		path := filepath.Join(t.TempDir(), "config.json")
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	// One replica first, to learn the mock's completion tokens.
	probe := startBinary(t, ctx, bin, "-config", writeCfg(1), "-host", "127.0.0.1", "-port", "0", "-watch", "0")
	completion := completionTokens(t, client, probe, "vk-rate-0123456789")
	redis.Flush(t) // the probe's counters
	cfgPath := writeCfg(completion)
	urls := []string{
		startBinary(t, ctx, bin, "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "0"),
		startBinary(t, ctx, bin, "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "0"),
	}
	// rpm counts per UTC minute: do not start in a minute's last seconds.
	if s := time.Now().UTC().Second(); s >= 50 {
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	body := `{"model":"openai/gpt-4o-mini","max_tokens":` + strconv.Itoa(completion) + `,"messages":[{"role":"user","content":"hi"}]}`
	burst := func(key string, clients int) map[int]int {
		var mu sync.Mutex
		got := map[int]int{}
		var wg sync.WaitGroup
		var n atomic.Int64
		for i := 0; i < clients; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				url := urls[n.Add(1)%2] + "/v1/chat/completions"
				req, _ := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				readAll(t, resp)
				mu.Lock()
				got[resp.StatusCode]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return got
	}
	if got := burst("vk-rate-0123456789", clients); got[200] != rpm || got[429] != clients-rpm {
		t.Errorf("rpm %d over two replicas: %v", rpm, got)
	}
	if got := burst("vk-budget-0123456789", clients); got[200] != budgetRequests || got[429] != clients-budgetRequests {
		t.Errorf("budget for %d requests over two replicas: %v", budgetRequests, got)
	}
	// With leases, two replicas never pass the rpm together; what one holds unused goes
	// back within lease_ms, and then the rest of the minute's rpm is admitted, exactly.
	first := burst("vk-bulk-0123456789", bulkClients)
	if first[200] > bulkRPM || first[200] < bulkRPM-2*(bulkRPM/16) || first[200]+first[429] != bulkClients {
		t.Errorf("rpm %d over two replicas with leases: %v", bulkRPM, first)
	}
	time.Sleep(200 * time.Millisecond) // lease_ms, the report and its batch
	if got := burst("vk-bulk-0123456789", bulkClients); first[200]+got[200] != bulkRPM {
		t.Errorf("rpm %d over two replicas with leases, after they came back: %v then %v", bulkRPM, first, got)
	}
	// A replica settles in the background within a millisecond or so of its answers
	// (governance.state): ask both until they agree.
	var reports [2]string
	for deadline := time.Now().Add(2 * time.Second); ; {
		for i, u := range urls {
			req, _ := http.NewRequestWithContext(ctx, "GET", u+"/governance/usage", nil)
			req.Header.Set("Authorization", "Bearer adm-e2e-0123456789")
			resp, err := client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b := readAll(t, resp)
			if resp.StatusCode != 200 {
				t.Fatalf("usage API: %d %s", resp.StatusCode, b)
			}
			reports[i] = string(b)
		}
		if reports[0] == reports[1] && !strings.Contains(reports[0], `"in_flight":1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the replicas disagree:\n%s\n%s", reports[0], reports[1])
		}
		time.Sleep(10 * time.Millisecond)
	}
	var r struct {
		VirtualKeys []struct {
			Name     string `json:"name"`
			Requests int    `json:"requests_this_minute"`
			Budgets  []struct {
				SpentUSD     string `json:"spent_usd"`
				RemainingUSD string `json:"remaining_usd"`
			} `json:"budgets"`
		} `json:"virtual_keys"`
	}
	if err := json.Unmarshal([]byte(reports[0]), &r); err != nil {
		t.Fatal(err)
	}
	for _, k := range r.VirtualKeys {
		if k.Name == "budget" && (len(k.Budgets) != 1 || k.Budgets[0].RemainingUSD != "0.000000000") {
			t.Errorf("budget key: %+v", k)
		}
		if k.Name == "rate" && k.Requests != rpm {
			t.Errorf("rate key: %d requests this minute, want %d", k.Requests, rpm)
		}
		if k.Name == "bulk" && k.Requests != bulkRPM {
			t.Errorf("bulk key: %d requests this minute, want %d", k.Requests, bulkRPM)
		}
	}
}

// completionTokens sends one chat completion and returns its completion tokens.
func completionTokens(t *testing.T, c *http.Client, url, key string) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/v1/chat/completions", strings.NewReader(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b := readAll(t, resp)
	var r struct {
		Usage struct {
			CompletionTokens int `json:"completion_tokens"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(b, &r); err != nil || r.Usage.CompletionTokens == 0 {
		t.Fatalf("probe: %d %s %v", resp.StatusCode, b, err)
	}
	if resp.Header.Get("X-Bifrost-Cost-Usd") == "" {
		t.Errorf("no X-Bifrost-Cost-Usd")
	}
	return r.Usage.CompletionTokens
}

// TestGovernanceReload: bifrost-http applies a changed governance block on reload: a key
// removed from the file gets 401, a key whose rpm changed keeps its counters and gets the
// new limit at its next request, and removing the block turns governance off.
func TestGovernanceReload(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	write := func(gov string) {
		cfg := `{"providers":{"openai":{"keys":[{"value":"` + mockKey + `","models":["*"],"weight":1}],
			"network_config":{"base_url":"` + mockURL + `"}}}` + gov + `}`
		if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`,"governance":{"virtual_keys":[{"name":"a","value":"vk-a-0123456789","rpm":5},{"name":"b","value":"vk-b-0123456789"}]}`)
	g := launchBinary(t, ctx, buildGateway(t, ctx), "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "50ms")
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	send := func(key string) int {
		req, _ := http.NewRequestWithContext(ctx, "POST", g.url+"/v1/chat/completions",
			strings.NewReader(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		readAll(t, resp)
		return resp.StatusCode
	}
	if s := time.Now().UTC().Second(); s >= 50 { // rpm counts per UTC minute
		time.Sleep(time.Duration(61-s) * time.Second)
	}
	for i, want := range []int{200, 200, 200} {
		if got := send("vk-a-0123456789"); got != want {
			t.Fatalf("request %d of a: %d", i, got)
		}
	}
	if got := send("vk-b-0123456789"); got != 200 {
		t.Fatalf("b: %d", got)
	}
	time.Sleep(20 * time.Millisecond) // a new modification time
	write(`,"governance":{"virtual_keys":[{"name":"a","value":"vk-a-0123456789","rpm":4}]}`)
	waitLog(t, g, "config reloaded", 1)
	if got := send("vk-b-0123456789"); got != 401 {
		t.Errorf("removed key b: %d, want 401", got)
	}
	if got := send("vk-a-0123456789"); got != 200 {
		t.Errorf("a's 4th request under rpm 4: %d", got)
	}
	if got := send("vk-a-0123456789"); got != 429 {
		t.Errorf("a's 5th request under rpm 4 (counters kept): %d, want 429", got)
	}
	time.Sleep(20 * time.Millisecond)
	write(``)
	waitLog(t, g, "config reloaded", 2)
	if got := send(""); got != 200 {
		t.Errorf("governance removed: %d, want 200", got)
	}
}

// TestGovernanceSharedKeyCooldown: two replicas sharing a Redis state share provider key
// cooldowns: the 429 that one replica gets from the provider cools the key on the other,
// which then answers all_keys_rate_limited without calling the provider.
func TestGovernanceSharedKeyCooldown(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two gateways")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	redis := redistest.Start(t)
	mock, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, FailFirst: []int{429}, RetryAfter: 60})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	cfg := `{"providers":{"openai":{"keys":[{"value":"` + mockKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"` + mockURL + `"}}},
	  "governance":{"virtual_keys":[{"name":"a","value":"vk-a-0123456789"}],"state":{"url":"` + redis.URL + `","timeout_ms":500}}}`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := buildGateway(t, ctx)
	a := startBinary(t, ctx, bin, "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "0")
	b := startBinary(t, ctx, bin, "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "0")
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	send := func(url string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, "POST", url+"/v1/chat/completions",
			strings.NewReader(`{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer vk-a-0123456789")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(readAll(t, resp))
	}
	// Both replicas subscribe to the cooldowns in the background as they start: wait
	// until Redis has both subscriptions, or a cooldown published before is lost.
	for deadline := time.Now().Add(5 * time.Second); subscribers(t, redis.Addr) < 2; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the replicas did not subscribe to the key cooldowns")
		}
	}
	if status, body := send(a); status != 429 {
		t.Fatalf("replica a, provider's 429: %d %s", status, body)
	}
	// The cooldown reaches b through Redis's pub/sub: poll b, which must not call the
	// provider once it knows.
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, body := send(b)
		if status == 429 && strings.Contains(body, "all_keys_rate_limited") {
			break
		}
		if status == 200 || time.Now().After(deadline) {
			t.Fatalf("replica b did not learn the cooldown: %d %s", status, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n := mock.Stats().Requests["/v1/chat/completions"]; n != 1 {
		t.Errorf("the provider got %d requests, want 1 (the one that got 429)", n)
	}
}

// TestCacheSharedThroughRedis: two replicas whose cache plugin stores in one redis-server
// share the cache: an answer cached by one is served by the other without the provider.
func TestCacheSharedThroughRedis(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs two gateways")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	redis := redistest.Start(t)
	mock, mockURL := startMock(t, mocks.Config{RequireKey: mockKey})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	cfg := `{"providers":{"openai":{"keys":[{"value":"` + mockKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"` + mockURL + `"}}},
	  "plugins":[{"name":"cache","config":{"ttl_seconds":60,"redis_url":"` + redis.URL + `","redis_timeout_ms":500}}]}`
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := buildGateway(t, ctx)
	urls := []string{
		startBinary(t, ctx, bin, "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "0"),
		startBinary(t, ctx, bin, "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-watch", "0"),
	}
	client := &http.Client{Timeout: 10 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	body := `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"the same question"}]}`
	var answers [2]string
	for i, u := range urls {
		resp, b := post(t, client, u+"/v1/chat/completions", body)
		if resp.StatusCode != 200 {
			t.Fatalf("replica %d: %d %s", i, resp.StatusCode, b)
		}
		if hit := resp.Header.Get("X-Bifrost-Short-Circuit") == "cache"; hit != (i == 1) {
			t.Errorf("replica %d: cache hit %v", i, hit)
		}
		answers[i] = string(b)
	}
	if answers[0] != answers[1] {
		t.Errorf("the replicas answered differently:\n%s\n%s", answers[0], answers[1])
	}
	if n := mock.Stats().Requests["/v1/chat/completions"]; n != 1 {
		t.Errorf("the provider got %d requests, want 1", n)
	}
}

// subscribers returns the number of subscriptions to the key cooldowns' channel, asked
// over Redis's plain protocol (PUBSUB NUMSUB).
func subscribers(t *testing.T, addr string) int {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second)) //nolint:errcheck
	ch := redisstore.CooldownChannel
	if _, err := fmt.Fprintf(c, "*3\r\n$6\r\nPUBSUB\r\n$6\r\nNUMSUB\r\n$%d\r\n%s\r\n", len(ch), ch); err != nil {
		t.Fatal(err)
	}
	// The reply: *2 $<len> <channel> :<count>
	r := bufio.NewReader(c)
	var last string
	for i := 0; i < 4; i++ {
		if last, err = r.ReadString('\n'); err != nil {
			t.Fatal(err)
		}
	}
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(last, ":")))
	if err != nil {
		t.Fatalf("PUBSUB NUMSUB: %q", last)
	}
	return n
}

package grpcapi

import (
	"context"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/governance/memstore"
	"github.com/bifrost-gw/bifrost/mocks"
	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// TestGovernance checks virtual keys over gRPC: the key from metadata, a model the key may
// not use (PermissionDenied), the key's rpm (ResourceExhausted with Retry-After), and a
// stream settled from the usage the gateway asked for while the client did not.
func TestGovernance(t *testing.T) {
	cfgJSON := `{"providers":{"openai":{"keys":[{"value":"` + mockKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory","max_retries":0}}},
		"governance":{"virtual_keys":[{"name":"alice","value":"vk-alice-1","rpm":3},{"name":"bob","value":"vk-bob-1","models":["openai/gpt-4o"]}]}}`
	r := newRig(t, mocks.Config{}, cfgJSON)
	cfg, err := config.Parse("gov.json", []byte(cfgJSON), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 12, 0, 30, 0, time.UTC)
	g := governance.New(memstore.New(func() time.Time { return at }))
	if err := g.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	r.srv.SetGovernor(g)
	key := func(k string) context.Context {
		return metadata.AppendToOutgoingContext(context.Background(), "x-api-key", k)
	}

	if _, err := r.client.ChatCompletion(key("vk-nobody"), chatReq("openai/gpt-4o-mini")); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("unknown virtual key: %v", err)
	}
	_, err = r.client.ChatCompletion(key("vk-bob-1"), chatReq("openai/gpt-4o-mini"))
	if info := errorInfo(err); status.Code(err) != codes.PermissionDenied || info.GetCode() != "model_not_allowed" {
		t.Fatalf("model not allowed: %v", err)
	}
	if _, err := r.client.ChatCompletion(key("vk-alice-1"), chatReq("openai/gpt-4o-mini")); err != nil {
		t.Fatal(err)
	}
	st, err := r.client.ChatCompletionStream(key("vk-alice-1"), chatReq("openai/gpt-4o-mini"))
	if err != nil {
		t.Fatal(err)
	}
	for {
		ch, err := st.Recv()
		if err != nil {
			break
		}
		if ch.Usage != nil {
			t.Fatal("a usage chunk the client did not ask for was sent")
		}
	}
	if _, err := r.client.ChatCompletion(key("vk-alice-1"), chatReq("openai/gpt-4o-mini")); err != nil {
		t.Fatal(err)
	}
	_, err = r.client.ChatCompletion(key("vk-alice-1"), chatReq("openai/gpt-4o-mini"))
	if info := errorInfo(err); status.Code(err) != codes.ResourceExhausted || info.GetHttpStatus() != 429 || info.GetRetryAfterSeconds() < 1 {
		t.Fatalf("over rpm: %v (%v)", err, info)
	}
}

func errorInfo(err error) *pb.ErrorInfo {
	for _, d := range status.Convert(err).Details() {
		if i, ok := d.(*pb.ErrorInfo); ok {
			return i
		}
	}
	return nil
}

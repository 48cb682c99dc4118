package grpcapi

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/valyala/fasthttp/fasthttputil"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"
	"google.golang.org/protobuf/types/known/structpb"
)

const mockKey = "sk-grpcapi-test-0123456789"

// rig is the gateway in one process: the gRPC service over an in-memory connection, the
// engine, and the mock provider over another.
type rig struct {
	client pb.BifrostClient
	conn   *grpc.ClientConn
	mock   *mocks.Server
	srv    *server.Server
}

// newRig starts the mock and the gateway. cfgJSON's "%MOCK%" is the mock's base URL; an
// empty cfgJSON is one OpenAI provider without retries.
func newRig(tb testing.TB, mockCfg mocks.Config, cfgJSON string) *rig {
	tb.Helper()
	srv, m := newGateway(tb, mockCfg, cfgJSON)
	gs, _ := NewServer(New(srv))
	ln := bufconn.Listen(1 << 20)
	go gs.Serve(ln) //nolint:errcheck // ends with Stop
	conn, err := grpc.NewClient("passthrough:///bufnet",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return ln.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		conn.Close()
		gs.Stop()
	})
	return &rig{client: pb.NewBifrostClient(conn), conn: conn, mock: m, srv: srv}
}

// newGateway starts the mock, in memory, and the gateway's server in front of it, stopped
// at the test's end.
func newGateway(tb testing.TB, mockCfg mocks.Config, cfgJSON string) (*server.Server, *mocks.Server) {
	tb.Helper()
	mockCfg.RequireKey = mockKey
	m, err := mocks.New(mockCfg)
	if err != nil {
		tb.Fatal(err)
	}
	mln := fasthttputil.NewInmemoryListener()
	go m.Serve(mln) //nolint:errcheck // ends when the listener closes
	if cfgJSON == "" {
		cfgJSON = `{"providers":{"openai":{"keys":[{"value":"` + mockKey + `","models":["*"],"weight":1}],
			"network_config":{"base_url":"http://mock.inmemory","max_retries":0}}}}`
	}
	cfg, err := config.Parse("grpc.json", []byte(cfgJSON), func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(),
		Dial: func(string) (net.Conn, error) { return mln.Dial() }})
	if err != nil {
		tb.Fatal(err)
	}
	srv := server.New(engine, nil)
	srv.Configure(cfg.Client)
	tb.Cleanup(func() {
		engine.Close()
		m.Close() //nolint:errcheck
		mln.Close()
	})
	return srv, m
}

func chatReq(model string) *pb.ChatCompletionRequest {
	return &pb.ChatCompletionRequest{Model: model, Messages: []*pb.ChatMessage{
		{Role: "system", Content: "Be brief."}, {Role: "user", Content: "Say hello."}}}
}

func TestChatUnary(t *testing.T) {
	r := newRig(t, mocks.Config{Record: true}, "")
	temp := 0.5
	req := chatReq("openai/gpt-4o-mini")
	req.Temperature = &temp
	req.Extra, _ = structpb.NewStruct(map[string]any{"metadata": map[string]any{"team": "a"}, "temperature": 1.5})
	resp, err := r.client.ChatCompletion(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Choices) != 1 || resp.Choices[0].Message.GetContent() == "" || resp.Choices[0].Message.GetRole() != "assistant" {
		t.Fatalf("bad response %v", resp)
	}
	if resp.Object != "chat.completion" || resp.Provider != "openai" || resp.Usage.GetTotalTokens() == 0 || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("bad response %v", resp)
	}
	n, err := testutil.GatherAndCount(r.srv.Metrics().Registry(), "bifrost_requests_total")
	if err != nil || n != 1 {
		t.Fatalf("bifrost_requests_total has %d series (%v), want 1", n, err)
	}
	if v := requestsOf(t, r, "grpc"); v != 1 {
		t.Fatalf(`bifrost_requests_total{transport="grpc"} = %v, want 1`, v)
	}
	body := string(r.mock.Requests()[0].Body)
	// The named member wins over extra's; extra's other members pass through.
	for _, want := range []string{`"temperature":0.5`, `"metadata":{"team":"a"}`, `"content":"Say hello."`} {
		if !strings.Contains(body, want) {
			t.Errorf("upstream body lacks %s: %s", want, body)
		}
	}
}

// requestsOf returns the bifrost_requests_total count of the series with transport.
func requestsOf(t *testing.T, r *rig, transport string) float64 {
	t.Helper()
	mfs, err := r.srv.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "bifrost_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "transport" && l.GetValue() == transport {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	t.Fatalf("no bifrost_requests_total series with transport %q", transport)
	return 0
}

func TestChatStream(t *testing.T) {
	r := newRig(t, mocks.Config{StreamChunks: 5}, "")
	for _, usage := range []bool{false, true} {
		req := chatReq("openai/gpt-4o-mini")
		req.IncludeUsage = usage
		st, err := r.client.ChatCompletionStream(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		var content, finish string
		chunks, gotUsage := 0, false
		for {
			ch, err := st.Recv()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			chunks++
			if ch.Object != "chat.completion.chunk" {
				t.Fatalf("bad chunk %v", ch)
			}
			for _, c := range ch.Choices {
				content += c.Delta.GetContent()
				if c.FinishReason != "" {
					finish = c.FinishReason
				}
			}
			gotUsage = gotUsage || ch.Usage.GetTotalTokens() > 0
		}
		if chunks < 5 || content == "" || finish != "stop" || gotUsage != usage {
			t.Fatalf("include_usage %v: %d chunks, content %q, finish %q, usage %v", usage, chunks, content, finish, gotUsage)
		}
	}
}

func TestTextAndEmbeddingAndModels(t *testing.T) {
	r := newRig(t, mocks.Config{EmbeddingDimensions: 8}, "")
	ctx := context.Background()
	tr, err := r.client.TextCompletion(ctx, &pb.TextCompletionRequest{Model: "openai/gpt-3.5-turbo-instruct", Prompt: []string{"Once"}})
	if err != nil || len(tr.Choices) != 1 || tr.Choices[0].Text == "" {
		t.Fatalf("text: %v %v", tr, err)
	}
	ts, err := r.client.TextCompletionStream(ctx, &pb.TextCompletionRequest{Model: "openai/gpt-3.5-turbo-instruct", Prompt: []string{"Once"}})
	if err != nil {
		t.Fatal(err)
	}
	text := ""
	for {
		ch, err := ts.Recv()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		for _, c := range ch.Choices {
			text += c.Text
		}
	}
	if text == "" {
		t.Fatal("text stream: no text")
	}
	er, err := r.client.Embedding(ctx, &pb.EmbeddingRequest{Model: "openai/text-embedding-3-small", Input: []string{"a", "b"}})
	if err != nil || len(er.Data) != 2 || len(er.Data[1].Embedding) != 8 || er.Data[1].Index != 1 {
		t.Fatalf("embeddings: %v %v", er, err)
	}
	mr, err := r.client.ListModels(ctx, &pb.ListModelsRequest{})
	if err != nil || len(mr.Data) == 0 || !strings.HasPrefix(mr.Data[0].Id, "openai/") {
		t.Fatalf("models: %v %v", mr, err)
	}
}

// TestErrors checks one error of each class: its status code and its ErrorInfo.
func TestErrors(t *testing.T) {
	cfg := `{"client":{"api_keys":["gw-key-1"]},"providers":{"openai":{"keys":[{"value":"` + mockKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory","max_retries":0}}}}`
	mockCfg := mocks.Config{ModelStatus: map[string]int{"m429": 429, "m503": 503, "m500": 500, "m504": 504, "m403": 403}}
	auth := metadata.Pairs("authorization", "Bearer gw-key-1")
	tests := []struct {
		name     string
		md       metadata.MD
		req      *pb.ChatCompletionRequest
		code     codes.Code
		errType  string
		errCode  string
		httpCode int32
	}{
		{"no key", nil, chatReq("openai/gpt-4o-mini"), codes.Unauthenticated, "invalid_request_error", "invalid_api_key", 401},
		{"wrong key", metadata.Pairs("x-api-key", "nope"), chatReq("openai/gpt-4o-mini"), codes.Unauthenticated, "invalid_request_error", "invalid_api_key", 401},
		{"no messages", auth, &pb.ChatCompletionRequest{Model: "openai/gpt-4o-mini"}, codes.InvalidArgument, "invalid_request_error", "missing_required_parameter", 400},
		{"unknown provider", auth, chatReq("nosuch/model"), codes.NotFound, "invalid_request_error", "unknown_provider", 400},
		{"unknown model", auth, chatReq("gpt-nothing"), codes.NotFound, "invalid_request_error", "unknown_model", 400},
		{"direct key refused", metadata.Pairs("x-api-key", "gw-key-1", "x-bf-provider-key", "sk-x"), chatReq("openai/gpt-4o-mini"), codes.PermissionDenied, "permission_error", "direct_keys_not_allowed", 403},
		{"model without access", auth, chatReq("openai/m403"), codes.NotFound, "", "model_not_found", 403},
		{"rate limited", auth, chatReq("openai/m429"), codes.ResourceExhausted, "", "", 429},
		{"overloaded", auth, chatReq("openai/m503"), codes.Unavailable, "", "", 503},
		{"upstream 500", auth, chatReq("openai/m500"), codes.Internal, "", "", 500},
		{"upstream timeout", auth, chatReq("openai/m504"), codes.DeadlineExceeded, "", "", 504},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, mockCfg, cfg) // its own: a failure cools the key down
			ctx := metadata.NewOutgoingContext(context.Background(), tt.md)
			_, err := r.client.ChatCompletion(ctx, tt.req)
			st := status.Convert(err)
			if st.Code() != tt.code {
				t.Fatalf("code %v (%v), want %v", st.Code(), err, tt.code)
			}
			var info *pb.ErrorInfo
			for _, d := range st.Details() {
				if i, ok := d.(*pb.ErrorInfo); ok {
					info = i
				}
			}
			if info == nil || info.HttpStatus != tt.httpCode || tt.errType != "" && info.Type != tt.errType || tt.errCode != "" && info.Code != tt.errCode {
				t.Fatalf("details %v, want type %q code %q http %d", info, tt.errType, tt.errCode, tt.httpCode)
			}
			if strings.Contains(st.Message(), mockKey) || strings.Contains(st.Message(), "gw-key-1") {
				t.Fatalf("a key in the message: %s", st.Message())
			}
		})
	}
	r := newRig(t, mockCfg, cfg)
	if _, err := r.client.ListModels(context.Background(), &pb.ListModelsRequest{}); status.Code(err) != codes.Unauthenticated {
		t.Fatalf("models without a key: %v", err)
	}
}

// TestDeadline: a client deadline that passes while the provider works ends the call with
// DeadlineExceeded, and the call is released (the upstream request given up).
func TestDeadline(t *testing.T) {
	r := newRig(t, mocks.Config{Latency: 3 * time.Second}, "")
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := r.client.ChatCompletion(ctx, chatReq("openai/gpt-4o-mini")); status.Code(err) != codes.DeadlineExceeded {
		t.Fatalf("got %v, want DeadlineExceeded", err)
	}
	for deadline := time.Now().Add(2 * time.Second); r.srv.Engine().OutstandingCalls() != 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the call was not released within 2s of its deadline (the provider's latency is 3s)")
		}
	}
}

package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// grpcKey is the gateway key of the gRPC tests' config.
const grpcKey = "gw-grpc-e2e-key-1"

var grpcAddr = regexp.MustCompile(`addr=grpc://(127\.0\.0\.1:[0-9]+)`)

// slowUpstream is an OpenAI-compatible provider whose streams send a chunk every gap:
// model "endless" never ends, any other sends chunks content chunks and finishes. It
// counts the streams whose client (the gateway) went away before the end.
type slowUpstream struct {
	gap       time.Duration
	chunks    int
	cancelled atomic.Int64
	open      atomic.Int64
}

func (u *slowUpstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	endless := strings.Contains(string(body), `"model":"endless"`)
	w.Header().Set("Content-Type", "text/event-stream")
	u.open.Add(1)
	defer u.open.Add(-1)
	chunk := `data: {"id":"slow-1","object":"chat.completion.chunk","created":1,"model":"slow","choices":[{"index":0,"delta":{"content":"%s"},"finish_reason":%s}]}` + "\n\n"
	for i := 0; endless || i < u.chunks; i++ {
		fmt.Fprintf(w, chunk, "w"+strconv.Itoa(i)+" ", "null")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			u.cancelled.Add(1)
			return
		case <-time.After(u.gap):
		}
	}
	fmt.Fprintf(w, chunk, "", `"stop"`)
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// grpcGateway runs the built gateway with -grpc-port 0 on cfgPath and returns the process
// and a client of its gRPC API.
func grpcGateway(t *testing.T, cfgPath string) (*gatewayProc, pb.BifrostClient, *grpc.ClientConn) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the gateway; skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	g := launchBinary(t, ctx, buildGateway(t, ctx), "-config", cfgPath, "-host", "127.0.0.1", "-port", "0", "-grpc-port", "0", "-watch", "0")
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == ""; time.Sleep(20 * time.Millisecond) {
		if m := grpcAddr.FindStringSubmatch(g.logs.String()); m != nil {
			addr = m[1]
		} else if time.Now().After(deadline) {
			t.Fatalf("no grpc listening line:\n%s", g.logs.String())
		}
	}
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return g, pb.NewBifrostClient(conn), conn
}

func grpcConfig(mockURL, slowURL string, keys ...string) string {
	return `{"client":{"api_keys":["` + strings.Join(keys, `","`) + `"]},"providers":{` +
		`"openai":{"keys":[{"value":"` + mockKey + `","models":["*"],"weight":1}],"network_config":{"base_url":"` + mockURL + `","max_retries":0}},` +
		`"cerebras":{"keys":[{"value":"` + mockKey + `","models":["*"],"weight":1}],"network_config":{"base_url":"` + mockURL + `","max_retries":0}},` +
		`"groq":{"keys":[{"value":"gsk-slow","models":["*"],"weight":1}],"network_config":{"base_url":"` + slowURL + `","max_retries":0,"stream_idle_timeout_in_seconds":30}}}}`
}

func withKey(key string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+key)
}

func userChat(model string) *pb.ChatCompletionRequest {
	return &pb.ChatCompletionRequest{Model: model, Messages: []*pb.ChatMessage{{Role: "user", Content: "hello"}}}
}

// readStream reads a chat stream to its end and returns its content and finish reason.
func readStream(st grpc.ServerStreamingClient[pb.ChatCompletionChunk]) (string, string, error) {
	var content, finish string
	for {
		ch, err := st.Recv()
		if errors.Is(err, io.EOF) {
			return content, finish, nil
		}
		if err != nil {
			return content, finish, err
		}
		for _, c := range ch.Choices {
			content += c.Delta.GetContent()
			if c.FinishReason != "" {
				finish = c.FinishReason
			}
		}
	}
}

// TestGRPC runs the gRPC API of the built gateway with the generated client: unary and
// streamed chat, embeddings, models, errors with their status codes, a client that
// cancels a stream (the upstream stream is closed), a reload during streams, and
// grpcurl through reflection.
func TestGRPC(t *testing.T) {
	_, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, StreamChunks: 4, EmbeddingDimensions: 4,
		ModelStatus: map[string]int{"m429": 429}})
	slow := &slowUpstream{gap: 30 * time.Millisecond, chunks: 10}
	up := httptest.NewServer(slow)
	t.Cleanup(up.Close)
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgPath, []byte(grpcConfig(mockURL, up.URL, grpcKey)), 0o644); err != nil {
		t.Fatal(err)
	}
	g, client, conn := grpcGateway(t, cfgPath)
	ctx := withKey(grpcKey)

	t.Run("unary and streamed chat, embeddings, models", func(t *testing.T) {
		resp, err := client.ChatCompletion(ctx, userChat("openai/gpt-4o-mini"))
		if err != nil || resp.Choices[0].Message.GetContent() == "" || resp.Usage.GetTotalTokens() == 0 {
			t.Fatalf("chat: %v %v", resp, err)
		}
		st, err := client.ChatCompletionStream(ctx, userChat("openai/gpt-4o-mini"))
		if err != nil {
			t.Fatal(err)
		}
		if content, finish, err := readStream(st); err != nil || content == "" || finish != "stop" {
			t.Fatalf("stream: %q %q %v", content, finish, err)
		}
		er, err := client.Embedding(ctx, &pb.EmbeddingRequest{Model: "openai/text-embedding-3-small", Input: []string{"x"}})
		if err != nil || len(er.Data) != 1 || len(er.Data[0].Embedding) != 4 {
			t.Fatalf("embeddings: %v %v", er, err)
		}
		mr, err := client.ListModels(ctx, &pb.ListModelsRequest{})
		if err != nil || len(mr.Data) == 0 {
			t.Fatalf("models: %v %v", mr, err)
		}
		hr, err := healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
		if err != nil || hr.Status != healthpb.HealthCheckResponse_SERVING {
			t.Fatalf("health: %v %v", hr, err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		for _, tt := range []struct {
			ctx  context.Context
			req  *pb.ChatCompletionRequest
			code codes.Code
		}{
			{context.Background(), userChat("openai/gpt-4o-mini"), codes.Unauthenticated},
			{ctx, &pb.ChatCompletionRequest{Model: "openai/gpt-4o-mini"}, codes.InvalidArgument},
			{ctx, userChat("nosuch-model"), codes.NotFound},
			{ctx, userChat("cerebras/m429"), codes.ResourceExhausted}, // cools cerebras's only key down
		} {
			_, err := client.ChatCompletion(tt.ctx, tt.req)
			st := status.Convert(err)
			if st.Code() != tt.code || len(st.Details()) != 1 {
				t.Errorf("%s: %v, want %v with ErrorInfo", tt.req.Model, err, tt.code)
			}
		}
	})

	t.Run("client cancels a stream", func(t *testing.T) {
		before := slow.cancelled.Load()
		sctx, cancel := context.WithCancel(ctx)
		st, err := client.ChatCompletionStream(sctx, userChat("groq/endless"))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if _, err := st.Recv(); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		for deadline := time.Now().Add(10 * time.Second); slow.cancelled.Load() == before; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the upstream stream was not cancelled within 10s of the client's cancel")
			}
		}
	})

	t.Run("reload during streams", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 3)
		started := make(chan struct{}, 3)
		for i := 0; i < 3; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				st, err := client.ChatCompletionStream(ctx, userChat("groq/slow"))
				if err != nil {
					errs <- err
					return
				}
				first, err := st.Recv()
				started <- struct{}{}
				if err != nil {
					errs <- err
					return
				}
				content, finish, err := readStream(st)
				content = first.Choices[0].Delta.GetContent() + content
				if err != nil || finish != "stop" || !strings.Contains(content, "w9 ") {
					errs <- fmt.Errorf("stream cut by the reload: %q %q %v", content, finish, err)
				}
			}()
		}
		for i := 0; i < 3; i++ {
			<-started
		}
		if err := os.WriteFile(cfgPath, []byte(grpcConfig(mockURL, up.URL, grpcKey, "gw-grpc-e2e-key-2")), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := g.cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitLog(t, g, "config reloaded", 1)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if _, err := client.ChatCompletion(withKey("gw-grpc-e2e-key-2"), userChat("openai/gpt-4o-mini")); err != nil {
			t.Fatalf("the reloaded config's new key: %v", err)
		}
	})

	t.Run("grpcurl through reflection", func(t *testing.T) { grpcurlReflection(t, conn.Target()) })

	t.Run("shutdown drains a stream", func(t *testing.T) {
		st, err := client.ChatCompletionStream(ctx, userChat("groq/slow"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Recv(); err != nil {
			t.Fatal(err)
		}
		if err := g.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		if _, finish, err := readStream(st); err != nil || finish != "stop" {
			t.Fatalf("the stream was cut by shutdown: %q %v", finish, err)
		}
		select {
		case <-g.done:
			if g.err != nil {
				t.Fatalf("exit: %v", g.err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("the gateway did not exit within 15s of SIGTERM")
		}
	})
}

// grpcurlVersion is the grpcurl built for the reflection test.
const grpcurlVersion = "github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.4"

// grpcurlReflection lists the services and calls ChatCompletion with grpcurl, which knows
// the API only through server reflection.
func grpcurlReflection(t *testing.T, addr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dir := t.TempDir()
	build := exec.CommandContext(ctx, goTool(t), "install", grpcurlVersion)
	build.Env = append(childEnv(), "GOBIN="+dir)
	if out, err := build.CombinedOutput(); err != nil {
		t.Skipf("grpcurl could not be built (%v), so the reflection test does not run:\n%s", err, out)
	}
	bin := filepath.Join(dir, "grpcurl")
	out, err := exec.CommandContext(ctx, bin, "-plaintext", addr, "list").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "bifrost.v1.Bifrost") || !strings.Contains(string(out), "grpc.health.v1.Health") {
		t.Fatalf("grpcurl list: %v\n%s", err, out)
	}
	out, err = exec.CommandContext(ctx, bin, "-plaintext", "-H", "authorization: Bearer "+grpcKey,
		"-d", `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}`,
		addr, "bifrost.v1.Bifrost/ChatCompletion").CombinedOutput()
	if err != nil || !strings.Contains(string(out), `"object": "chat.completion"`) {
		t.Fatalf("grpcurl ChatCompletion: %v\n%s", err, out)
	}
	out, _ = exec.CommandContext(ctx, bin, "-plaintext", "-d", `{"model":"openai/gpt-4o-mini"}`, addr, "bifrost.v1.Bifrost/ChatCompletion").CombinedOutput()
	if !strings.Contains(string(out), "Unauthenticated") {
		t.Fatalf("grpcurl without a key: want Unauthenticated, got\n%s", out)
	}
}

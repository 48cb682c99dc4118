package grpcapi

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
)

// These tests hold the gRPC port to the HTTP port's limits: the connection caps, the
// stream write timeout and the request size limit, each as a reload sets it.

// tcpRig is the gateway serving HTTP and gRPC on local TCP ports, wired as bifrost-http
// wires them: the gRPC listener joined to HTTP's, the connection closer set.
type tcpRig struct {
	srv      *server.Server
	grpcAddr string
	httpAddr string
}

func newTCPRig(t *testing.T, mockCfg mocks.Config, client config.Client) *tcpRig {
	t.Helper()
	srv, _ := newGateway(t, mockCfg, "")
	srv.Configure(client)
	htcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hln := srv.Listen(htcp)
	hs := srv.NewHTTPServer(0)
	go hs.Serve(hln) //nolint:errcheck // ends at Shutdown
	gtcp, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gln := hln.Join(gtcp)
	svc := New(srv)
	svc.SetConnCloser(gln.CloseConn)
	gs, _ := NewServer(svc)
	go gs.Serve(gln) //nolint:errcheck // ends at Stop
	t.Cleanup(func() {
		gs.Stop()
		hs.Shutdown() //nolint:errcheck
	})
	return &tcpRig{srv: srv, grpcAddr: gtcp.Addr().String(), httpAddr: htcp.Addr().String()}
}

// dial opens a client connection of its own to the gRPC port.
func (r *tcpRig) dial(t *testing.T, opts ...grpc.DialOption) pb.BifrostClient {
	t.Helper()
	conn, err := grpc.NewClient(r.grpcAddr, append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return pb.NewBifrostClient(conn)
}

// TestConnectionCapsShared: gRPC's connections count with HTTP's under
// client.max_connections; one over the cap is closed (Unavailable), on either port, and a
// reload that raises the cap lets a new one in.
func TestConnectionCapsShared(t *testing.T) {
	r := newTCPRig(t, mocks.Config{}, config.Client{MaxConnections: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := r.dial(t).ChatCompletion(ctx, chatReq("openai/gpt-4o-mini")); err != nil {
		t.Fatalf("the first connection: %v", err)
	}
	// HTTP finds the cap taken by the gRPC connection.
	c, err := net.Dial("tcp", r.httpAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil || resp.StatusCode != 503 {
		t.Fatalf("HTTP over the shared cap: %v %v, want 503", resp, err)
	}
	resp.Body.Close()
	// So does a second gRPC client.
	_, err = r.dial(t).ChatCompletion(ctx, chatReq("openai/gpt-4o-mini"))
	if status.Code(err) != codes.Unavailable {
		t.Fatalf("a second gRPC connection over the cap: %v, want Unavailable", err)
	}
	r.srv.Configure(config.Client{MaxConnections: 3}) // a reload
	if _, err := r.dial(t).ChatCompletion(ctx, chatReq("openai/gpt-4o-mini")); err != nil {
		t.Fatalf("after the cap was raised: %v", err)
	}
}

// TestStreamWriteTimeout: a client that stops reading a stream has its connection closed
// after client.stream_write_timeout_in_seconds, and the stream ends (status 499), freeing
// its upstream stream, as on HTTP.
func TestStreamWriteTimeout(t *testing.T) {
	r := newTCPRig(t, mocks.Config{ResponseSize: "1024kb", StreamChunks: 1000},
		config.Client{StreamWriteTimeout: 200 * time.Millisecond})
	// A fixed window turns off the client's window growth: its transport takes 64 KB of
	// the stream and no more until the application reads.
	client := r.dial(t, grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	st, err := client.ChatCompletionStream(ctx, chatReq("openai/gpt-4o-mini"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Recv(); err != nil {
		t.Fatal(err)
	}
	// Stop reading; the gateway's sends block, then its watchdog closes the connection.
	for deadline := time.Now().Add(15 * time.Second); stalledStreams(t, r.srv) == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the stalled stream did not end")
		}
	}
	for {
		if _, err = st.Recv(); err != nil {
			break
		}
	}
	if code := status.Code(err); code != codes.Unavailable && code != codes.Canceled && code != codes.Internal {
		t.Errorf("the client's stream ended with %v, want its connection gone", err)
	}
}

// stalledStreams counts the gRPC requests recorded with a 4xx status (a stalled stream is
// 499).
func stalledStreams(t *testing.T, srv *server.Server) float64 {
	t.Helper()
	mfs, err := srv.Metrics().Registry().Gather()
	if err != nil {
		t.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() != "bifrost_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var grpcT, s499 bool
			for _, l := range m.GetLabel() {
				grpcT = grpcT || l.GetName() == "transport" && l.GetValue() == "grpc"
				s499 = s499 || l.GetName() == "status" && l.GetValue() == "4xx"
			}
			if grpcT && s499 {
				n += m.GetCounter().GetValue()
			}
		}
	}
	return n
}

// TestRequestSizeLimitReloads: a request message over client.max_request_body_size_mb is
// refused with ResourceExhausted and the request_too_large details, unary and streamed,
// and a reload that raises the limit lets it through.
func TestRequestSizeLimitReloads(t *testing.T) {
	r := newRig(t, mocks.Config{StreamChunks: 2}, "")
	r.srv.Configure(config.Client{MaxRequestBodyMB: 1})
	big := chatReq("openai/gpt-4o-mini")
	big.Messages[1].Content = strings.Repeat("a", 3<<19) // 1.5 MiB
	_, err := r.client.ChatCompletion(context.Background(), big)
	info := errorInfo(err)
	if status.Code(err) != codes.ResourceExhausted || info.GetCode() != "request_too_large" || info.GetHttpStatus() != 413 {
		t.Fatalf("unary over the limit: %v (%v)", err, info)
	}
	st, err := r.client.ChatCompletionStream(context.Background(), big)
	if err == nil {
		_, err = st.Recv()
	}
	if status.Code(err) != codes.ResourceExhausted || errorInfo(err).GetCode() != "request_too_large" {
		t.Fatalf("stream over the limit: %v", err)
	}
	r.srv.Configure(config.Client{MaxRequestBodyMB: 2}) // a reload
	if _, err := r.client.ChatCompletion(context.Background(), big); err != nil {
		t.Fatalf("after the limit was raised: %v", err)
	}
}

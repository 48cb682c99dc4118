package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/bifrost-gw/bifrost/server/grpcapi"
	"github.com/bifrost-gw/bifrost/tracing"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
)

// grpcGateway is the bifrost.v1 gRPC API of -grpc-port; its zero value is the API off.
// It serves the same server.Server as HTTP, so a reload (engine and client settings)
// applies to it as it does to HTTP.
type grpcGateway struct {
	gs     *grpc.Server
	health *health.Server
}

// startGRPC listens on -grpc-port, when set, and serves the gRPC API; Serve's failure is
// sent on serveErr. Its connections count with HTTP's, those of httpLn, under the
// connection caps (server.Listener.Join), and a stream whose client stops reading has its
// connection closed (grpcapi.Service.SetConnCloser). Each request message is checked
// against the body limit in force, which a reload changes; the transport's own ceiling,
// fixed here, is the larger of that limit and client.max_buffered_request_mb at start.
func startGRPC(o *options, srv *server.Server, httpLn *server.Listener, tr *tracing.Tracer, client config.Client, log *slog.Logger, serveErr chan<- error) (*grpcGateway, error) {
	if o.grpcPort < 0 {
		return &grpcGateway{}, nil
	}
	tcp, err := net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.grpcPort)))
	if err != nil {
		return nil, fmt.Errorf("-grpc-port: %w", err)
	}
	ln := httpLn.Join(tcp)
	svc := grpcapi.New(srv)
	svc.SetTracer(tr) // a server span per call while tracing is on
	svc.SetConnCloser(ln.CloseConn)
	gs, hs := grpcapi.NewServer(svc, grpc.MaxRecvMsgSize(recvCeiling(client)))
	log.Info("bifrost-http grpc listening", "addr", "grpc://"+ln.Addr().String())
	go func() {
		if err := gs.Serve(ln); err != nil {
			serveErr <- fmt.Errorf("grpc: %w", err)
		}
	}()
	return &grpcGateway{gs: gs, health: hs}, nil
}

// recvCeiling is the gRPC server's MaxRecvMsgSize: the larger of the request body limit
// and the request buffer limit of c (or their defaults), in bytes.
func recvCeiling(c config.Client) int {
	body, buffered := c.MaxRequestBodyMB, c.MaxBufferedRequestMB
	if body <= 0 {
		body = config.DefaultMaxRequestBodyMB
	}
	if buffered <= 0 {
		buffered = config.DefaultMaxBufferedRequestMB
	}
	return max(body, buffered) << 20
}

// stop stops the gRPC server gracefully: health says NOT_SERVING, no new calls are taken,
// and the calls in flight, streams included, run to their end, until ctx is done; then
// the remaining ones are cut. The returned channel gets the outcome.
func (g *grpcGateway) stop(ctx context.Context) <-chan error {
	done := make(chan error, 1)
	if g.gs == nil {
		done <- nil
		return done
	}
	g.health.Shutdown()
	go func() {
		stopped := make(chan struct{})
		go func() { g.gs.GracefulStop(); close(stopped) }()
		select {
		case <-stopped:
			done <- nil
		case <-ctx.Done():
			g.gs.Stop()
			<-stopped
			done <- errors.New("grpc: calls still running after -drain were cut")
		}
	}()
	return done
}

// Package grpcapi serves the gateway's API as the bifrost.v1 gRPC service
// (proto/bifrost/v1/bifrost.proto): chat and text completions, unary and as server streams,
// embeddings and the model list, run by the same engine as the HTTP API, through the same
// checks (server.Server's transport-neutral entry, server/neutral.go): gateway keys and
// virtual keys from metadata ("authorization: Bearer <key>" or "x-api-key"), a client's own
// provider key in "x-bf-provider-key" when client.allow_direct_keys is on, request
// validation, governance (limits, budgets, cost), retries, fallbacks, plugins, metrics and
// traces (SetTracer: a server span per call, a child of the client's traceparent metadata,
// with the engine's attempt spans under it).
//
// The HTTP port's limits hold here too: each request message is checked against the body
// limit in force (client.max_request_body_size_mb, which a reload changes), and answered
// ResourceExhausted with the request_too_large details when over it; a stream whose client
// stops reading has its connection closed after client.stream_write_timeout_in_seconds
// (streamwrite.go); and bifrost-http joins the gRPC port's listener to HTTP's, so that
// client.max_connections and client.max_connections_per_ip count both (server.Listener.Join).
//
// A request is written as the JSON body the HTTP API takes and decoded by the same decoder
// (encode.go), so every member means what it means over HTTP. Errors end the call with a
// gRPC status whose code matches the HTTP status (errors.go) and whose details hold a
// bifrost.v1.ErrorInfo with the error's type and code. A stream's failure after its first
// chunk ends the stream with such a status too. A client that cancels a stream has its
// upstream stream closed at the next chunk, as an HTTP client that goes away.
//
// NewServer adds the standard health (grpc.health.v1) and reflection services, which need
// no key.
package grpcapi

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/bifrost-gw/bifrost/tracing"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/reflection"
	"google.golang.org/protobuf/proto"
)

// DirectKeyMetadata carries a client's own provider key (server.DirectKeyHeader).
const DirectKeyMetadata = server.DirectKeyHeader

// Service implements the bifrost.v1.Bifrost service on a server.Server's engine.
type Service struct {
	pb.UnimplementedBifrostServer
	srv       *server.Server
	tracer    *tracing.Tracer
	closeConn func(remote net.Addr) bool // streamwrite.go
	calls     sync.Pool                  // *call
}

// New returns the service of srv.
func New(srv *server.Server) *Service {
	s := &Service{srv: srv}
	s.calls.New = func() any { return &call{svc: s} }
	return s
}

// SetTracer traces the service's calls with tr (the one the engine has as its Observer):
// each call gets a server span, a child of the client's traceparent metadata, with the
// engine's attempts under it, as HTTP requests get (tracing.Tracer.Handler). Call it
// before NewServer.
func (s *Service) SetTracer(tr *tracing.Tracer) { s.tracer = tr }

// NewServer returns a gRPC server with svc, the health service (serving) and reflection
// registered, and the gateway-key check on svc's methods. opts are added to the server's.
// Set the health service's status to NOT_SERVING before a graceful stop.
func NewServer(svc *Service, opts ...grpc.ServerOption) (*grpc.Server, *health.Server) {
	var first []grpc.ServerOption
	if svc.tracer != nil { // outermost, so that refused calls are traced too
		first = append(first, grpc.ChainUnaryInterceptor(svc.tracer.UnaryInterceptor),
			grpc.ChainStreamInterceptor(svc.tracer.StreamInterceptor))
	}
	first = append(first, grpc.ChainUnaryInterceptor(svc.authUnary), grpc.ChainStreamInterceptor(svc.authStream))
	opts = append(first, opts...)
	gs := grpc.NewServer(opts...)
	pb.RegisterBifrostServer(gs, svc)
	hs := health.NewServer()
	hs.SetServingStatus("", healthpb.HealthCheckResponse_SERVING)
	hs.SetServingStatus(pb.Bifrost_ServiceDesc.ServiceName, healthpb.HealthCheckResponse_SERVING)
	healthpb.RegisterHealthServer(gs, hs)
	reflection.Register(gs)
	return gs, hs
}

// servicePrefix begins the full method names of the Bifrost service.
var servicePrefix = "/" + pb.Bifrost_ServiceDesc.ServiceName + "/"

func (s *Service) authUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := s.authorize(ctx, info.FullMethod); err != nil {
		return nil, err
	}
	if err := s.checkSize(info.FullMethod, req); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func (s *Service) authStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := s.authorize(ss.Context(), info.FullMethod); err != nil {
		return err
	}
	if strings.HasPrefix(info.FullMethod, servicePrefix) {
		ss = sizedStream{ServerStream: ss, svc: s, method: info.FullMethod}
	}
	return h(srv, ss)
}

// checkSize refuses a request message of the Bifrost service larger than the request body
// limit in force (client.max_request_body_size_mb, read again on every reload), as HTTP
// refuses such a body: ResourceExhausted with the request_too_large ErrorInfo. The gRPC
// server's own MaxRecvMsgSize, fixed at start, is only the ceiling above it.
func (s *Service) checkSize(method string, req any) error {
	m, ok := req.(proto.Message)
	if !ok || !strings.HasPrefix(method, servicePrefix) || int64(proto.Size(m)) <= s.srv.MaxRequestBodyBytes() {
		return nil
	}
	e := server.TooLarge()
	return statusError(e.Status, &e.Body, 0)
}

// sizedStream checks the size of each message a streaming call receives (checkSize).
type sizedStream struct {
	grpc.ServerStream
	svc    *Service
	method string
}

func (s sizedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return s.svc.checkSize(s.method, m)
}

// authorize checks the gateway key of a call of the Bifrost service.
func (s *Service) authorize(ctx context.Context, method string) error {
	if !strings.HasPrefix(method, servicePrefix) || s.srv.AuthorizeKey(presentedKey(ctx)) {
		return nil
	}
	return newError(401, schemas.ErrInvalidRequest, "invalid_api_key",
		`missing or invalid gateway API key: send one of client.api_keys as metadata "authorization: Bearer <key>" or "x-api-key: <key>"`)
}

// presentedKey returns the gateway key in the call's metadata, or nil.
func presentedKey(ctx context.Context) []byte {
	for _, v := range metadata.ValueFromIncomingContext(ctx, "authorization") {
		if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
			return bytes.TrimSpace([]byte(v[7:]))
		}
	}
	if v := metadata.ValueFromIncomingContext(ctx, "x-api-key"); len(v) > 0 {
		return []byte(v[0])
	}
	return nil
}

// call is one request's state, pooled: the runtime call, the JSON body its strings borrow
// from, governance and metrics.
type call struct {
	svc       *Service
	ctx       context.Context
	op        server.Op
	c         *runtime.Call
	start     time.Time
	w         jwriter.Writer
	body      []byte
	grant     server.Grant
	rec       metrics.Request
	status    int  // the HTTP status the answer has on HTTP, for metrics
	wantUsage bool // the client asked for a stream's usage chunk
	gone      func() bool
}

func (s *Service) acquire(ctx context.Context, op server.Op) *call {
	x := s.calls.Get().(*call)
	x.ctx, x.op, x.start, x.status = ctx, op, time.Now(), 200
	x.c = s.srv.Engine().AcquireCall()
	tracing.AttachContext(ctx, x.c) // nothing without tracing
	x.gone = func() bool { return ctx.Err() != nil }
	x.c.Gone = x.gone
	return x
}

// fail records httpStatus and returns the gRPC status of the error.
func (x *call) fail(httpStatus int, body *schemas.ErrorBody, retryAfterSec int) error {
	x.status = httpStatus
	return statusError(httpStatus, body, retryAfterSec)
}

// runtimeError is the status of the engine's error. A call cancelled because the client's
// deadline passed (grpc-timeout) is DeadlineExceeded rather than Canceled.
func (x *call) runtimeError(err *runtime.Error) error {
	x.c.RedactDirectKey(err)
	if err.Status == 499 && errors.Is(x.ctx.Err(), context.DeadlineExceeded) {
		return x.fail(504, &schemas.ErrorBody{Type: schemas.ErrTimeout, Code: "deadline_exceeded",
			Message: "the call's deadline passed before the provider answered"}, 0)
	}
	return x.fail(err.Status, &err.Body, err.RetryAfterSec)
}

// prepare decodes the request that encode writes into the runtime call and checks it
// (direct key, validation, governance). includeUsage is passed to encode for streams: the
// client's wish, or true when governance needs the usage.
func (x *call) prepare(wantUsage bool, encode func(w *jwriter.Writer, includeUsage bool)) error {
	c, srv := x.c, x.svc.srv
	if dk := metadata.ValueFromIncomingContext(x.ctx, DirectKeyMetadata); len(dk) > 0 && dk[0] != "" {
		if !srv.DirectKeysAllowed() {
			return x.fail(403, &schemas.ErrorBody{Type: schemas.ErrPermission, Code: "direct_keys_not_allowed",
				Message: "this gateway does not take provider keys from clients (" + DirectKeyMetadata + "): client.allow_direct_keys is off"}, 0)
		}
		c.DirectKey = dk[0]
	}
	x.wantUsage = wantUsage
	x.w = jwriter.Writer{}
	encode(&x.w, wantUsage || srv.GovernanceOn())
	body, err := x.w.BuildBytes(x.body[:0])
	if err != nil {
		return x.fail(400, &schemas.ErrorBody{Type: schemas.ErrInvalidRequest, Code: "invalid_request", Message: "the request could not be encoded: " + err.Error()}, 0)
	}
	x.body = body
	l := jlexer.Lexer{Data: body}
	switch x.op {
	case server.OpChat:
		c.Chat.UnmarshalEasyJSON(&l)
	case server.OpText:
		c.Text.UnmarshalEasyJSON(&l)
	case server.OpEmbedding:
		c.Embedding.UnmarshalEasyJSON(&l)
	}
	l.Consumed()
	if err := l.Error(); err != nil {
		return x.fail(400, &schemas.ErrorBody{Type: schemas.ErrInvalidRequest, Code: "invalid_request", Message: "invalid request: " + err.Error()}, 0)
	}
	if e := srv.Validate(x.op, c); e != nil {
		return x.fail(e.Status, &e.Body, e.RetryAfterSec)
	}
	if e := x.grant.Admit(srv, x.op, c, presentedKey(x.ctx), len(body)); e != nil {
		return x.fail(e.Status, &e.Body, e.RetryAfterSec)
	}
	x.rec.VirtualKey = x.grant.VirtualKey()
	return nil
}

// finish settles governance, records the metrics and releases x. billed says, for a
// request whose usage is not known, that the provider may have billed it (a stream that
// opened): its reservation's worst case is then charged (governance.Governor.Settle).
func (x *call) finish(billed bool) {
	c := x.c
	overhead := max(time.Since(x.start)-c.Upstream, 0)
	x.grant.Settle(c, billed, &x.rec)
	r := &x.rec
	r.Endpoint, r.Transport = x.op.Endpoint(), metrics.TransportGRPC
	r.Provider, r.Model = c.Provider, c.Model
	r.Status = x.status
	r.Upstream, r.Overhead = c.Upstream, overhead
	r.Retries = max(c.Attempts-1-c.Fallbacks-c.Reconnects, 0)
	r.Fallbacks = c.Fallbacks
	r.Stages[metrics.StageRoute] = c.Route
	r.Stages[metrics.StageQueue] = c.Queued
	r.Stages[metrics.StageEncode] = c.Encode
	r.Stages[metrics.StageUpstream] = c.Upstream
	r.Stages[metrics.StageDecode] = c.Decode
	x.svc.srv.Record(r)
	if method, ok := grpc.Method(x.ctx); ok {
		x.svc.srv.LogRequest(r, method, time.Since(x.start), c)
	}
	x.svc.srv.Engine().ReleaseCall(c)
	x.c, x.ctx, x.gone = nil, nil, nil
	x.rec, x.grant = metrics.Request{}, server.Grant{}
	x.svc.calls.Put(x)
}

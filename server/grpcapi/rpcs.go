package grpcapi

import (
	"context"
	"time"

	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/mailru/easyjson/jwriter"
	"google.golang.org/grpc"
)

// ChatCompletion answers a chat completion.
func (s *Service) ChatCompletion(ctx context.Context, req *pb.ChatCompletionRequest) (*pb.ChatCompletionResponse, error) {
	x := s.acquire(ctx, server.OpChat)
	defer x.finish(false) // as on HTTP: a response without usage is not charged its worst case
	if err := x.prepare(false, func(w *jwriter.Writer, _ bool) { encodeChat(w, req, false, false) }); err != nil {
		return nil, err
	}
	if err := s.srv.Engine().ChatCompletion(x.c); err != nil {
		return nil, x.runtimeError(err)
	}
	r0 := time.Now()
	u := &x.c.ChatResp.Usage
	x.rec.InputTokens, x.rec.OutputTokens = u.PromptTokens, u.CompletionTokens
	x.grant.Usage(u)
	out := chatResponse(&x.c.ChatResp, x.c.Provider)
	x.rec.Stages[metrics.StageRespond] = time.Since(r0)
	return out, nil
}

// TextCompletion answers a legacy text completion.
func (s *Service) TextCompletion(ctx context.Context, req *pb.TextCompletionRequest) (*pb.TextCompletionResponse, error) {
	x := s.acquire(ctx, server.OpText)
	defer x.finish(false) // as on HTTP: a response without usage is not charged its worst case
	if err := x.prepare(false, func(w *jwriter.Writer, _ bool) { encodeText(w, req, false, false) }); err != nil {
		return nil, err
	}
	if err := s.srv.Engine().TextCompletion(x.c); err != nil {
		return nil, x.runtimeError(err)
	}
	u := &x.c.TextResp.Usage
	x.rec.InputTokens, x.rec.OutputTokens = u.PromptTokens, u.CompletionTokens
	x.grant.Usage(u)
	return textResponse(&x.c.TextResp), nil
}

// Embedding computes embeddings.
func (s *Service) Embedding(ctx context.Context, req *pb.EmbeddingRequest) (*pb.EmbeddingResponse, error) {
	x := s.acquire(ctx, server.OpEmbedding)
	defer x.finish(false) // as on HTTP: a response without usage is not charged its worst case
	if err := x.prepare(false, func(w *jwriter.Writer, _ bool) { encodeEmbedding(w, req) }); err != nil {
		return nil, err
	}
	if err := s.srv.Engine().Embedding(x.c); err != nil {
		return nil, x.runtimeError(err)
	}
	x.rec.InputTokens = x.c.EmbeddingResp.Usage.PromptTokens
	x.grant.EmbeddingUsage(x.c.EmbeddingResp.Usage.PromptTokens)
	out, err := embeddingResponse(&x.c.EmbeddingResp)
	if err != nil {
		return nil, x.fail(502, &schemas.ErrorBody{Type: schemas.ErrUpstream, Code: "bad_embedding", Message: err.Error()}, 0)
	}
	return out, nil
}

// ListModels lists the configured providers' models. Providers that fail are named in
// failed_providers; when all fail, the call fails with the first one's error.
func (s *Service) ListModels(ctx context.Context, _ *pb.ListModelsRequest) (*pb.ListModelsResponse, error) {
	list, errs := s.srv.Engine().ListModels()
	var failed []string
	for _, e := range errs {
		failed = append(failed, e.Provider)
	}
	if len(errs) > 0 && len(list.Data) == 0 {
		return nil, statusError(502, &errs[0].Body, 0)
	}
	return modelList(&list, failed), nil
}

// ChatCompletionStream streams a chat completion.
func (s *Service) ChatCompletionStream(req *pb.ChatCompletionRequest, stream grpc.ServerStreamingServer[pb.ChatCompletionChunk]) error {
	x := s.acquire(stream.Context(), server.OpChat)
	billed := false
	defer func() { x.finish(billed) }()
	err := x.prepare(req.GetIncludeUsage(), func(w *jwriter.Writer, usage bool) { encodeChat(w, req, true, usage) })
	if err != nil {
		return err
	}
	if e := s.srv.Engine().ChatCompletionStream(x.c); e != nil {
		return x.runtimeError(e)
	}
	billed = true
	return x.relay(func() (*schemas.Usage, error) {
		ch := &x.c.Chunk
		if ch.Usage.IsDefined() && len(ch.Choices) == 0 && !x.wantUsage {
			return &ch.Usage, nil // a usage chunk the client did not ask for: counted, not sent
		}
		return &ch.Usage, stream.Send(chatChunk(ch))
	})
}

// TextCompletionStream streams a legacy text completion.
func (s *Service) TextCompletionStream(req *pb.TextCompletionRequest, stream grpc.ServerStreamingServer[pb.TextCompletionResponse]) error {
	x := s.acquire(stream.Context(), server.OpText)
	billed := false
	defer func() { x.finish(billed) }()
	err := x.prepare(req.GetIncludeUsage(), func(w *jwriter.Writer, usage bool) { encodeText(w, req, true, usage) })
	if err != nil {
		return err
	}
	if e := s.srv.Engine().TextCompletionStream(x.c); e != nil {
		return x.runtimeError(e)
	}
	billed = true
	return x.relay(func() (*schemas.Usage, error) {
		r := &x.c.TextResp
		if r.Usage.IsDefined() && len(r.Choices) == 0 && !x.wantUsage {
			return &r.Usage, nil
		}
		return &r.Usage, stream.Send(textResponse(r))
	})
}

// relay reads the open stream's chunks and sends each with send, which returns the
// chunk's usage and the send's error. A failed send (the client went away, or stopped
// reading for the stream write timeout: streamwrite.go) ends the stream; releasing the
// call closes the upstream stream.
func (x *call) relay(send func() (*schemas.Usage, error)) error {
	c := x.c
	c.Gone = nil // from now on a failed send tells that the client is gone
	sm := x.svc.srv.Metrics().StreamOn(metrics.TransportGRPC, x.op.Endpoint(), c.Provider, c.Model, x.start)
	wd := x.newWatchdog()
	defer wd.disarm()
	for {
		done, err := c.Recv()
		if err != nil {
			return x.runtimeError(err)
		}
		if done {
			return nil
		}
		sm.Chunk(time.Now())
		wd.arm()
		u, serr := send()
		wd.disarm()
		if u.IsDefined() {
			x.rec.InputTokens, x.rec.OutputTokens = u.PromptTokens, u.CompletionTokens
			x.grant.Usage(u)
		}
		if serr != nil {
			if wd.timedOut() {
				return x.writeTimeout()
			}
			x.status = 499
			return serr
		}
	}
}

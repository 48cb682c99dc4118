package grpcapi

import (
	"strconv"

	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/structpb"
)

// The runtime's unified responses, as protobuf messages. Strings are copied out of the
// call's buffers, which are reused once the call is released.

func chatResponse(r *schemas.ChatResponse, provider string) *pb.ChatCompletionResponse {
	out := &pb.ChatCompletionResponse{Id: clone(r.ID), Object: clone(r.Object), Created: r.Created, Model: clone(r.Model),
		Usage: usage(&r.Usage), SystemFingerprint: clone(r.SystemFingerprint), Provider: clone(provider),
		Choices: make([]*pb.ChatChoice, len(r.Choices))}
	for i := range r.Choices {
		ch := &r.Choices[i]
		out.Choices[i] = &pb.ChatChoice{Index: int32(ch.Index), Message: message(&ch.Message), FinishReason: clone(string(ch.FinishReason))}
	}
	return out
}

func chatChunk(r *schemas.ChatStreamChunk) *pb.ChatCompletionChunk {
	out := &pb.ChatCompletionChunk{Id: clone(r.ID), Object: clone(r.Object), Created: r.Created, Model: clone(r.Model),
		Usage: usage(&r.Usage), Choices: make([]*pb.ChatChunkChoice, len(r.Choices))}
	for i := range r.Choices {
		ch := &r.Choices[i]
		out.Choices[i] = &pb.ChatChunkChoice{Index: int32(ch.Index), Delta: message(&ch.Delta), FinishReason: clone(string(ch.FinishReason))}
	}
	return out
}

func message(m *schemas.ChatMessage) *pb.ChatMessage {
	out := &pb.ChatMessage{Role: clone(m.Role), Content: m.Content.Text.String(), Name: clone(m.Name), ToolCallId: clone(m.ToolCallID),
		Refusal: m.Refusal.String(), ReasoningContent: m.ReasoningContent.String()}
	if m.Content.Parts != nil {
		// Content parts in a response are rare: carry them as their JSON.
		w := &jwriter.Writer{}
		w.RawByte('[')
		for i := range m.Content.Parts {
			if i > 0 {
				w.RawByte(',')
			}
			m.Content.Parts[i].MarshalEasyJSON(w)
		}
		w.RawByte(']')
		if b, err := w.BuildBytes(); err == nil {
			lv := &structpb.ListValue{}
			if protojson.Unmarshal(b, lv) == nil {
				out.ContentParts = lv
			}
		}
	}
	for i := range m.ToolCalls {
		tc := &m.ToolCalls[i]
		out.ToolCalls = append(out.ToolCalls, &pb.ToolCall{Index: int32(tc.Index.V), Id: clone(tc.ID), Type: clone(tc.Type),
			Function: &pb.FunctionCall{Name: clone(tc.Function.Name), Arguments: tc.Function.Arguments.String()}})
	}
	return out
}

func usage(u *schemas.Usage) *pb.Usage {
	if !u.IsDefined() {
		return nil
	}
	return &pb.Usage{PromptTokens: int32(u.PromptTokens), CompletionTokens: int32(u.CompletionTokens),
		TotalTokens: int32(u.TotalTokens), CachedTokens: int32(u.PromptTokensDetails.CachedTokens),
		ReasoningTokens: int32(u.CompletionTokensDetails.ReasoningTokens)}
}

func textResponse(r *schemas.TextResponse) *pb.TextCompletionResponse {
	out := &pb.TextCompletionResponse{Id: clone(r.ID), Object: clone(r.Object), Created: r.Created, Model: clone(r.Model),
		Usage: usage(&r.Usage), Choices: make([]*pb.TextChoice, len(r.Choices))}
	for i := range r.Choices {
		ch := &r.Choices[i]
		out.Choices[i] = &pb.TextChoice{Index: int32(ch.Index), Text: ch.Text.String(), FinishReason: clone(string(ch.FinishReason))}
	}
	return out
}

// embeddingResponse converts r; a vector that is not an array of numbers is an error.
func embeddingResponse(r *schemas.EmbeddingResponse) (*pb.EmbeddingResponse, error) {
	out := &pb.EmbeddingResponse{Model: clone(r.Model), Data: make([]*pb.Embedding, len(r.Data))}
	if r.Usage.IsDefined() {
		out.Usage = &pb.Usage{PromptTokens: int32(r.Usage.PromptTokens), TotalTokens: int32(r.Usage.TotalTokens)}
	}
	for i := range r.Data {
		d := &r.Data[i]
		l := jlexer.Lexer{Data: d.Embedding}
		var v []float32
		l.Delim('[')
		for !l.IsDelim(']') {
			v = append(v, l.Float32())
			l.WantComma()
		}
		l.Delim(']')
		if err := l.Error(); err != nil {
			return nil, errBadEmbedding{i}
		}
		out.Data[i] = &pb.Embedding{Index: int32(d.Index), Embedding: v}
	}
	return out, nil
}

type errBadEmbedding struct{ i int }

func (e errBadEmbedding) Error() string {
	return "the provider's embedding " + strconv.Itoa(e.i) + " is not an array of numbers"
}

func modelList(l *schemas.ModelList, failed []string) *pb.ListModelsResponse {
	out := &pb.ListModelsResponse{Data: make([]*pb.Model, len(l.Data)), FailedProviders: failed}
	for i := range l.Data {
		m := &l.Data[i]
		out.Data[i] = &pb.Model{Id: clone(m.ID), Created: m.Created, OwnedBy: clone(m.OwnedBy)}
	}
	return out
}

// clone copies s out of the call's buffers.
func clone(s string) string {
	if s == "" {
		return ""
	}
	return string(append([]byte(nil), s...))
}

package responses

import (
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// WriteResponse writes the Response object: meta, e's status, output items and usage.
// failure, when not nil, is the error of a failed response.
func (e *Encoder) WriteResponse(w *jwriter.Writer, meta *Meta, failure *schemas.ErrorBody) {
	status := e.status
	if failure != nil {
		status = StatusFailed
	}
	e.writeObject(w, meta, status, failure, true)
}

// writeObject writes the Response object with status; withUsage says whether the usage is
// known yet.
func (e *Encoder) writeObject(w *jwriter.Writer, meta *Meta, status string, failure *schemas.ErrorBody, withUsage bool) {
	r := meta.Req
	w.RawString(`{"id":`)
	w.String(meta.ID)
	w.RawString(`,"object":"response","created_at":`)
	w.Int64(meta.CreatedAt)
	w.RawString(`,"status":"`)
	w.RawString(status)
	w.RawString(`","background":false,"error":`)
	if failure != nil {
		w.RawString(`{"code":`)
		code := string(failure.Code)
		if code == "" {
			code = "server_error"
		}
		w.String(code)
		w.RawString(`,"message":`)
		w.String(failure.Message)
		w.RawByte('}')
	} else {
		w.RawString("null")
	}
	w.RawString(`,"incomplete_details":`)
	if status == StatusIncomplete && e.reason != "" {
		w.RawString(`{"reason":"`)
		w.RawString(e.reason)
		w.RawString(`"}`)
	} else {
		w.RawString("null")
	}
	w.RawString(`,"instructions":`)
	r.Instructions.MarshalEasyJSON(w)
	w.RawString(`,"max_output_tokens":`)
	if r.MaxOutputTokens.Defined {
		w.Int(r.MaxOutputTokens.V)
	} else {
		w.RawString("null")
	}
	w.RawString(`,"metadata":`)
	rawOr(w, r.Metadata, "{}")
	w.RawString(`,"model":`)
	w.String(meta.Model)
	w.RawString(`,"output":[`)
	w.Buffer.AppendBytes(e.out)
	w.RawString(`],"parallel_tool_calls":`)
	w.Bool(!r.ParallelToolCalls.Defined || r.ParallelToolCalls.V)
	w.RawString(`,"previous_response_id":`)
	nullString(w, r.PreviousResponseID)
	w.RawString(`,"reasoning":{"effort":`)
	nullString(w, r.Effort)
	w.RawString(`,"summary":null},"store":`)
	w.Bool(r.Stores())
	w.RawString(`,"temperature":`)
	floatOr(w, r.Temperature.V, r.Temperature.Defined, "1")
	w.RawString(`,"text":`)
	rawOr(w, r.Text, `{"format":{"type":"text"}}`)
	w.RawString(`,"tool_choice":`)
	rawOr(w, r.ToolChoice, `"auto"`)
	w.RawString(`,"tools":`)
	rawOr(w, r.ToolsRaw, "[]")
	w.RawString(`,"top_p":`)
	floatOr(w, r.TopP.V, r.TopP.Defined, "1")
	w.RawString(`,"truncation":"disabled","usage":`)
	if withUsage && status != StatusInProgress {
		writeUsage(w, &e.usage)
	} else {
		w.RawString("null")
	}
	w.RawString(`,"user":`)
	nullString(w, r.User)
	w.RawByte('}')
}

// Stores reports whether the response is to be stored: store defaults to true.
func (r *Request) Stores() bool { return !r.Store.Defined || r.Store.V }

func writeUsage(w *jwriter.Writer, u *schemas.Usage) {
	w.RawString(`{"input_tokens":`)
	w.Int(u.PromptTokens)
	w.RawString(`,"input_tokens_details":{"cached_tokens":`)
	w.Int(u.PromptTokensDetails.CachedTokens)
	w.RawString(`},"output_tokens":`)
	w.Int(u.CompletionTokens)
	w.RawString(`,"output_tokens_details":{"reasoning_tokens":`)
	w.Int(u.CompletionTokensDetails.ReasoningTokens)
	w.RawString(`},"total_tokens":`)
	total := u.TotalTokens
	if total == 0 {
		total = u.PromptTokens + u.CompletionTokens
	}
	w.Int(total)
	w.RawByte('}')
}

func rawOr(w *jwriter.Writer, raw schemas.Raw, def string) {
	if raw == nil || raw.IsNull() {
		w.RawString(def)
		return
	}
	w.Raw(raw, nil)
}

func nullString(w *jwriter.Writer, s string) {
	if s == "" {
		w.RawString("null")
		return
	}
	w.String(s)
}

func floatOr(w *jwriter.Writer, v float64, ok bool, def string) {
	if !ok {
		w.RawString(def)
		return
	}
	w.Float64(v)
}

package mocks

import (
	"encoding/json"
	"strconv"
)

// The bodies of the mock's Responses answers: the Response object, its output items and
// its stream events (format_responses.go).

// appendResponse appends the Response object of a with status; done says the output and
// usage are final (a stream's first events carry no output and a null usage).
func (a *responseAnswer) appendResponse(dst []byte, status string, done bool) []byte {
	r := a.req
	dst = append(dst, `{"id":"`...)
	dst = append(dst, a.id...)
	dst = append(dst, `","object":"response","created_at":`...)
	dst = strconv.AppendInt(dst, a.created, 10)
	dst = append(dst, `,"status":"`...)
	dst = append(dst, status...)
	dst = append(dst, `","error":null,"incomplete_details":null,"instructions":`...)
	dst = appendOptString(dst, r.Instructions)
	dst = append(dst, `,"max_output_tokens":`...)
	if r.MaxOutputTokens != nil {
		dst = strconv.AppendInt(dst, int64(*r.MaxOutputTokens), 10)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"model":`...)
	dst = appendJSONString(dst, r.Model)
	dst = append(dst, `,"output":[`...)
	if done {
		for i, it := range a.outputItems() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, it...)
		}
	}
	dst = append(dst, `],"parallel_tool_calls":true,"previous_response_id":`...)
	dst = appendOptString(dst, r.PreviousResponseID)
	dst = append(dst, `,"reasoning":{"effort":null,"summary":null},"store":`...)
	dst = strconv.AppendBool(dst, r.Store == nil || *r.Store)
	dst = append(dst, `,"temperature":1.0,"text":{"format":{"type":"text"}},"tool_choice":"auto","tools":`...)
	dst = appendRawOr(dst, r.Tools, "[]")
	dst = append(dst, `,"top_p":1.0,"truncation":"disabled","usage":`...)
	if done {
		dst = a.appendUsage(dst)
	} else {
		dst = append(dst, "null"...)
	}
	dst = append(dst, `,"user":null,"metadata":`...)
	dst = appendRawOr(dst, r.Metadata, "{}")
	return append(dst, '}')
}

// appendUsage appends the usage object of a.
func (a *responseAnswer) appendUsage(dst []byte) []byte {
	out, reasoning := a.outputN, 0
	if a.reasoning {
		out, reasoning = out+reasoningToks, reasoningToks
	}
	dst = append(dst, `{"input_tokens":`...)
	dst = strconv.AppendInt(dst, int64(a.input), 10)
	dst = append(dst, `,"input_tokens_details":{"cached_tokens":0},"output_tokens":`...)
	dst = strconv.AppendInt(dst, int64(out), 10)
	dst = append(dst, `,"output_tokens_details":{"reasoning_tokens":`...)
	dst = strconv.AppendInt(dst, int64(reasoning), 10)
	dst = append(dst, `},"total_tokens":`...)
	dst = strconv.AppendInt(dst, int64(a.input+out), 10)
	return append(dst, '}')
}

// outputItems returns the finished output items of a: a reasoning item when asked, then
// the function call or the message.
func (a *responseAnswer) outputItems() []json.RawMessage {
	var items []json.RawMessage
	if a.reasoning {
		items = append(items, a.reasoningItem())
	}
	if a.tool != "" {
		return append(items, a.callItem("completed", mockToolArgs))
	}
	return append(items, a.messageItem("completed", true))
}

func (a *responseAnswer) reasoningItem() json.RawMessage {
	b := []byte(`{"id":"rs_` + a.id[len("resp_"):] + `","type":"reasoning","summary":[],"encrypted_content":`)
	if a.encrypted {
		b = append(b, `"gAAAAA-bifrost-mock-encrypted-reasoning-`...)
		b = append(b, a.id...)
		b = append(b, '"')
	} else {
		b = append(b, "null"...)
	}
	return append(b, '}')
}

func (a *responseAnswer) callItem(status, args string) json.RawMessage {
	b := []byte(`{"id":"fc_` + a.id[len("resp_"):] + `","type":"function_call","status":"` + status + `","arguments":`)
	b = appendJSONString(b, args)
	b = append(b, `,"call_id":"`...)
	b = append(b, a.callID...)
	b = append(b, `","name":`...)
	b = appendJSONString(b, a.tool)
	return append(b, '}')
}

func (a *responseAnswer) messageItem(status string, withText bool) json.RawMessage {
	b := []byte(`{"id":"` + a.msgID + `","type":"message","status":"` + status + `","role":"assistant","content":[`)
	if withText {
		b = append(b, outputTextPart(a.text)...)
	}
	return append(b, "]}"...)
}

func outputTextPart(text string) []byte {
	b := append([]byte(`{"type":"output_text","text":`), appendJSONString(nil, text)...)
	return append(b, `,"annotations":[]}`...)
}

// eventWriter builds a stream's events with increasing sequence numbers.
type eventWriter struct {
	seq    int
	events [][]byte
}

// add appends the event typ whose data members follow type and sequence_number.
func (w *eventWriter) add(typ string, members ...string) {
	b := []byte("event: " + typ + "\ndata: {\"type\":\"" + typ + "\",\"sequence_number\":" + strconv.Itoa(w.seq))
	for _, m := range members {
		b = append(b, ',')
		b = append(b, m...)
	}
	w.events = append(w.events, append(b, "}\n\n"...))
	w.seq++
}

// events returns the stream of a, its text cut into pieces.
func (a *responseAnswer) events(pieces []string) [][]byte {
	var w eventWriter
	w.add("response.created", `"response":`+string(a.appendResponse(nil, "in_progress", false)))
	w.add("response.in_progress", `"response":`+string(a.appendResponse(nil, "in_progress", false)))
	index := 0
	if a.reasoning {
		item := string(a.reasoningItem())
		w.add("response.output_item.added", `"output_index":0`, `"item":`+item)
		w.add("response.output_item.done", `"output_index":0`, `"item":`+item)
		index = 1
	}
	at := `"output_index":` + strconv.Itoa(index)
	if a.tool != "" {
		ref := `"item_id":"fc_` + a.id[len("resp_"):] + `"`
		w.add("response.output_item.added", at, `"item":`+string(a.callItem("in_progress", "")))
		half := len(mockToolArgs) / 2
		for _, d := range []string{mockToolArgs[:half], mockToolArgs[half:]} {
			w.add("response.function_call_arguments.delta", ref, at, `"delta":`+string(appendJSONString(nil, d)))
		}
		w.add("response.function_call_arguments.done", ref, at, `"arguments":`+string(appendJSONString(nil, mockToolArgs)))
		w.add("response.output_item.done", at, `"item":`+string(a.callItem("completed", mockToolArgs)))
	} else {
		ref := `"item_id":"` + a.msgID + `"`
		w.add("response.output_item.added", at, `"item":`+string(a.messageItem("in_progress", false)))
		w.add("response.content_part.added", ref, at, `"content_index":0`, `"part":`+string(outputTextPart("")))
		for _, p := range pieces {
			w.add("response.output_text.delta", ref, at, `"content_index":0`, `"delta":`+string(appendJSONString(nil, p)), `"logprobs":[]`)
		}
		text := string(appendJSONString(nil, a.text))
		w.add("response.output_text.done", ref, at, `"content_index":0`, `"text":`+text, `"logprobs":[]`)
		w.add("response.content_part.done", ref, at, `"content_index":0`, `"part":`+string(outputTextPart(a.text)))
		w.add("response.output_item.done", at, `"item":`+string(a.messageItem("completed", true)))
	}
	w.add("response.completed", `"response":`+string(a.appendResponse(nil, "completed", true)))
	return w.events
}

// appendOptString appends *s as a JSON string, or null.
func appendOptString(dst []byte, s *string) []byte {
	if s == nil {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, *s)
}

// appendRawOr appends raw, or def when raw is absent or null.
func appendRawOr(dst []byte, raw json.RawMessage, def string) []byte {
	if len(raw) == 0 || string(raw) == "null" {
		return append(dst, def...)
	}
	return append(dst, raw...)
}

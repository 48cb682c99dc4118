package mocks

import (
	"bufio"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// OpenAI's Responses API, served by FormatOpenAI (and so by FormatAzure's /openai/v1/
// routes), after https://platform.openai.com/docs/api-reference/responses and the stream
// events of https://platform.openai.com/docs/api-reference/responses-streaming:
//
//	POST   /v1/responses                    a Response object, or its events with "stream": true
//	GET    /v1/responses/{id}               a stored response
//	DELETE /v1/responses/{id}               {"id","object":"response.deleted","deleted":true}
//	GET    /v1/responses/{id}/input_items   its input items (after, limit, order), a list page
//
// The answer is the mock's text as one message item, or, when the request has function
// tools and its input carries no function_call_output, a call of the first tool with
// {"city":"Paris"}. A request with reasoning gets a reasoning item first, with
// encrypted_content when include asks for "reasoning.encrypted_content". Responses are
// kept unless "store": false (at most maxStoredResponses; the oldest go first), for GET,
// DELETE, input_items and previous_response_id (an unknown one is a 404, as OpenAI's).
// A stream is response.created, response.in_progress, then per item
// response.output_item.added, (response.content_part.added, response.output_text.delta
// per piece, response.output_text.done, response.content_part.done) or
// (response.function_call_arguments.delta, .done), response.output_item.done, and last
// response.completed with the usage; every event has a type and an increasing
// sequence_number, and the events are spread over the latency.

// maxStoredResponses bounds the mock's stored responses.
const maxStoredResponses = 4096

// responsesRequest is what the mock reads from a Responses request.
type responsesRequest struct {
	Model              string          `json:"model"`
	Input              json.RawMessage `json:"input"`
	Instructions       *string         `json:"instructions"`
	Stream             bool            `json:"stream"`
	Store              *bool           `json:"store"`
	PreviousResponseID *string         `json:"previous_response_id"`
	Tools              json.RawMessage `json:"tools"`
	Reasoning          json.RawMessage `json:"reasoning"`
	Include            []string        `json:"include"`
	MaxOutputTokens    *int            `json:"max_output_tokens"`
	Metadata           json.RawMessage `json:"metadata"`
}

// storedResponse is one kept response: its body, its input items (input_items lists them)
// and its conversation (the previous response's, its input and its output), which a
// request that names it as previous_response_id continues.
type storedResponse struct {
	body    []byte
	input   []json.RawMessage
	history []json.RawMessage
}

// responseStore keeps the mock's stored responses, oldest first in order.
type responseStore struct {
	mu    sync.Mutex
	byID  map[string]storedResponse
	order []string
}

func (st *responseStore) put(id string, r storedResponse) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.byID == nil {
		st.byID = map[string]storedResponse{}
	}
	if len(st.order) >= maxStoredResponses {
		delete(st.byID, st.order[0])
		st.order = st.order[1:]
	}
	st.byID[id] = r
	st.order = append(st.order, id)
}

func (st *responseStore) get(id string) (storedResponse, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	r, ok := st.byID[id]
	return r, ok
}

func (st *responseStore) remove(id string) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	_, ok := st.byID[id]
	delete(st.byID, id)
	return ok
}

// responseAnswer is what one answer holds: its items and usage.
type responseAnswer struct {
	id, msgID      string
	text           string // the message's text
	created        int64
	tool, callID   string // a function call of tool, when set
	reasoning      bool
	encrypted      bool
	input, outputN int
	req            *responsesRequest
}

const (
	mockToolArgs  = `{"city":"Paris"}`
	reasoningToks = 8
)

// serveResponses answers POST /v1/responses.
func (s *Server) serveResponses(ctx *fasthttp.RequestCtx) {
	var req responsesRequest
	if err := json.Unmarshal(ctx.PostBody(), &req); err != nil {
		s.badRequest(ctx, invalidJSON(""))
		return
	}
	if req.Model == "" {
		s.badRequest(ctx, missingParam("model"))
		return
	}
	if len(req.Input) == 0 || string(req.Input) == "null" {
		s.badRequest(ctx, missingParam("input"))
		return
	}
	if status, ok := s.cfg.ModelStatus[req.Model]; ok {
		s.modelFault(ctx, status, req.Model)
		return
	}
	input := inputItems(req.Input)
	items := input
	if req.PreviousResponseID != nil {
		prev, ok := s.resp.get(*req.PreviousResponseID)
		if !ok {
			s.badRequest(ctx, &apiError{status: fasthttp.StatusNotFound, typ: typeInvalidRequest, param: "previous_response_id",
				code: "previous_response_not_found", message: "Previous response with id '" + *req.PreviousResponseID + "' not found."})
			return
		}
		items = append(append([]json.RawMessage(nil), prev.history...), input...)
	}
	a := s.newAnswer(&req, items)
	start, latency := time.Now(), s.latency()
	if req.Stream {
		events := a.events(s.content.pieces)
		s.storeAnswer(&a, input, items)
		ctx.SetContentType(contentTypeEventStream)
		ctx.Response.Header.Set(fasthttp.HeaderCacheControl, "no-cache")
		ctx.SetBodyStreamWriter(func(w *bufio.Writer) { s.runResponseStream(w, events, start, latency) })
		return
	}
	s.sleepUntil(start.Add(latency))
	ctx.SetContentType(contentTypeJSON)
	ctx.SetBody(s.storeAnswer(&a, input, items))
}

// newAnswer decides the answer to req, whose whole input (with the previous response's) is
// items.
func (s *Server) newAnswer(req *responsesRequest, items []json.RawMessage) responseAnswer {
	id := appendHex16(nil, s.nextID())
	a := responseAnswer{id: "resp_" + string(id), msgID: "msg_" + string(id), text: s.content.text,
		created: time.Now().Unix(), req: req, outputN: s.content.tokens}
	n := 0
	for _, it := range items {
		n += len(it)
	}
	if req.Instructions != nil {
		n += len(*req.Instructions)
	}
	a.input = estimateTokens(n) + 3
	last := []byte(nil)
	if len(items) > 0 {
		last = items[len(items)-1]
	}
	if tool := firstFunctionTool(req.Tools); tool != "" && !strings.Contains(string(last), `"function_call_output"`) {
		a.tool, a.callID, a.outputN = tool, "call_"+string(id), estimateTokens(len(mockToolArgs))
	}
	if len(req.Reasoning) > 0 && string(req.Reasoning) != "null" {
		a.reasoning = true
		for _, inc := range req.Include {
			a.encrypted = a.encrypted || inc == "reasoning.encrypted_content"
		}
	}
	return a
}

// storeAnswer returns the finished Response body of a, kept with its input and its
// conversation so far (items) unless the request said "store": false.
func (s *Server) storeAnswer(a *responseAnswer, input, items []json.RawMessage) []byte {
	body := a.appendResponse(nil, "completed", true)
	if a.req.Store == nil || *a.req.Store {
		history := append(append([]json.RawMessage(nil), items...), a.outputItems()...)
		s.resp.put(a.id, storedResponse{body: body, input: input, history: history})
	}
	return body
}

// inputItems returns a request's input as a list of items: a string is one user message.
func inputItems(input json.RawMessage) []json.RawMessage {
	var text string
	if json.Unmarshal(input, &text) == nil {
		msg := `{"type":"message","role":"user","content":[{"type":"input_text","text":` + string(appendJSONString(nil, text)) + `}]}`
		return []json.RawMessage{json.RawMessage(msg)}
	}
	var items []json.RawMessage
	json.Unmarshal(input, &items) //nolint:errcheck // not a list: no items
	return items
}

// firstFunctionTool returns the name of the first function tool of tools, or "".
func firstFunctionTool(tools json.RawMessage) string {
	var list []struct{ Type, Name string }
	json.Unmarshal(tools, &list) //nolint:errcheck // no tools
	for _, t := range list {
		if t.Type == "function" && t.Name != "" {
			return t.Name
		}
	}
	return ""
}

// serveResponseByID answers GET and DELETE of /v1/responses/{id} and GET of its
// input_items.
func (s *Server) serveResponseByID(ctx *fasthttp.RequestCtx, id []byte, sub bool) {
	notFound := &apiError{status: fasthttp.StatusNotFound, typ: typeInvalidRequest,
		message: "Response with id '" + string(id) + "' not found."}
	switch {
	case ctx.IsDelete() && !sub:
		if !s.resp.remove(string(id)) {
			s.badRequest(ctx, notFound)
			return
		}
		ctx.SetContentType(contentTypeJSON)
		ctx.SetBodyString(`{"id":"` + string(id) + `","object":"response.deleted","deleted":true}`)
		return
	case !ctx.IsGet():
		s.badRequest(ctx, &apiError{status: fasthttp.StatusMethodNotAllowed, typ: typeInvalidRequest,
			message: "Invalid method for URL (" + string(ctx.Method()) + " " + string(ctx.Path()) + ")"})
		return
	}
	r, ok := s.resp.get(string(id))
	if !ok {
		s.badRequest(ctx, notFound)
		return
	}
	ctx.SetContentType(contentTypeJSON)
	if !sub {
		ctx.SetBody(r.body)
		return
	}
	ctx.SetBody(appendItemsPage(nil, r.input, ctx.QueryArgs()))
}

// appendItemsPage appends the list page of items that args ask for: order (desc by
// default), after (an item id), limit (20 by default, 1 to 100).
func appendItemsPage(dst []byte, items []json.RawMessage, args *fasthttp.Args) []byte {
	ids := make([]string, len(items))
	for i, it := range items {
		var v struct{ ID string }
		json.Unmarshal(it, &v) //nolint:errcheck // an item without an id gets one
		if ids[i] = v.ID; ids[i] == "" {
			ids[i] = "item_" + strconv.Itoa(i)
		}
	}
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
		if string(args.Peek("order")) != "asc" {
			order[i] = len(items) - 1 - i
		}
	}
	if after := string(args.Peek("after")); after != "" {
		for k, i := range order {
			if ids[i] == after {
				order = order[k+1:]
				break
			}
		}
	}
	limit := 20
	if n, err := strconv.Atoi(string(args.Peek("limit"))); err == nil && n >= 1 && n <= 100 {
		limit = n
	}
	more := len(order) > limit
	order = order[:min(limit, len(order))]
	dst = append(dst, `{"object":"list","data":[`...)
	for k, i := range order {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = withID(dst, items[i], ids[i])
	}
	dst = append(dst, `],"first_id":`...)
	if len(order) > 0 {
		dst = appendJSONString(dst, ids[order[0]])
		dst = append(dst, `,"last_id":`...)
		dst = appendJSONString(dst, ids[order[len(order)-1]])
	} else {
		dst = append(dst, `null,"last_id":null`...)
	}
	dst = append(dst, `,"has_more":`...)
	dst = strconv.AppendBool(dst, more)
	return append(dst, '}')
}

// withID appends item with an id member first when it has none.
func withID(dst []byte, item json.RawMessage, id string) []byte {
	var v struct{ ID string }
	if json.Unmarshal(item, &v) == nil && v.ID != "" || len(item) < 2 || item[0] != '{' {
		return append(dst, item...)
	}
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, id)
	if strings.TrimSpace(string(item[1:len(item)-1])) != "" {
		dst = append(dst, ',')
	}
	return append(dst, item[1:]...)
}

// runResponseStream writes the events to w, the i-th of n at start+latency*(i+1)/n, one
// flush each; it stops when the client goes away or the server closes.
func (s *Server) runResponseStream(w *bufio.Writer, events [][]byte, start time.Time, latency time.Duration) {
	n := time.Duration(len(events))
	for i, ev := range events {
		if !s.sleepUntil(start.Add(latency * time.Duration(i+1) / n)) {
			return
		}
		if !writeEvent(w, ev) {
			return
		}
	}
}

// faultResponsesStream runs FaultStreamCut and FaultStreamEndEarly for a streamed Responses
// request: the first half of its events, then a reset connection (cut) or a clean end of
// the body without the terminal event (end early). It returns false, having done nothing,
// for any other request or fault.
func (s *Server) faultResponsesStream(ctx *fasthttp.RequestCtx) bool {
	mode := s.cfg.Fault
	var req responsesRequest
	if r, _ := lookupRoute(ctx.Path()); r != routeResponses || mode != FaultStreamCut && mode != FaultStreamEndEarly ||
		json.Unmarshal(ctx.PostBody(), &req) != nil || !req.Stream {
		return false
	}
	a := s.newAnswer(&req, inputItems(req.Input))
	events := a.events(s.content.pieces)
	events = events[:len(events)/2]
	raw := ctx.Conn()
	s.hijack(ctx, func(c net.Conn) {
		w := bufio.NewWriter(c)
		w.WriteString("HTTP/1.1 200 OK\r\nServer: bifrost-mock\r\nContent-Type: " + contentTypeEventStream +
			"\r\nCache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n") //nolint:errcheck // Flush reports it
		if mode == FaultStreamEndEarly {
			endStream(w, events)
			return
		}
		for _, ev := range events {
			if !writeChunk(w, ev) {
				return
			}
		}
		time.Sleep(faultPoll) // let the client read what was sent before the reset
		reset(raw)
	})
	return true
}

package server

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
	"github.com/valyala/fasthttp"
)

// GET /v1/responses/{id}/input_items of a stored (translated) response is one page of its
// input items, as OpenAI's list endpoints page
// (https://platform.openai.com/docs/api-reference/responses/input-items): order "desc"
// (the default, newest first) or "asc"; after, an item id the page starts after; limit, 1
// to 100 (20 by default). The answer is {"object":"list","data":[...],"first_id","last_id",
// "has_more"}. An item without an id gets a stable one from the response's id and its
// position, written into the item, so that after can name it.

// itemsQuery is an input_items request's paging.
type itemsQuery struct {
	asc   bool
	after string
	limit int
}

// parseItemsQuery reads order, after and limit; it answers 400 and returns false when one
// is not valid.
func parseItemsQuery(ctx *fasthttp.RequestCtx) (itemsQuery, bool) {
	args := ctx.QueryArgs()
	q := itemsQuery{after: string(args.Peek("after")), limit: 20}
	switch order := string(args.Peek("order")); order {
	case "", "desc":
	case "asc":
		q.asc = true
	default:
		writeError(ctx, 400, schemas.ErrInvalidRequest, "invalid_value", "order", "Invalid value for 'order': '"+order+"'. Expected 'asc' or 'desc'.")
		return q, false
	}
	if l := args.Peek("limit"); len(l) > 0 {
		n, err := strconv.Atoi(string(l))
		if err != nil || n < 1 || n > 100 {
			writeError(ctx, 400, schemas.ErrInvalidRequest, "invalid_value", "limit", "Invalid value for 'limit': expected an integer from 1 to 100.")
			return q, false
		}
		q.limit = n
	}
	return q, true
}

// itemID returns the id of item, or the stable one made from the response's id and its
// position i.
func itemID(item []byte, respID string, i int) (id string, own bool) {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(item, &v) == nil && v.ID != "" {
		return v.ID, true
	}
	return "item_" + idSuffixOf(respID) + "_" + strconv.Itoa(i), false
}

// idSuffixOf is the random part of a response id.
func idSuffixOf(id string) string {
	if len(id) > 5 && id[:5] == "resp_" {
		return id[5:]
	}
	return id
}

// writeItemsPage writes the page of items that q asks for.
func writeItemsPage(w *jwriter.Writer, items [][]byte, respID string, q itemsQuery) {
	ids, own := make([]string, len(items)), make([]bool, len(items))
	order := make([]int, len(items))
	for i, it := range items {
		ids[i], own[i] = itemID(it, respID, i)
		order[i] = len(items) - 1 - i
		if q.asc {
			order[i] = i
		}
	}
	if q.after != "" {
		for k, i := range order {
			if ids[i] == q.after {
				order = order[k+1:]
				break
			}
		}
	}
	more := len(order) > q.limit
	order = order[:min(q.limit, len(order))]
	w.RawString(`{"object":"list","data":[`)
	for k, i := range order {
		if k > 0 {
			w.RawByte(',')
		}
		it := bytes.TrimSpace(items[i])
		if own[i] || len(it) < 2 || it[0] != '{' {
			w.Raw(it, nil)
			continue
		}
		w.RawString(`{"id":`)
		w.String(ids[i])
		if len(bytes.TrimSpace(it[1:len(it)-1])) > 0 {
			w.RawByte(',')
		}
		w.Raw(it[1:], nil)
	}
	w.RawString(`],"first_id":`)
	if len(order) == 0 {
		w.RawString(`null,"last_id":null`)
	} else {
		w.String(ids[order[0]])
		w.RawString(`,"last_id":`)
		w.String(ids[order[len(order)-1]])
	}
	w.RawString(`,"has_more":`)
	w.Bool(more)
	w.RawByte('}')
}

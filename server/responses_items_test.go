package server

import (
	"encoding/json"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestResponsesInputItemsPaging pages the input items of a stored translated response:
// newest first by default, limit, after, asc, and the 400s of a bad limit or order.
func TestResponsesInputItemsPaging(t *testing.T) {
	p := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic}, providerConfig("anthropic"))
	r := completed(t, p, `{"model":"anthropic/claude-sonnet-4-5","input":[{"role":"user","content":"one"},`+
		`{"role":"assistant","content":"two"},{"type":"message","id":"msg_own","role":"user","content":"three"}]}`, false)
	type page struct {
		Data []struct {
			ID      string `json:"id"`
			Content any    `json:"content"`
		} `json:"data"`
		FirstID *string `json:"first_id"`
		LastID  *string `json:"last_id"`
		HasMore bool    `json:"has_more"`
	}
	get := func(query string, status int) page {
		t.Helper()
		ctx := newCtx("GET", "/v1/responses/"+r.ID+"/input_items"+query, nil)
		p.do(ctx)
		var pg page
		if ctx.Response.StatusCode() != status || json.Unmarshal(ctx.Response.Body(), &pg) != nil {
			t.Fatalf("%s: %d %s", query, ctx.Response.StatusCode(), ctx.Response.Body())
		}
		return pg
	}
	first := get("?limit=2", 200)
	if len(first.Data) != 2 || !first.HasMore || first.Data[0].ID != "msg_own" || first.Data[0].Content != "three" ||
		*first.FirstID != "msg_own" || *first.LastID != first.Data[1].ID || first.Data[1].ID == "" {
		t.Fatalf("first page %+v", first)
	}
	rest := get("?limit=2&after="+*first.LastID, 200)
	if len(rest.Data) != 1 || rest.HasMore || rest.Data[0].Content != "one" {
		t.Fatalf("second page %+v", rest)
	}
	if again := get("?limit=2", 200); again.Data[1].ID != first.Data[1].ID {
		t.Errorf("item ids change between calls: %s, %s", again.Data[1].ID, first.Data[1].ID)
	}
	if asc := get("?order=asc&limit=1", 200); len(asc.Data) != 1 || asc.Data[0].Content != "one" || !asc.HasMore {
		t.Errorf("asc page %+v", asc)
	}
	if all := get("", 200); len(all.Data) != 3 || all.HasMore {
		t.Errorf("default page %+v", all)
	}
	get("?limit=0", 400)
	get("?limit=101", 400)
	get("?order=up", 400)
}

package harness

import (
	"encoding/json"
	"testing"
)

func TestRoute(t *testing.T) {
	if err := checkRoute("grpc"); err == nil {
		t.Error("checkRoute took an unknown route")
	}
	for _, c := range []struct {
		route, path, member string
	}{
		{"", "/v1/chat/completions", "messages"},
		{RouteChat, "/v1/chat/completions", "messages"},
		{RouteResponses, "/v1/responses", "input"},
	} {
		cfg := Config{Route: c.route}
		if err := checkRoute(c.route); err != nil || cfg.routePath() != c.path {
			t.Errorf("route %q: %v, path %s", c.route, err, cfg.routePath())
		}
		var body map[string]any
		if err := json.Unmarshal(cfg.requestBody(200, true), &body); err != nil || body[c.member] == nil || body["stream"] != true || body["model"] != modelPlaceholder {
			t.Errorf("route %q: body %v (%v)", c.route, body, err)
		}
	}
	for data, end := range map[string]bool{
		" [DONE]": true, `{"type":"response.completed","sequence_number":9}`: true, `{"type":"response.failed"}`: true,
		`{"type":"response.output_text.delta","delta":"[DONE]"}`: false, `{"id":"c","choices":[]}`: false,
	} {
		if streamEnd([]byte(data)) != end {
			t.Errorf("streamEnd(%s) = %v", data, !end)
		}
	}
}

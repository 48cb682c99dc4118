// Package maxim stands in for the launch post's github.com/maximhq/bifrost/plugins/maxim,
// so that the post's plugin lines compile and run here unchanged but for the import path.
// NewMaximLoggerPlugin returns a plugin with the post's hook shape that records, in memory,
// what it sees instead of sending it to Maxim.
package maxim

import (
	"context"
	"errors"
	"sync"

	"github.com/bifrost-gw/bifrost/core/schemas"
)

// Plugin records the requests and answers it sees.
type Plugin struct {
	mu        sync.Mutex
	requests  []schemas.BifrostRequest
	responses []*schemas.BifrostResponse
	errs      []*schemas.BifrostError
}

// NewMaximLoggerPlugin returns a recording plugin. apiKey and logRepoID must not be empty,
// as for the real plugin.
func NewMaximLoggerPlugin(apiKey, logRepoID string) (*Plugin, error) {
	if apiKey == "" || logRepoID == "" {
		return nil, errors.New("maxim: an API key and a log repository ID are required")
	}
	return &Plugin{}, nil
}

// GetName names the plugin.
func (p *Plugin) GetName() string { return "maxim" }

// PreHook records the request and lets it through.
func (p *Plugin) PreHook(_ *context.Context, req *schemas.BifrostRequest) (*schemas.BifrostRequest, *schemas.PluginShortCircuit, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, *req)
	return req, nil, nil
}

// PostHook records the answer and passes it on.
func (p *Plugin) PostHook(_ *context.Context, res *schemas.BifrostResponse, berr *schemas.BifrostError) (*schemas.BifrostResponse, *schemas.BifrostError, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.responses = append(p.responses, res)
	p.errs = append(p.errs, berr)
	return res, berr, nil
}

// Cleanup does nothing.
func (p *Plugin) Cleanup() error { return nil }

// Requests returns the requests the pre hook saw.
func (p *Plugin) Requests() []schemas.BifrostRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]schemas.BifrostRequest(nil), p.requests...)
}

// Responses returns the answers the post hook saw (nil for a failure).
func (p *Plugin) Responses() []*schemas.BifrostResponse {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*schemas.BifrostResponse(nil), p.responses...)
}

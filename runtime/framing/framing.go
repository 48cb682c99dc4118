// Package framing is the registry of stream framers: it maps a spec's stream member
// (provider.Framing) to the provider.StreamFramer that cuts such a stream into events, and to
// the media type a request asks for with Accept. The framers live in packages of their own:
// sse (text/event-stream) and eventstream (AWS's binary event stream).
package framing

import (
	"fmt"

	"github.com/bifrost-gw/bifrost/runtime/framing/eventstream"
	"github.com/bifrost-gw/bifrost/runtime/framing/sse"
	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// Kind is one registered framing.
type Kind struct {
	// Accept is the media type a streaming request asks for.
	Accept string
	// New makes a framer; the runtime keeps one per call and framing, and reuses it.
	New func() provider.StreamFramer
}

// kinds are the registered framings, by name. It is never modified.
var kinds = map[provider.Framing]Kind{
	provider.FramingSSE:            {Accept: "text/event-stream", New: sse.New},
	provider.FramingAWSEventStream: {Accept: "application/vnd.amazon.eventstream", New: eventstream.New},
}

// Lookup returns the framing registered under name, or an error naming the known ones.
func Lookup(name provider.Framing) (Kind, error) {
	k, ok := kinds[name]
	if !ok {
		return Kind{}, fmt.Errorf("stream framing %q is not registered in this build (known: sse, %s)", name, provider.FramingAWSEventStream)
	}
	return k, nil
}

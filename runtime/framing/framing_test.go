package framing

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
)

func TestLookup(t *testing.T) {
	for _, c := range []struct {
		name   provider.Framing
		accept string
	}{
		{provider.FramingSSE, "text/event-stream"},
		{provider.FramingAWSEventStream, "application/vnd.amazon.eventstream"},
	} {
		k, err := Lookup(c.name)
		if err != nil || k.Accept != c.accept || k.New() == nil {
			t.Errorf("Lookup(%q) = %+v, %v; want Accept %q and a framer", c.name, k, err, c.accept)
		}
	}
	if _, err := Lookup("carrier_pigeon"); err == nil || !strings.Contains(err.Error(), `"carrier_pigeon" is not registered`) {
		t.Errorf("unknown framing: %v", err)
	}
}

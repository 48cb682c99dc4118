package server

import (
	"context"
	"testing"
)

// TestTrimWhenIdleEnds: the trimmer ends with its context.
func TestTrimWhenIdleEnds(t *testing.T) {
	s := &Server{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		s.TrimWhenIdle(ctx)
		close(done)
	}()
	cancel()
	<-done
}

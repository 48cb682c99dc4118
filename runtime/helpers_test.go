package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/clock"
	"github.com/mailru/easyjson/jlexer"
)

func decodeChat(c *runtime.Call, body string) error {
	l := jlexer.Lexer{Data: []byte(body)}
	c.Chat.UnmarshalEasyJSON(&l)
	return l.Error()
}

func decodeEmbedding(c *runtime.Call, body string) error {
	l := jlexer.Lexer{Data: []byte(body)}
	c.Embedding.UnmarshalEasyJSON(&l)
	return l.Error()
}

// fakeStart is the time a test's fake clock starts from.
var fakeStart = time.Date(2026, 12, 5, 6, 0, 0, 0, time.UTC)

// driveClock runs fn in a goroutine and, each time the code under test waits on f (a
// backoff, an admission wait), moves f forward by step, until fn returns. It returns the
// fake time that passed. The test fails if fn neither returns nor waits on f within 10 s of
// real time.
func driveClock(t *testing.T, f *clock.Fake, step time.Duration, fn func()) time.Duration {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	from := f.Now()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		waiting := make(chan error, 1)
		go func() { waiting <- f.BlockUntil(ctx, 1) }()
		select {
		case <-done:
			cancel()
			return f.Now().Sub(from)
		case err := <-waiting:
			cancel()
			if err != nil {
				t.Fatalf("the call neither returned nor waited on the clock: %v", err)
			}
			f.Advance(step)
		}
	}
}

package tracing

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// queue is a span processor that never blocks: ended spans go into a bounded channel,
// and one goroutine exports them in batches. A span that finds the channel full is
// dropped and counted.
type queue struct {
	exp      sdktrace.SpanExporter
	ch       chan sdktrace.ReadOnlySpan
	flushes  chan chan struct{}
	stop     chan struct{}
	done     chan struct{}
	dropped  *atomic.Uint64
	exported atomic.Uint64
	batch    int
	interval time.Duration
	timeout  time.Duration
	once     sync.Once
}

var _ sdktrace.SpanProcessor = (*queue)(nil)

// newQueue starts a queue of size spans in front of exp; dropped counts the spans it
// drops.
func newQueue(exp sdktrace.SpanExporter, size int, dropped *atomic.Uint64) *queue {
	q := &queue{exp: exp, ch: make(chan sdktrace.ReadOnlySpan, size), flushes: make(chan chan struct{}),
		stop: make(chan struct{}), done: make(chan struct{}), dropped: dropped,
		batch: min(512, size), interval: time.Second, timeout: 10 * time.Second}
	go q.run()
	return q
}

// OnStart does nothing.
func (q *queue) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd queues a sampled span, or drops it when the queue is full.
func (q *queue) OnEnd(s sdktrace.ReadOnlySpan) {
	if !s.SpanContext().IsSampled() {
		return
	}
	select {
	case q.ch <- s:
	default:
		q.dropped.Add(1)
	}
}

// ForceFlush exports what is queued now.
func (q *queue) ForceFlush(ctx context.Context) error {
	ack := make(chan struct{})
	select {
	case q.flushes <- ack:
	case <-q.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-ack:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown exports what is queued and stops, within ctx.
func (q *queue) Shutdown(ctx context.Context) error {
	q.once.Do(func() { close(q.stop) })
	select {
	case <-q.done:
	case <-ctx.Done():
		return ctx.Err()
	}
	return q.exp.Shutdown(ctx)
}

// run collects spans into batches and exports each when it is full, on the interval, on a
// flush and at the stop.
func (q *queue) run() {
	defer close(q.done)
	t := time.NewTicker(q.interval)
	defer t.Stop()
	buf := make([]sdktrace.ReadOnlySpan, 0, q.batch)
	for {
		select {
		case s := <-q.ch:
			if buf = append(buf, s); len(buf) >= q.batch {
				buf = q.export(buf)
			}
		case <-t.C:
			buf = q.export(buf)
		case ack := <-q.flushes:
			buf = q.export(q.drain(buf))
			close(ack)
		case <-q.stop:
			q.export(q.drain(buf))
			return
		}
	}
}

// drain moves what the channel holds into buf, exporting full batches on the way.
func (q *queue) drain(buf []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	for {
		select {
		case s := <-q.ch:
			if buf = append(buf, s); len(buf) >= q.batch {
				buf = q.export(buf)
			}
		default:
			return buf
		}
	}
}

// export sends buf; a failed export is dropped (the exporter has retried already) and
// counted.
func (q *queue) export(buf []sdktrace.ReadOnlySpan) []sdktrace.ReadOnlySpan {
	if len(buf) == 0 {
		return buf
	}
	ctx, cancel := context.WithTimeout(context.Background(), q.timeout)
	err := q.exp.ExportSpans(ctx, buf)
	cancel()
	if err != nil {
		q.dropped.Add(uint64(len(buf)))
	} else {
		q.exported.Add(uint64(len(buf)))
	}
	clear(buf)
	return buf[:0]
}

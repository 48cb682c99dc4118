package harness

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// progress prints one live line, rewritten in place, while an attack
// runs. Its mutex also guards the counters it shows.
type progress struct {
	w     io.Writer // nil: no live line
	mu    sync.Mutex
	name  string
	label string
	d     time.Duration
	began time.Time
	sent  *int
	ok    *int
	shown bool
	quit  chan struct{}
	once  sync.Once
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, quit: make(chan struct{})}
	if w != nil {
		go func() {
			t := time.NewTicker(500 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-p.quit:
					return
				case <-t.C:
					p.draw()
				}
			}
		}()
	}
	return p
}

// set names what runs now; a nil sent clears it.
func (p *progress) set(name, label string, d time.Duration, began time.Time, sent, ok *int) {
	p.mu.Lock()
	p.name, p.label, p.d, p.began, p.sent, p.ok = name, label, d, began, sent, ok
	p.mu.Unlock()
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w == nil || p.sent == nil {
		return
	}
	pct := 100.0
	if *p.sent > 0 {
		pct = 100 * float64(*p.ok) / float64(*p.sent)
	}
	el := time.Since(p.began).Truncate(100 * time.Millisecond)
	fmt.Fprintf(p.w, "\r\033[K  %-9s %-24s %5.1fs/%v  answered %7d  ok %6.2f%%", p.name, p.label, el.Seconds(), p.d, *p.sent, pct)
	p.shown = true
}

// clear erases the live line so that a log line can be printed.
func (p *progress) clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.w != nil && p.shown {
		fmt.Fprint(p.w, "\r\033[K")
		p.shown = false
	}
}

// stop ends the live line for good.
func (p *progress) stop() {
	p.once.Do(func() { close(p.quit) })
	p.clear()
}

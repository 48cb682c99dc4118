package harness

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/procstat"
)

// connCounter counts the connections one target's client has open, and the
// most open at once since resetPeak, so the report states the connection
// count each rate used.
type connCounter struct {
	open, peak atomic.Int64
}

// dial returns a DialContext that counts through c.
func (c *connCounter) dial(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		n := c.open.Add(1)
		for p := c.peak.Load(); n > p && !c.peak.CompareAndSwap(p, n); p = c.peak.Load() {
		}
		return &countedConn{Conn: conn, c: c}, nil
	}
}

// resetPeak starts a new peak from the connections open now.
func (c *connCounter) resetPeak() { c.peak.Store(c.open.Load()) }

// countedConn gives its slot back once, on the first Close.
type countedConn struct {
	net.Conn
	c    *connCounter
	once sync.Once
}

func (cc *countedConn) Close() error {
	cc.once.Do(func() { cc.c.open.Add(-1) })
	return cc.Conn.Close()
}

// note records a measurement that failed without stopping the run.
func (r *run) note(msg string) {
	r.logf("note: %s", msg)
	r.rep.Notes = append(r.rep.Notes, msg)
}

// checkDescriptors drops t when it ran out of file descriptors during the
// attack: its log or its error answers say so. That is the target's
// failure, reported as such with its descriptor count and limit. The
// harness's own EMFILE (a dial that failed here) is a note instead.
func (r *run) checkDescriptors(t *target, s *segment, label string) {
	own, theirs := 0, 0
	for e, n := range s.errors {
		if !mentionsEMFILE(e) {
			continue
		}
		if strings.HasPrefix(e, "status ") {
			theirs += n
		} else {
			own += n
		}
	}
	if own > 0 {
		r.note(fmt.Sprintf("the harness ran out of file descriptors %d times while attacking %s at %s (limit %d)", own, t.name, label, r.nofile))
	}
	if t.proc == nil || t.down != "" {
		return
	}
	logged := t.proc.log.descriptorErrors()
	if logged == t.emfileSeen && theirs == 0 {
		return
	}
	t.emfileSeen = logged
	detail := "descriptor count unknown"
	if t.proc.cmd == nil || t.proc.cmd.Process == nil {
		detail = "not started"
	} else if open, limit, err := procstat.Descriptors(t.proc.pid()); err == nil {
		detail = fmt.Sprintf("%d descriptors open now, limit %d", open, limit)
	}
	r.drop(t, fmt.Sprintf("ran out of file descriptors during the %s attack (%d log lines and %d answers say so; %s): its own failure, not the harness's",
		label, logged, theirs, detail))
}

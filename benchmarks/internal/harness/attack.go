package harness

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/procstat"
	"github.com/bifrost-gw/bifrost/benchmarks/internal/report"
)

// segment is one attack's raw outcome.
type segment struct {
	sent, ok     int
	window       time.Duration // from the first request sent to one interval after the last
	span         time.Duration // from the first request sent to the last answer received
	latencies    []time.Duration
	selfOverhead []time.Duration // Bifrost's X-Bifrost-Overhead-Us header, when present
	errors       map[string]int
	cpu          time.Duration // the target's process
	userCPU      time.Duration // the user part of cpu
	mockCPU      time.Duration
	wall         time.Duration
	peakRSS      int64
	conns        int                // most connections open to the target at once
	stages       map[string]float64 // deltas of the scraped counters (stageCounters)
}

// merge adds b's outcome to a's (a may be nil) and returns a.
func merge(a, b *segment) *segment {
	if a == nil {
		return b
	}
	a.sent += b.sent
	a.ok += b.ok
	a.window += b.window
	a.span += b.span
	a.latencies = append(a.latencies, b.latencies...)
	a.selfOverhead = append(a.selfOverhead, b.selfOverhead...)
	for k, v := range b.errors {
		a.errors[k] += v
	}
	a.cpu += b.cpu
	a.userCPU += b.userCPU
	a.mockCPU += b.mockCPU
	a.wall += b.wall
	a.peakRSS = max(a.peakRSS, b.peakRSS)
	a.conns = max(a.conns, b.conns)
	if b.stages != nil {
		if a.stages == nil {
			a.stages = map[string]float64{}
		}
		for k, v := range b.stages {
			a.stages[k] += v
		}
	}
	return a
}

// point summarizes t's segments at rate.
func (r *run) point(t *target, rate int, s *segment) *report.Point {
	pt := &report.Point{Target: t.name, Rate: rate, Requests: s.sent, Success: s.ok, Errors: s.errors, Connections: s.conns}
	if s.sent > 0 {
		pt.SuccessPct = 100 * float64(s.ok) / float64(s.sent)
	}
	if s.window > 0 {
		pt.AchievedRate = float64(s.sent) / s.window.Seconds()
	}
	if s.span > 0 {
		pt.ServedRate = float64(s.ok) / s.span.Seconds()
	}
	pt.Latency = report.Summarize(s.latencies)
	pt.LatenciesUs = make([]int64, len(s.latencies))
	for i, d := range s.latencies {
		pt.LatenciesUs[i] = d.Microseconds()
	}
	if t.proc != nil && s.sent > 0 {
		pt.CPUPerReqMs = float64(s.cpu) / 1e6 / float64(s.sent)
		pt.UserCPUPerReqMs = float64(s.userCPU) / 1e6 / float64(s.sent)
		pt.PeakRSSMB = float64(s.peakRSS) / (1 << 20)
	}
	if s.wall > 0 {
		pt.MockCPUPct = 100 * s.mockCPU.Seconds() / s.wall.Seconds()
	}
	if s.sent > 0 {
		pt.MockCPUPerMs = float64(s.mockCPU) / 1e6 / float64(s.sent)
	}
	if n := s.stages[counterRequests]; n > 0 {
		pt.Stages = map[string]float64{}
		for k, v := range s.stages {
			if name, ok := strings.CutPrefix(k, "stage:"); ok {
				pt.Stages[name] = v / n * 1e6
			}
		}
	}
	if n := s.stages[counterOverheadCount]; n > 0 {
		pt.SelfOverheadAvgUs = s.stages[counterOverheadSum] / n * 1e6
	}
	if len(s.selfOverhead) > 0 {
		l := report.Summarize(s.selfOverhead)
		pt.SelfOverhead = &l
	}
	return pt
}

// attack sends rate requests per second to t for d, open loop, and
// measures them and the processes involved.
func (r *run) attack(ctx context.Context, client *http.Client, t *target, rate int, d time.Duration, label string) (*segment, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := &segment{errors: map[string]int{}, latencies: make([]time.Duration, 0, int(float64(rate)*d.Seconds())+16)}
	if t.down != "" {
		return s, nil
	}
	var before procstat.GroupSample
	if t.group != nil {
		var err error
		if before, err = t.group.Read(); err != nil || !before.LeaderUp {
			r.drop(t, fmt.Sprintf("its process exited before the %s attack (%s):\n%s", label, t.proc.exitStatus(), tail(t.proc.log.text())))
			return s, nil
		}
	}
	mockBefore, mockErr := r.mockProc.Read()
	if mockErr != nil {
		r.note(fmt.Sprintf("mock CPU not measured for %s at %s: %v", t.name, label, mockErr))
	}
	var countersBefore map[string]float64
	if t.metrics != "" {
		countersBefore = scrapeCounters(ctx, t.metrics)
	}
	if t.conns != nil {
		t.conns.resetPeak()
	}
	began := time.Now()
	rss := r.sampleRSS(t, before)
	r.fire(ctx, client, t, rate, d, label, s)
	sampledRSS := rss.stop()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.wall = time.Since(began)
	if t.conns != nil {
		s.conns = int(t.conns.peak.Load())
	}
	r.account(t, s, before, sampledRSS, label)
	if mockAfter, err := r.mockProc.Read(); err == nil && mockErr == nil {
		s.mockCPU = mockAfter.CPU - mockBefore.CPU
	}
	if countersBefore != nil {
		if after := scrapeCounters(ctx, t.metrics); after != nil {
			s.stages = map[string]float64{}
			for k, v := range after {
				s.stages[k] = v - countersBefore[k]
			}
		}
	}
	r.checkDescriptors(t, s, label)
	if t.down == "" {
		r.settle(ctx, t)
	}
	return s, nil
}

// fire runs the vegeta attack and records every result in s.
func (r *run) fire(ctx context.Context, client *http.Client, t *target, rate int, d time.Duration, label string, s *segment) {
	atk := vegeta.NewAttacker(vegeta.Client(client), vegeta.Workers(64), vegeta.MaxWorkers(uint64(r.maxWorkers())),
		vegeta.Redirects(vegeta.NoFollow), vegeta.MaxBody(512))
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: t.url, Body: r.bodyFor(t, false), Header: t.header})
	began := time.Now()
	results := atk.Attack(tr, vegeta.Rate{Freq: rate, Per: time.Second}, d, t.name)
	// Bound the attack in time whatever happens: its length plus the request timeout.
	guard := time.AfterFunc(d+r.cfg.Profile.Timeout+10*time.Second, func() { atk.Stop() })
	defer guard.Stop()
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
			atk.Stop()
		case <-stopped:
		}
	}()
	r.progress.set(t.name, label, d, began, &s.sent, &s.ok)
	defer r.progress.set("", "", 0, time.Time{}, nil, nil)
	var first, last, lastDone time.Time
	for res := range results {
		r.progress.mu.Lock()
		s.record(t, res)
		r.progress.mu.Unlock()
		if first.IsZero() || res.Timestamp.Before(first) {
			first = res.Timestamp
		}
		if res.Timestamp.After(last) {
			last = res.Timestamp
		}
		if done := res.Timestamp.Add(res.Latency); done.After(lastDone) {
			lastDone = done
		}
	}
	if s.sent > 0 {
		s.window = last.Sub(first) + time.Second/time.Duration(rate)
		s.span = max(lastDone.Sub(first), s.window)
	}
}

// record counts one result.
func (s *segment) record(t *target, res *vegeta.Result) {
	s.sent++
	if res.Code != 200 || res.Error != "" {
		s.countError(res.Code, res.Error, res.Body)
		return
	}
	s.ok++
	s.latencies = append(s.latencies, res.Latency)
	if t.selfHeader != "" {
		if v := res.Headers.Get(t.selfHeader); v != "" {
			if f, err := strconv.ParseFloat(v, 64); err == nil {
				s.selfOverhead = append(s.selfOverhead, time.Duration(f*float64(t.selfUnit)))
			}
		}
	}
}

// rssSampler samples the RSS of a gateway of several processes, which has
// no VmHWM of its own, while an attack runs.
type rssSampler struct {
	quit, done chan struct{}
	peak       int64
}

// sampleRSS starts sampling t's group every 200 ms when it has several
// processes; stop ends it and returns the highest sum seen (0 for none).
func (r *run) sampleRSS(t *target, before procstat.GroupSample) *rssSampler {
	s := &rssSampler{quit: make(chan struct{}), done: make(chan struct{})}
	if t.group == nil || before.Processes <= 1 {
		close(s.done)
		return s
	}
	tick := time.NewTicker(200 * time.Millisecond)
	go func() {
		defer close(s.done)
		defer tick.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-tick.C:
				if g, err := t.group.ReadKnown(); err == nil {
					s.peak = max(s.peak, g.RSS)
				}
			}
		}
	}()
	return s
}

func (s *rssSampler) stop() int64 {
	close(s.quit)
	<-s.done
	return s.peak
}

// account reads t's process group after an attack: its CPU and peak RSS
// into s, and drops t when its leader exited.
func (r *run) account(t *target, s *segment, before procstat.GroupSample, sampledRSS int64, label string) {
	if t.group == nil {
		return
	}
	after, err := t.group.Read()
	if err == nil {
		s.cpu = after.CPU - before.CPU
		s.userCPU = after.UserCPU - before.UserCPU
		s.peakRSS = after.PeakRSS
		if after.Processes > 1 || before.Processes > 1 {
			s.peakRSS = max(sampledRSS, after.RSS, before.RSS)
		}
		if after.Unread > 0 {
			r.note(fmt.Sprintf("%s at %s: %d of its processes could not be read from /proc; their CPU counts as last seen", t.name, label, after.Unread))
		}
	}
	if err != nil || !after.LeaderUp {
		r.drop(t, fmt.Sprintf("its process exited during the %s attack (%s):\n%s", label, t.proc.exitStatus(), tail(t.proc.log.text())))
	}
}

// overheadHeader is the response header in which Bifrost reports the
// time it added to the request, in microseconds (server.OverheadHeader).
const overheadHeader = "X-Bifrost-Overhead-Us"

// maxErrorKinds bounds the distinct error messages a segment keeps.
const maxErrorKinds = 20

// countError counts one failed request under a short description.
func (s *segment) countError(code uint16, msg string, body []byte) {
	e := msg
	if code != 0 {
		e = "status " + strconv.Itoa(int(code))
		if b := strings.TrimSpace(string(body)); b != "" {
			e += ": " + b
		}
	}
	if len(e) > 160 {
		e = e[:160]
	}
	if _, ok := s.errors[e]; !ok && len(s.errors) >= maxErrorKinds {
		e = "other"
	}
	s.errors[e]++
}

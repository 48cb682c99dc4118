package soak

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/harness"
	"github.com/bifrost-gw/bifrost/benchmarks/internal/procstat"
)

// load sends the open-loop load, classifies every answer and samples the
// gateway every second, filling rep's counts, samples and CPU figures.
func (r *run) load(ctx context.Context, rep *Report, streamRate int) error {
	cfg := r.cfg
	client := &http.Client{Timeout: cfg.Timeout, Transport: &http.Transport{
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxConnsPerHost:     cfg.Conns,
		MaxIdleConns:        cfg.Conns,
		MaxIdleConnsPerHost: cfg.Conns,
		IdleConnTimeout:     2 * time.Minute,
		DisableCompression:  true,
	}}
	defer client.CloseIdleConnections()
	if err := r.openConns(ctx, client); err != nil {
		return err
	}

	before := r.readCPU()

	sampleCtx, stopSampling := context.WithCancel(ctx)
	samplesDone := make(chan []Sample, 1)
	began := time.Now()
	go func() { samplesDone <- r.sample(sampleCtx, began) }()

	attacks := []*loadAttack{{kind: Plain, rate: cfg.Rate - streamRate}, {kind: Stream, rate: streamRate}}
	var wg sync.WaitGroup
	var win window
	for _, a := range attacks {
		if a.rate > 0 {
			r.startAttack(ctx, &wg, client, a, &win)
		}
	}
	progress := time.NewTicker(30 * time.Second)
	defer progress.Stop()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-progress.C:
			r.logf("  %v of %v", time.Since(began).Round(time.Second), cfg.Duration)
		}
	}
	loadEnd := time.Now()
	stopSampling()
	rep.Samples = <-samplesDone
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case <-r.gw.Exited():
		return fmt.Errorf("the gateway exited during the load:\n%s", harness.Tail(r.gw.Output()))
	default:
	}
	rep.Plain, rep.Stream = attacks[0].tally, attacks[1].tally
	rep.Total.Merge(&rep.Plain)
	rep.Total.Merge(&rep.Stream)
	rep.Plain.finish()
	rep.Stream.finish()
	rep.Total.finish()
	if rep.Total.Sent > 0 && win.last.After(win.first) {
		rep.Achieved = float64(rep.Total.Sent) / (win.last.Sub(win.first).Seconds() + 1/float64(cfg.Rate))
	}
	r.cpuFigures(rep, before, r.readCPU(), loadEnd.Sub(began).Seconds())
	return nil
}

// openConns opens the client's connections: Conns plain requests at once,
// each holding its connection for the mock's latency. Their answers are
// not counted.
func (r *run) openConns(ctx context.Context, client *http.Client) error {
	r.logf("opening %d client connections", r.cfg.Conns)
	var wg sync.WaitGroup
	errs := make([]error, r.cfg.Conns)
	for i := range r.cfg.Conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = r.send(ctx, client, Plain)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// transportErr returns the error of a result that got no whole response
// (no status, or a body that could not be read), or "". vegeta also fills
// Error with the status line of a 4xx or 5xx; that is not a transport error.
func transportErr(res *vegeta.Result) string {
	if res.Code == 0 {
		if res.Error == "" {
			return "no response"
		}
		return res.Error
	}
	if res.Code >= 200 && res.Code < 400 && res.Error != "" {
		return res.Error
	}
	return ""
}

// loadAttack is one of the load's two request kinds.
type loadAttack struct {
	kind  Kind
	rate  int
	tally Tally
}

// window is the span from the first request sent to the last, over both
// attacks.
type window struct {
	sync.Mutex
	first, last time.Time
}

// startAttack starts a's open-loop attack on the shared client; wg is done
// when its results are all tallied.
func (r *run) startAttack(ctx context.Context, wg *sync.WaitGroup, client *http.Client, a *loadAttack, win *window) {
	cfg := r.cfg
	url := r.gwURL + "/v1/chat/completions"
	header := http.Header{"Content-Type": {"application/json"}}
	atk := vegeta.NewAttacker(vegeta.Client(client), vegeta.Workers(64), vegeta.MaxWorkers(20000),
		vegeta.Redirects(vegeta.NoFollow)) // no option that changes the shared Transport
	tr := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: url, Body: chatBody(a.kind == Stream), Header: header})
	results := atk.Attack(tr, vegeta.Rate{Freq: a.rate, Per: time.Second}, cfg.Duration, a.kind.String())
	guard := time.AfterFunc(cfg.Duration+cfg.Timeout+10*time.Second, func() { atk.Stop() })
	stopOnCancel := context.AfterFunc(ctx, func() { atk.Stop() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer guard.Stop()
		defer stopOnCancel()
		var first, last time.Time
		for res := range results {
			o, reason := Classify(Answer{Kind: a.kind, Status: int(res.Code), ContentType: res.Headers.Get("Content-Type"),
				Body: res.Body, Err: transportErr(res)})
			a.tally.Add(o, reason, res.Latency)
			if first.IsZero() || res.Timestamp.Before(first) {
				first = res.Timestamp
			}
			if res.Timestamp.After(last) {
				last = res.Timestamp
			}
		}
		win.Lock()
		if !first.IsZero() && (win.first.IsZero() || first.Before(win.first)) {
			win.first = first
		}
		if last.After(win.last) {
			win.last = last
		}
		win.Unlock()
	}()
}

// cpuReadings are the CPU counters of the gateway, the mock and the load
// generator at one moment; a reading that failed is nil.
type cpuReadings struct {
	gw, mock, self *procstat.Sample
}

// readCPU reads the three processes' counters; a failed read is logged
// and leaves its figure out of the report instead of ending the run.
func (r *run) readCPU() cpuReadings {
	read := func(name string, pid int) *procstat.Sample {
		s, err := procstat.Read(pid)
		if err != nil {
			r.logf("%s: CPU not measured: %v", name, err)
			return nil
		}
		return &s
	}
	return cpuReadings{gw: read("gateway", r.gw.Pid()), mock: read("mock", r.mock.Pid()), self: read("load generator", os.Getpid())}
}

// cpuFigures fills rep's CPU figures from two readings wall seconds apart.
func (r *run) cpuFigures(rep *Report, before, after cpuReadings, wall float64) {
	if before.gw != nil && after.gw != nil {
		cpu := after.gw.CPU - before.gw.CPU
		rep.GatewayCPUPct = 100 * cpu.Seconds() / wall
		if rep.Total.Sent > 0 {
			rep.GatewayCPUPerReqMs = float64(cpu) / 1e6 / float64(rep.Total.Sent)
		}
	}
	if before.mock != nil && after.mock != nil {
		rep.MockCPUPct = 100 * (after.mock.CPU - before.mock.CPU).Seconds() / wall
	}
	if before.self != nil && after.self != nil {
		rep.LoadGenCPUPct = 100 * (after.self.CPU - before.self.CPU).Seconds() / wall
	}
}

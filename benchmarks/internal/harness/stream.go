package harness

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/bifrost-gw/bifrost/benchmarks/internal/procstat"
	"github.com/bifrost-gw/bifrost/benchmarks/internal/report"
)

// streamResult is one streamed request as the SSE client saw it.
type streamResult struct {
	ok     bool
	ttfb   time.Duration   // to the first data event
	chunks []time.Duration // each data event's arrival since the request was sent, [DONE] excluded
	total  time.Duration   // to [DONE]
	err    string          // why it failed
}

// readSSE sends one streamed request and timestamps every data event
// as it arrives (vegeta records only whole-request latency).
func readSSE(ctx context.Context, client *http.Client, url string, header http.Header, body []byte) streamResult {
	var res streamResult
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return res
	}
	req.Header = header.Clone()
	sent := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		res.err = err.Error()
		return res
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		res.err = fmt.Sprintf("status %d: %s", resp.StatusCode, bytes.TrimSpace(b))
		return res
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	partial := false // the last read ended inside a long line
	for {
		line, err := br.ReadSlice('\n')
		if len(line) > 0 && !partial && bytes.HasPrefix(line, []byte("data:")) {
			at := time.Since(sent)
			if streamEnd(line[len("data:"):]) {
				res.ok = len(res.chunks) > 0
				res.total = at
				return res
			}
			if len(res.chunks) == 0 {
				res.ttfb = at
			}
			res.chunks = append(res.chunks, at)
		}
		partial = err == bufio.ErrBufferFull
		if err != nil && !partial {
			res.err = "stream ended without [DONE]: " + err.Error()
			return res
		}
	}
}

// streamStats summarizes the successful streams of one target.
type streamStats struct {
	ttfb, total []time.Duration
	// byChunk[i] is the median arrival of chunk i over the streams that had it.
	byChunk []time.Duration
	chunks  int
	ok      int
	errors  map[string]int
}

func summarizeStreams(results []streamResult) streamStats {
	var st streamStats
	var perIndex [][]time.Duration
	for _, res := range results {
		if !res.ok {
			if res.err == "" {
				res.err = "no data events"
			}
			if st.errors == nil {
				st.errors = map[string]int{}
			}
			if _, seen := st.errors[res.err]; seen || len(st.errors) < maxErrorKinds {
				st.errors[res.err]++
			} else {
				st.errors["other"]++
			}
			continue
		}
		st.ok++
		st.ttfb = append(st.ttfb, res.ttfb)
		st.total = append(st.total, res.total)
		st.chunks = max(st.chunks, len(res.chunks))
		for i, at := range res.chunks {
			if i == len(perIndex) {
				perIndex = append(perIndex, nil)
			}
			perIndex[i] = append(perIndex[i], at)
		}
	}
	for _, arr := range perIndex {
		slices.Sort(arr)
		st.byChunk = append(st.byChunk, report.Percentile(arr, 0.5))
	}
	return st
}

// chunkDelay returns the mean and the largest, over chunk indices, of the
// target's median arrival of chunk i minus direct's.
func chunkDelay(target, direct []time.Duration) (mean, most float64, ok bool) {
	n := min(len(target), len(direct))
	if n == 0 {
		return 0, 0, false
	}
	sum := 0.0
	most = -1e18
	for i := range n {
		d := float64(target[i]-direct[i]) / 1e6
		sum += d
		most = max(most, d)
	}
	return sum / float64(n), most, true
}

// streams runs the streaming scenario: for each target, StreamRate streams
// per second for StreamFor, each read by the SSE client.
func (r *run) streams(ctx context.Context) error {
	p := r.cfg.Profile
	r.logf("streaming: %d streams/s for %v per target", p.StreamRate, p.StreamFor)
	var direct *streamStats
	var directRep *report.Stream
	for _, t := range r.live() {
		client := &http.Client{Timeout: p.Timeout, Transport: &http.Transport{MaxIdleConnsPerHost: 2000, DisableCompression: true}}
		n := max(1, int(float64(p.StreamRate)*p.StreamFor.Seconds()))
		body := r.bodyFor(t, true)
		var before procstat.GroupSample
		if t.group != nil {
			before, _ = t.group.Read()
		}
		results := make([]streamResult, n)
		var wg sync.WaitGroup
		tick := time.NewTicker(time.Second / time.Duration(p.StreamRate))
		sent, ok := 0, 0
		r.progress.set(t.name, "streaming", p.StreamFor, time.Now(), &sent, &ok)
		for i := range n {
			if i > 0 {
				select {
				case <-ctx.Done():
				case <-tick.C:
				}
			}
			if ctx.Err() != nil {
				break
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i] = readSSE(ctx, client, t.url, t.header, body)
				r.progress.mu.Lock()
				sent++
				if results[i].ok {
					ok++
				}
				r.progress.mu.Unlock()
			}()
		}
		tick.Stop()
		wg.Wait()
		r.progress.set("", "", 0, time.Time{}, nil, nil)
		client.CloseIdleConnections()
		if err := ctx.Err(); err != nil {
			return err
		}
		st := summarizeStreams(results)
		s := &report.Stream{Target: t.name, Streams: n, Success: st.ok, Chunks: st.chunks,
			TTFB: report.Summarize(st.ttfb), Total: report.Summarize(st.total), Errors: st.errors}
		if t.group != nil {
			if after, err := t.group.Read(); err == nil {
				s.CPUPerStreamMs = float64(after.CPU-before.CPU) / 1e6 / float64(n)
			} else {
				r.note(fmt.Sprintf("%s: stream CPU not measured: %v", t.name, err))
			}
		}
		if t.name == report.Direct {
			direct, directRep = &st, s
		} else if direct != nil && st.ok > 0 && direct.ok > 0 {
			to := report.Overhead(s.TTFB, directRep.TTFB)
			wo := report.Overhead(s.Total, directRep.Total)
			s.TTFBOverhead, s.TotalOverhead = &to, &wo
			if mean, most, ok := chunkDelay(st.byChunk, direct.byChunk); ok {
				s.ChunkDelayMeanMs, s.ChunkDelayMaxMs = &mean, &most
			}
		}
		r.rep.Streams = append(r.rep.Streams, s)
		over := ""
		if s.TTFBOverhead != nil && s.ChunkDelayMeanMs != nil {
			over = fmt.Sprintf(", TTFB overhead p50 %+.2f ms, per-chunk delay mean %+.2f ms", s.TTFBOverhead.P50, *s.ChunkDelayMeanMs)
		}
		r.logf("%-9s streams: %d/%d ok, %d chunks, TTFB p50 %.2f ms p99 %.2f ms%s", t.name, s.Success, s.Streams, s.Chunks, s.TTFB.P50, s.TTFB.P99, over)
		for msg, n := range s.Errors {
			r.logf("%-9s streams: %d failed: %s", t.name, n, msg)
		}
	}
	return nil
}

package mocks

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults applied by New to zero Config fields.
const (
	// DefaultResponseSize is the response size used when Config.ResponseSize is empty.
	DefaultResponseSize = "1kb"
	// DefaultStreamChunks is the number of content chunks used when Config.StreamChunks is 0.
	DefaultStreamChunks = 20
	// DefaultEmbeddingDimensions is the vector length used when
	// Config.EmbeddingDimensions is 0 and a request has no "dimensions".
	DefaultEmbeddingDimensions = 1536
)

// Limits enforced by New and by the request parsers.
const (
	maxResponseKB       = 1024
	maxStreamChunks     = 10000
	maxEmbeddingDims    = 8192
	maxEmbeddingInputs  = 2048
	recordCapacity      = 64
	maxJSONNestingDepth = 128
)

// Config describes how a Server behaves. The zero value is a fast, reliable
// mock: no latency, 1 KB responses, 20 stream chunks, no failures, no key.
type Config struct {
	// Format is the wire format the mock speaks: FormatOpenAI (the default) or another
	// provider's (see formats.go).
	Format string

	// MaxRequestBodySize is the largest request body the mock reads, in bytes; 0 means
	// fasthttp's default (4 MiB). Larger bodies get 413.
	MaxRequestBodySize int

	// Latency is the fixed time a chat, completion or embeddings request
	// takes before it is answered. Streamed responses spread it over their
	// chunks: the time to the first chunk plus the gaps between chunks add
	// up to the request's latency. Listing models and error answers
	// (including injected failures) are immediate.
	Latency time.Duration

	// Jitter makes the latency vary: each request's latency is drawn
	// uniformly from [Latency-Jitter, Latency+Jitter] and floored at zero.
	// Zero means every request takes exactly Latency.
	Jitter time.Duration

	// Model, when set, replaces Latency and Jitter: each request's latency
	// is Model.Sample of a uniform draw from the seeded random source
	// (see Fixed, Jitter, Percentiles, Trace and ParseLatencyModel).
	Model LatencyModel

	// ResponseSize sets the size of a plain chat completion body: "1kb"
	// (the default) or "10kb"; any whole number of kilobytes up to 1024kb
	// is accepted. The assistant content is sized so that the whole body
	// is about that size; text completions and streams carry the same
	// content.
	ResponseSize string

	// StreamChunks is the number of content chunks in a streamed response,
	// not counting the role chunk, the finish chunk, the usage chunk and
	// [DONE]. Zero means DefaultStreamChunks. It is capped at the content
	// length in bytes.
	StreamChunks int

	// EmbeddingDimensions is the length of each embedding vector when the
	// request has no "dimensions". Zero means DefaultEmbeddingDimensions.
	EmbeddingDimensions int

	// Rate429, Rate500 and Rate503 are the probabilities (0 to 1, summing
	// to at most 1) that a request is answered with that status instead of
	// its normal response. A 429 carries "Retry-After: 1".
	Rate429 float64
	Rate500 float64
	Rate503 float64

	// FailFirst lists status codes (400 to 599) returned, in order, to the
	// first len(FailFirst) authorised requests to known routes, before any
	// random failure is drawn. It makes retry tests deterministic.
	FailFirst []int

	// ModelStatus maps a model name to the status code (400 to 599) that every
	// authorised chat request for that model is answered with, once no other
	// failure (FailFirst, Fault, the rates) was injected: a provider that fails for
	// one model and serves the others.
	// 403 and 404 carry OpenAI's model_not_found errors ("Project ... does not have
	// access to model ...", "The model ... does not exist or you do not have access
	// to it."); other codes carry the injected error of that status.
	ModelStatus map[string]int

	// Fault, when set, makes requests fail below the status level: in the
	// connection, the timing or the body of the answer, as its FaultMode
	// describes. It applies once FailFirst is used up, to the next
	// FaultCount authorised requests to known routes (to every one when
	// FaultCount is 0), before any random failure is drawn.
	Fault FaultMode

	// FaultCount limits Fault to that many requests; 0 means every request.
	FaultCount int

	// FaultDelay paces FaultSlowBody (the gap between the body's pieces)
	// and FaultEndlessStream (the gap between chunks). Zero means
	// DefaultFaultDelay.
	FaultDelay time.Duration

	// RetryAfter is the Retry-After, in seconds, sent with an injected 429
	// (FailFirst or Rate429), up to a day. Zero means 1.
	RetryAfter int

	// FaultBodySize is the size in bytes of FaultHugeBody's answer, up to
	// 256 MB. Zero means DefaultFaultBodySize (20 MB).
	FaultBodySize int

	// EchoStatus is the status of FaultEchoKey's answer to a plain request (400 to 599).
	// Zero means DefaultEchoStatus (401).
	EchoStatus int
	// FaultBody is FaultBody's answer, sent as it is with status 200.
	FaultBody string

	// RequireKey, when set, makes every request without the header
	// "Authorization: Bearer <RequireKey>" fail with 401 invalid_api_key.
	RequireKey string

	// Record keeps a copy of the last 64 requests, for Server.Requests.
	// It costs allocations on every request; it is off by default.
	Record bool

	// Seed seeds the random source used for jitter and failure rates, so a
	// run can be repeated. Zero picks a random seed.
	Seed uint64
}

// withDefaults returns a copy of cfg with zero fields set to their
// defaults, or an error naming the first invalid field.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Latency < 0 {
		return cfg, fmt.Errorf("mocks: Latency %v is negative", cfg.Latency)
	}
	if cfg.Jitter < 0 {
		return cfg, fmt.Errorf("mocks: Jitter %v is negative", cfg.Jitter)
	}
	if cfg.ResponseSize == "" {
		cfg.ResponseSize = DefaultResponseSize
	}
	if _, err := parseSize(cfg.ResponseSize); err != nil {
		return cfg, err
	}
	switch {
	case cfg.StreamChunks == 0:
		cfg.StreamChunks = DefaultStreamChunks
	case cfg.StreamChunks < 0 || cfg.StreamChunks > maxStreamChunks:
		return cfg, fmt.Errorf("mocks: StreamChunks %d is outside 1..%d", cfg.StreamChunks, maxStreamChunks)
	}
	switch {
	case cfg.EmbeddingDimensions == 0:
		cfg.EmbeddingDimensions = DefaultEmbeddingDimensions
	case cfg.EmbeddingDimensions < 0 || cfg.EmbeddingDimensions > maxEmbeddingDims:
		return cfg, fmt.Errorf("mocks: EmbeddingDimensions %d is outside 1..%d", cfg.EmbeddingDimensions, maxEmbeddingDims)
	}
	rates := []struct {
		name string
		v    float64
	}{{"Rate429", cfg.Rate429}, {"Rate500", cfg.Rate500}, {"Rate503", cfg.Rate503}}
	for _, r := range rates {
		if !(r.v >= 0 && r.v <= 1) { // also rejects NaN
			return cfg, fmt.Errorf("mocks: %s %v is outside 0..1", r.name, r.v)
		}
	}
	if sum := cfg.Rate429 + cfg.Rate500 + cfg.Rate503; sum > 1 {
		return cfg, fmt.Errorf("mocks: failure rates sum to %v, more than 1", sum)
	}
	for i, code := range cfg.FailFirst {
		if code < 400 || code > 599 {
			return cfg, fmt.Errorf("mocks: FailFirst[%d] = %d is not a 4xx or 5xx status", i, code)
		}
	}
	cfg.FailFirst = append([]int(nil), cfg.FailFirst...)
	statuses := make(map[string]int, len(cfg.ModelStatus))
	for m, code := range cfg.ModelStatus {
		if code < 400 || code > 599 {
			return cfg, fmt.Errorf("mocks: ModelStatus[%q] = %d is not a 4xx or 5xx status", m, code)
		}
		statuses[m] = code
	}
	cfg.ModelStatus = statuses
	return cfg.faultDefaults()
}

// faultDefaults checks the fault fields of cfg and fills their defaults.
func (cfg Config) faultDefaults() (Config, error) {
	switch {
	case !cfg.Fault.known():
		return cfg, fmt.Errorf("mocks: Fault %q is not a known fault mode", cfg.Fault)
	case cfg.FaultCount < 0:
		return cfg, fmt.Errorf("mocks: FaultCount %d is negative", cfg.FaultCount)
	case cfg.FaultCount > 0 && cfg.Fault == FaultNone:
		return cfg, fmt.Errorf("mocks: FaultCount %d without a Fault", cfg.FaultCount)
	case cfg.FaultDelay < 0:
		return cfg, fmt.Errorf("mocks: FaultDelay %v is negative", cfg.FaultDelay)
	case cfg.RetryAfter < 0 || cfg.RetryAfter > 86400:
		return cfg, fmt.Errorf("mocks: RetryAfter %d is outside 0..86400", cfg.RetryAfter)
	case cfg.EchoStatus != 0 && (cfg.EchoStatus < 400 || cfg.EchoStatus > 599):
		return cfg, fmt.Errorf("mocks: EchoStatus %d is not a 4xx or 5xx status", cfg.EchoStatus)
	case cfg.FaultBodySize < 0 || cfg.FaultBodySize > maxFaultBodySize:
		return cfg, fmt.Errorf("mocks: FaultBodySize %d is outside 0..%d", cfg.FaultBodySize, maxFaultBodySize)
	}
	if cfg.FaultDelay == 0 {
		cfg.FaultDelay = DefaultFaultDelay
	}
	if cfg.FaultBodySize == 0 {
		cfg.FaultBodySize = DefaultFaultBodySize
	}
	return cfg, nil
}

// parseSize reads a size such as "1kb" or "10KB" and returns it in bytes.
func parseSize(s string) (int, error) {
	digits, ok := strings.CutSuffix(strings.ToLower(strings.TrimSpace(s)), "kb")
	if !ok {
		return 0, fmt.Errorf("mocks: ResponseSize %q: want a size such as \"1kb\" or \"10kb\"", s)
	}
	n, err := strconv.Atoi(digits)
	if err != nil || n < 1 || n > maxResponseKB {
		return 0, fmt.Errorf("mocks: ResponseSize %q: want 1kb to %dkb", s, maxResponseKB)
	}
	return n * 1024, nil
}

# Bifrost: `make demo` runs the gateway against mock providers; `make test` runs every test.
GO       ?= go
BIN      := bin
CONFIG   ?= config.json
HOST     ?= 127.0.0.1
PORT     ?= 8080
NODE_E2E := server/e2e/node
PY_E2E   := server/e2e/python
PYTHON   ?= python3
# Build with the toolchain go.mod asks for (a patch release with the standard library's
# security fixes; see scripts/vulncheck.sh), fetched from the module proxy when the local Go
# is older. A newer local Go is used as it is.
export GOTOOLCHAIN := auto

.PHONY: all gen gen-check build run demo test vet node-deps python-deps bench bench-grpc soak bench-go footprint fuzz hostile vulncheck clean

all: build

## gen: compile specs/ into adapters/ and write the easyjson marshalers
gen:
	$(GO) run ./gen/cmd/bifrost-schemagen
	$(GO) run ./gen/cmd/bifrost-gen
	$(GO) run ./gen/cmd/bifrost-protogen

## gen-check: fail when generated code is stale (no files written)
gen-check:
	$(GO) run ./gen/cmd/bifrost-gen -check
	$(GO) run ./gen/cmd/bifrost-protogen -check

## build: build the gateway and the mock provider into bin/
build:
	$(GO) build -o $(BIN)/bifrost-http ./server/cmd/bifrost-http
	$(GO) build -o $(BIN)/bifrost-mock ./mocks/cmd/bifrost-mock

## run: run the gateway with real providers; CONFIG defaults to a config made from the
## *_API_KEY variables that are set (see scripts/config-from-env.sh)
run: build
	@if [ -f "$(CONFIG)" ]; then cfg="$(CONFIG)"; else cfg="$$(mktemp --suffix=.json)"; scripts/config-from-env.sh > "$$cfg"; echo "using a config made from the environment: $$cfg"; fi; \
	exec $(BIN)/bifrost-http -config "$$cfg" -host $(HOST) -port $(PORT)

## demo: start a mock provider and the gateway, send a chat, a stream and embeddings, stop both
demo: build
	scripts/demo.sh

vet:
	$(GO) vet ./...
	@out="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

## node-deps: install the npm packages the SDK end-to-end tests use (openai)
node-deps:
	cd $(NODE_E2E) && npm ci --no-audit --no-fund --loglevel=error

## python-deps: make $(PY_E2E)/.venv with the pinned, hashed openai and anthropic packages
## ($(PY_E2E)/requirements.txt) that the Python SDK end-to-end tests use; once per lock change
python-deps: $(PY_E2E)/.venv/.installed
$(PY_E2E)/.venv/.installed: $(PY_E2E)/requirements.txt
	rm -rf $(PY_E2E)/.venv
	$(PYTHON) -m venv $(PY_E2E)/.venv
	$(PY_E2E)/.venv/bin/pip install --quiet --disable-pip-version-check --require-hashes --no-deps -r $(PY_E2E)/requirements.txt
	touch $@

## test: vet, the generated-code staleness check, and every Go test with the race detector
## (including the OpenAI Node SDK and the OpenAI and Anthropic Python SDK end-to-end tests)
test: vet gen-check node-deps python-deps
	BIFROST_NODE_E2E=1 BIFROST_PYTHON_E2E=1 $(GO) test -race -count=1 ./...
	@# Allocation counts are asserted without the race detector, whose sync.Pool drops objects.
	$(GO) test -count=1 -run 'Allocs' ./...

## bench: end-to-end overhead benchmark (BENCHMARKS.md): builds bin/, starts the mock, a raw
## proxy, the gateway and any PEERS (litellm, portkey, name=/path/to/gateway args; installed once
## into the user cache folder, LiteLLM from benchmarks/peers/litellm's hashed lock), and writes
## benchmarks/results/<date>-<PROFILE>/; PROFILE is quick (default, < 5 min), t3.medium,
## t3.xlarge, or launch (the launch post's two LiteLLM tables and the capacity curve, < 20 min
## with PEERS=litellm,portkey); BENCH_ARGS adds bifrost-bench flags (e.g. -segment 1s -rounds 1);
## TRACING=1 adds a second gateway, "bifrost+tracing", exporting every trace over OTLP/HTTP to
## the Collector's OTLP receiver (bench-otlp-receiver): the cost of tracing, beside "bifrost"
PROFILE    ?= quick
PEERS      ?=
BENCH_ARGS ?=
TRACING    ?=
bench:
	$(GO) build -o $(BIN)/bifrost-http ./server/cmd/bifrost-http
	$(GO) build -o $(BIN)/bifrost-mock ./mocks/cmd/bifrost-mock
	$(GO) build -o $(BIN)/bench-rawproxy ./benchmarks/cmd/bench-rawproxy
	$(GO) build -o $(BIN)/bifrost-bench ./benchmarks/cmd/bifrost-bench
	$(if $(TRACING),$(GO) build -o $(BIN)/bench-otlp-receiver ./benchmarks/cmd/bench-otlp-receiver)
	BIFROST_BENCH_COMMAND="make bench PROFILE=$(PROFILE)$(if $(PEERS), PEERS=$(PEERS))$(if $(TRACING), TRACING=1)$(if $(BENCH_ARGS), BENCH_ARGS='$(BENCH_ARGS)')" \
	$(BIN)/bifrost-bench -profile $(PROFILE) -peers "$(PEERS)" -bin $(BIN) -out benchmarks/results$(if $(TRACING), -tracing) $(BENCH_ARGS)

## soak: sustained load (issue 6): SOAK_RATE requests/s (80% plain, 20% streaming chat) for
## SOAK_DURATION through the gateway to a mock failing 1% of upstream requests; checks that every
## request got a complete answer or a well-formed error and that RSS and goroutines plateau;
## writes $(SOAK_OUT)/<date>-soak/ (default benchmarks/results) and exits non-zero when a check
## fails. CI: make soak SOAK_RATE=300 SOAK_DURATION=45s SOAK_OUT=<a temporary folder>
SOAK_RATE     ?= 2000
SOAK_DURATION ?= 10m
SOAK_OUT      ?= benchmarks/results
soak:
	$(GO) build -o $(BIN)/bifrost-http ./server/cmd/bifrost-http
	$(GO) build -o $(BIN)/bifrost-mock ./mocks/cmd/bifrost-mock
	$(GO) build -o $(BIN)/bifrost-soak ./benchmarks/cmd/bifrost-soak
	BIFROST_SOAK_COMMAND="make soak SOAK_RATE=$(SOAK_RATE) SOAK_DURATION=$(SOAK_DURATION)" \
	$(BIN)/bifrost-soak -rate $(SOAK_RATE) -duration $(SOAK_DURATION) -bin $(BIN) -out $(SOAK_OUT)

## bench-grpc: the same chat at the same rate to the HTTP and the gRPC port of one gateway
## (bin/bench-grpc), each transport's overhead read from /metrics; GRPC_ARGS adds flags
## (-rate 500 -duration 10s -rounds 2 -mock-latency 0s)
GRPC_ARGS ?=
bench-grpc: build
	$(GO) build -o $(BIN)/bench-grpc ./benchmarks/cmd/bench-grpc
	$(BIN)/bench-grpc -bin $(BIN) $(GRPC_ARGS)

## bench-go: in-process stage benchmarks (allocs/op, ns/op)
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./runtime/... ./server/... ./adapters/... ./mocks/...

## footprint: cache lines of code and data one request touches, cold, and the instructions it
## runs, through the gateway's passthrough and decoding paths and the raw byte proxy (as
## handlers, and through their whole servers: the -served rows), counted by valgrind's
## cachegrind (issue 18; needs valgrind: apt-get install valgrind). Repeats from run to run,
## unlike CPU timings on a shared machine; the timings of the same cold requests:
## go test -run '^$$' -bench BenchmarkFootprint ./benchmarks/internal/footprint/
footprint:
	scripts/footprint.sh

## cpu-stages: where the CPU of a request goes, stage by stage (HTTP server, handler, request
## scan, engine, upstream request and exchange, answer scan, metrics, access line, Go runtime),
## in the gateway and the raw proxy under make bench's quick setup, from perf's sampled call
## stacks (bin/bench-cpustages; needs perf: apt-get install linux-perf, and root or
## kernel.perf_event_paranoid <= 0); CPU_STAGES_ARGS adds flags (-rate 3000 -duration 6s
## -rounds 2 -translate -out FILE)
CPU_STAGES_ARGS ?=
cpu-stages: build
	$(GO) build -o $(BIN)/bench-rawproxy ./benchmarks/cmd/bench-rawproxy
	$(GO) build -o $(BIN)/bench-cpustages ./benchmarks/cmd/bench-cpustages
	$(BIN)/bench-cpustages -bin $(BIN) $(CPU_STAGES_ARGS)

## vulncheck: govulncheck against the Go vulnerability database (built from the vulndb module)
vulncheck:
	scripts/vulncheck.sh

## fuzz: run every fuzz target for FUZZTIME each (default 30s); CI runs them for 5s
fuzz:
	FUZZTIME=$(or $(FUZZTIME),30s) scripts/fuzz.sh

## hostile: the hostile tests too slow or heavy for make test (issue 10): 30 clients upload
## 95 MB each at once (about 3 GB over loopback); checks the buffered-request cap and that
## the memory is given back (RELIABILITY.md)
hostile:
	BIFROST_HOSTILE=1 $(GO) test -count=1 -v -run 'TestUploadFlood' ./server/e2e/

clean:
	rm -rf $(BIN)

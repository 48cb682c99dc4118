# Bifrost: `make demo` runs the gateway against mock providers; `make test` runs every test.
GO       ?= go
BIN      := bin
CONFIG   ?= config.json
HOST     ?= 127.0.0.1
PORT     ?= 8080
NODE_E2E := server/e2e/node

.PHONY: all gen gen-check build run demo test vet node-deps bench fuzz clean

all: build

## gen: compile specs/ into adapters/ and write the easyjson marshalers
gen:
	$(GO) run ./gen/cmd/bifrost-schemagen
	$(GO) run ./gen/cmd/bifrost-gen

## gen-check: fail when generated code is stale (no files written)
gen-check:
	$(GO) run ./gen/cmd/bifrost-gen -check

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

## test: vet, the generated-code staleness check, and every Go test with the race detector
## (including the OpenAI Node SDK end-to-end test)
test: vet gen-check node-deps
	BIFROST_NODE_E2E=1 $(GO) test -race -count=1 ./...

## bench: in-process stage benchmarks (allocs/op, ns/op)
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./runtime/... ./server/... ./adapters/... ./mocks/...

## fuzz: run every fuzz target for FUZZTIME each (default 30s); CI runs them for 5s
fuzz:
	FUZZTIME=$(or $(FUZZTIME),30s) scripts/fuzz.sh

clean:
	rm -rf $(BIN)

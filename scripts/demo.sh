#!/usr/bin/env bash
# Runs Bifrost against the mock provider on 127.0.0.1: starts both, sends a chat completion,
# a streamed chat completion and an embeddings request through the gateway, prints them, and
# stops everything it started. Used by `make demo`.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v curl >/dev/null || { echo "make demo needs curl (apt-get install curl)" >&2; exit 1; }
tmp="$(mktemp -d)"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

# wait_for FILE PATTERN: print the first match of PATTERN (an http:// URL) in FILE within 10 s.
wait_for() {
  for _ in $(seq 100); do
    if url="$(grep -o "$2" "$1" | head -n 1)" && [ -n "$url" ]; then echo "$url"; return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $1:" >&2; cat "$1" >&2; return 1
}

key="demo-key-$RANDOM$RANDOM"
bin/bifrost-mock -addr 127.0.0.1:0 -latency 60ms -jitter 10ms -require-key "$key" >"$tmp/mock.log" 2>&1 &
pids+=($!)
mock_url="$(wait_for "$tmp/mock.log" 'http://127\.0\.0\.1:[0-9]*')"

BIFROST_DEMO_MOCK_URL="$mock_url" BIFROST_DEMO_KEY="$key" \
  bin/bifrost-http -config examples/demo.json -host 127.0.0.1 -port 0 >"$tmp/gateway.log" 2>&1 &
pids+=($!)
gw="$(wait_for "$tmp/gateway.log" 'http://127\.0\.0\.1:[0-9]*')"

echo "mock provider: $mock_url   gateway: $gw"
echo
echo "== POST $gw/v1/chat/completions (model openai/gpt-4o-mini)"
curl -sS -D "$tmp/headers" "$gw/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"Say hello in one line."}],"max_tokens":32}'
echo
grep -i '^x-bifrost-overhead-us' "$tmp/headers" || true
echo
echo "== POST $gw/v1/chat/completions with \"stream\": true (alias fast -> groq, then openai)"
curl -sS -N "$gw/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model":"fast","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Count to three."}]}' >"$tmp/stream"
grep '^data: ' "$tmp/stream" >"$tmp/events" || true
echo "($(wc -l <"$tmp/events") events; the first two and the last three)"
head -n 2 "$tmp/events"
echo "..."
tail -n 3 "$tmp/events"
echo
echo "== POST $gw/v1/embeddings (model openai/text-embedding-3-small, dimensions 4)"
curl -sS "$gw/v1/embeddings" -H 'Content-Type: application/json' \
  -d '{"model":"openai/text-embedding-3-small","input":["Bifrost","gateway"],"dimensions":4}'
echo
echo
echo "== GET $gw/metrics (bifrost_requests_total)"
curl -sS "$gw/metrics" | grep '^bifrost_requests_total' || true
echo
echo "demo done; stopping the gateway and the mock"

// Package runtime is Bifrost's engine: it routes unified requests to providers through the
// provider adapters it is given (Options.Adapters: usually adapters.All(), generated from
// specs/ with the hand-written codecs beside them), with per-provider connection pools,
// weighted key selection, admission (concurrency plus a bounded queue), retries with backoff
// and jitter, and fallbacks.
//
// The engine reads its configuration through one immutable snapshot that Reload swaps
// atomically, so a request in flight keeps the snapshot it started with.
//
// Requests run on the caller's goroutine. Their state lives in a pooled [Call]: acquire one,
// decode a request into it, run it, encode its result, release it. A non-streaming request
// allocates nothing in steady state.
package runtime

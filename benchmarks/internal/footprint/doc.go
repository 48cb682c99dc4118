// Package footprint measures what one request costs when the caches are cold: the gateway
// in one process (passthrough and decoding paths) and the raw byte proxy, each in front of
// the same in-memory mock, with 64 MiB written between requests so that each one starts
// with nothing of its code or data in the CPU caches.
//
// Under load on a small machine the gateway shares its cores with the load generator, the
// mock and the kernel, and each request finds little of its code in the caches: what a
// request costs there follows how many distinct cache lines of code and data it touches
// more than how many instructions it runs. BenchmarkFootprint times that cold case, and
// scripts/footprint.sh counts the lines themselves under valgrind's cachegrind (make
// footprint), which, unlike timings on a shared machine, repeat from run to run.
package footprint

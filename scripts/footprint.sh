#!/usr/bin/env bash
# footprint.sh: cache lines of code and data that one request touches, cold, through the
# gateway (passthrough and decoding paths) and the raw byte proxy (make footprint). The
# -served rows go through each one's whole fasthttp server, connection loop included, with
# a client in the same process (its work counts in both rows alike).
#
# It runs benchmarks/internal/footprint's BenchmarkFootprint (cold mode: 64 MiB written
# between requests) under valgrind's cachegrind with a small simulated cache (32 KiB L1,
# 256 KiB last level), twice: FOOTPRINT_LO and FOOTPRINT_HI requests (default 100 and 600).
# The difference of the last-level misses over the difference of the requests is what one
# request touches; the program's start and the first requests cancel out. The benchmark's
# own eviction loop is left out. "Go runtime" is the scheduler's and the collector's share
# (runtime.* without memmove and memclr, and the runtime's assembly that switches goroutines
# and records pointer writes for the collector), which follows how valgrind serialises the
# threads more than the request; "own" is the rest: the gateway's, fasthttp's, the mock's
# and the standard library's code and data. "instructions" counts what that own code runs
# per request (cachegrind's Ir; runs of the same build agree within about 0.5%).
set -euo pipefail
cd "$(dirname "$0")/.."
lo=${FOOTPRINT_LO:-100}
hi=${FOOTPRINT_HI:-600}
if ! command -v valgrind >/dev/null; then
	echo "footprint: valgrind is not installed (Debian: apt-get install valgrind)" >&2
	exit 1
fi
work=$(mktemp -d)
[ -n "${FOOTPRINT_KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
go test -c -o "$work/footprint.test" ./benchmarks/internal/footprint

# run NAME N: cachegrind over N cold requests of target NAME.
run() {
	(cd benchmarks/internal/footprint && GODEBUG=asyncpreemptoff=1 valgrind --tool=cachegrind --cache-sim=yes \
		--I1=32768,8,64 --D1=32768,8,64 --LL=262144,16,64 --cachegrind-out-file="$work/$1.$2.out" \
		"$work/footprint.test" -test.run '^$' -test.bench "^BenchmarkFootprint\$/^$1\$/^cold\$" -test.benchtime "$2x" \
		>"$work/$1.$2.log" 2>&1) || { cat "$work/$1.$2.log" >&2; exit 1; }
	# A pattern that matches no benchmark passes too: make sure this one ran.
	grep -q "^BenchmarkFootprint/$1/cold" "$work/$1.$2.log" || {
		echo "footprint: BenchmarkFootprint/$1/cold did not run:" >&2
		cat "$work/$1.$2.log" >&2
		exit 1
	}
}

# misses FILE: "own-I own-D runtime own-Ir" last-level misses of FILE, without the eviction
# loop, and the instructions run outside the Go runtime's scheduler and collector.
misses() {
	awk '
		/^events:/ { for (i = 2; i <= NF; i++) col[$i] = i - 1; next }
		/^fn=/ { fn = substr($0, 4); next }
		/^[0-9]/ {
			if (fn ~ /BenchmarkFootprint/) next
			i = $(col["ILmr"] + 1); d = $(col["DLmr"] + 1) + $(col["DLmw"] + 1)
			if ((fn ~ /^runtime\./ && fn !~ /^runtime\.(memmove|memclrNoHeapPointers)$/) || fn ~ /^(gogo|gosave_systemstack_switch|gcWriteBarrier)$/) rt += i + d
			else { oi += i; od += d; ir += $(col["Ir"] + 1) }
		}
		END { printf "%d %d %d %d\n", oi, od, rt, ir }' "$1"
}

printf '%-28s %12s %10s %10s %12s %14s\n' target own-lines code data "Go runtime" instructions
for t in bifrost-passthrough bifrost-decoding rawproxy bifrost-passthrough-served rawproxy-served; do
	run "$t" "$lo" &
	lo_pid=$!
	run "$t" "$hi" &
	hi_pid=$!
	wait "$lo_pid" # under set -e a failed run ends the script (a bare wait would not tell)
	wait "$hi_pid"
	read -r li ld lr lir < <(misses "$work/$t.$lo.out")
	read -r hi_i hi_d hr hir < <(misses "$work/$t.$hi.out")
	n=$((hi - lo))
	awk -v t="$t" -v n="$n" -v i=$((hi_i - li)) -v d=$((hi_d - ld)) -v r=$((hr - lr)) -v x=$((hir - lir)) \
		'BEGIN { printf "%-28s %12.0f %10.0f %10.0f %12.0f %14.0f\n", t, (i + d) / n, i / n, d / n, r / n, x / n }'
done

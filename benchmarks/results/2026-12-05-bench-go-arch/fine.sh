#!/bin/bash
# Paired, interleaved runs: for each round and each common benchmark, the before binary
# and the after binary back to back (order swapped every round).
set -u
ROUNDS=${ROUNDS:-10}
norm() { sed -e 's#bifrost/adapters/codec/#bifrost/adapters/#' -e 's#bifrost/runtime/auth/sigv4$#bifrost/runtime#' -e 's#bifrost/runtime/framing/eventstream$#bifrost/runtime#'; }
one() { # tree bin dir bench
  (cd /tmp/$1/$3 && /tmp/bench/bin/$1_$2.test -test.run '^$' -test.bench "^$4\$" -test.benchmem -test.count 1 2>&1) | norm >> /tmp/bench/fine_$1.txt
}
for r in $(seq 1 $ROUNDS); do
  echo "fine round $r $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/bench/log.txt
  while read bb bd ab ad name; do
    if [ $((r % 2)) = 1 ]; then one before $bb $bd $name; one after $ab $ad $name
    else one after $ab $ad $name; one before $bb $bd $name; fi
  done < /tmp/bench/pairs.txt
done
echo "fine done $(date +%T)" >> /tmp/bench/log.txt

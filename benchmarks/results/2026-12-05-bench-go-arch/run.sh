#!/bin/bash
# Alternates before/after benchmark binaries, ROUNDS rounds, appending to /tmp/bench/{before,after}.txt
set -u
ROUNDS=${ROUNDS:-5}
BT=${BT:-1s}
declare -A DIR
runtree() { # tree
  local tree=$1 root=/tmp/$1
  for b in /tmp/bench/bin/${tree}_*.test; do
    local p=$(basename $b .test); p=${p#${tree}_}; p=${p//_//}
    (cd $root/$p && $b -test.run '^$' -test.bench . -test.benchmem -test.count 1 -test.benchtime $BT 2>&1) \
      | sed -e 's#bifrost/adapters/codec/#bifrost/adapters/#' -e 's#bifrost/runtime/auth/sigv4$#bifrost/runtime#' -e 's#bifrost/runtime/framing/eventstream$#bifrost/runtime#' >> /tmp/bench/$tree.txt
  done
}
for r in $(seq 1 $ROUNDS); do
  echo "round $r $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg)" >> /tmp/bench/log.txt
  if [ $((r % 2)) = 1 ]; then runtree before; runtree after; else runtree after; runtree before; fi
done
echo "done $(date +%T)" >> /tmp/bench/log.txt

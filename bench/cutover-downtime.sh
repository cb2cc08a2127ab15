#!/usr/bin/env bash
# Cutover downtime of the demo dataset under load (issue 5): runs `tsmigrate demo` N times (default 3) on the
# local services and prints each measured downtime (from the cutover command's start to "target ready") and the
# median. Needs `mvn -DskipTests package` first and root (the local services). Usage: bench/cutover-downtime.sh [N]
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
n=${1:-3}
out=$ROOT/bench/target/results
mkdir -p "$out"
: >"$out/cutover-downtime.txt"
for i in $(seq 1 "$n"); do
  line=$("$ROOT/deploy/cli/tsmigrate" demo --load-seconds 10 | tee "$out/cutover-demo-$i.log" | grep 'target ready')
  echo "run $i: $line" | tee -a "$out/cutover-downtime.txt"
done
sed -E 's/.*downtime ([0-9.]+) s.*/\1/' "$out/cutover-downtime.txt" | sort -n |
  awk '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "median downtime: %.1f s over %d runs\n", m, NR}' |
  tee -a "$out/cutover-downtime.txt"

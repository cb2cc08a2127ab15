#!/usr/bin/env bash
# Cutover downtime against database size (issue 13): a pgbench database at a small and a ten-times-larger scale,
# the same write load on both (pgbench, 4 clients, rate-limited to 400 transactions/s), on the local services with a
# durable target (fsync, synchronous_commit, full_page_writes on). Per run: pgbench -i on a fresh source database, a
# fresh target database, `tsmigrate migrate --no-verify`, the load starts, `verify --online` (its default throttle,
# timed: the online verification's speed and its effect on the load's latency are taken here), `verify --online
# --follow` for FOLLOW seconds (default 40: passes over what changed), then the load stops and `tsmigrate cutover` runs at once while the
# follower goes on (it ends when cutover stops the stream): its downtime and where it went are recorded.
# Runs alternate between the sizes; each size's median is printed. WORKER=default runs the Connect worker with
# Kafka's offset.flush.interval.ms (60 s) instead of ours (2 s).
#
# Needs `mvn -DskipTests package` first and root (the local services).
# Usage: bench/cutover-scale.sh [RUNS] [SMALL_SCALE] [LARGE_SCALE]     (defaults: 3 10 100)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
runs=${1:-3}
small=${2:-10}
large=${3:-100}
worker=${WORKER:-ours}
follow=${FOLLOW:-40}
out=$ROOT/bench/target/results/cutover-scale-$worker
mkdir -p "$out"
export TSMIGRATE_RUN_DIR=${TSMIGRATE_RUN_DIR:-$ROOT/target/bench-services}
export TSMIGRATE_TARGET_DURABLE=1
# TRACE=1: the verifying commands print where their time goes (standard error, into the logs).
export TSMIGRATE_TRACE=${TRACE:-}
svc=$ROOT/deploy/local/services.sh
"$svc" up >/dev/null
if [ "$worker" = default ]; then
  "$svc" stop connect
  TSMIGRATE_CONNECT_OFFSET_FLUSH_MS=60000 "$svc" start connect
fi
eval "$("$svc" env)"
bin=$("$svc" bin)
T=$ROOT/deploy/cli/tsmigrate
src_port=$(echo "$TSMIGRATE_SOURCE_URL" | sed -E 's#.*:([0-9]+)/.*#\1#')
tgt_port=$(echo "$TSMIGRATE_TARGET_URL" | sed -E 's#.*:([0-9]+)/.*#\1#')
psql() { PGUSER=postgres "$bin/psql" -h 127.0.0.1 -X -q -v ON_ERROR_STOP=1 "$@"; }
# CPU seconds used so far by the source cluster: the postmaster, the backends it reaped, and the live ones.
source_cpu() {
  local pm hz ticks=0 p f
  pm=$(cat "$TSMIGRATE_RUN_DIR/pids/source.pid")
  hz=$(getconf CLK_TCK)
  f=$(sed -E 's/.*\) //' "/proc/$pm/stat"); set -- $f; ticks=$(( ${12} + ${13} + ${14} + ${15} ))
  for p in $(ps -o pid= --ppid "$pm"); do
    f=$(sed -E 's/.*\) //' "/proc/$p/stat" 2>/dev/null) || continue; set -- $f; ticks=$(( ticks + ${12} + ${13} ))
  done
  echo "scale=2; $ticks / $hz" | bc
}
# Mean latency (ms) of the pgbench progress lines between two times since the load started.
latency() { awk -v a="$2" -v b="$3" '/^progress:/ { t = $2 + 0; if (t > a && t <= b) { s += $7; n++ } } END { if (n) printf "%.1f", s / n; else print "n/a" }' "$1"; }
TIMEFORMAT='%R %U %S'

: >"$out/summary.txt"
for i in $(seq 1 "$runs"); do
  for scale in "$small" "$large"; do
    db=cs_$scale
    log=$out/run-$i-scale-$scale.log
    E=(--source-url "jdbc:postgresql://127.0.0.1:$src_port/$db?user=postgres" --target-url "jdbc:postgresql://127.0.0.1:$tgt_port/$db?user=postgres"
      --connect "$TSMIGRATE_CONNECT_URL" --kafka "$TSMIGRATE_KAFKA_BOOTSTRAP" --name "$db")
    # What an interrupted earlier run left (connectors, slot, topics).
    "$T" clean "${E[@]}" --yes >/dev/null 2>&1 || true
    for port in "$src_port" "$tgt_port"; do
      psql -p "$port" -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '$db'" >/dev/null
      psql -p "$port" -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
    done
    PGUSER=postgres "$bin/pgbench" -h 127.0.0.1 -p "$src_port" -i -q -s "$scale" "$db" >"$log" 2>&1
    "$T" migrate "${E[@]}" --no-verify --jobs 2 --pg-bin "$bin" >>"$log" 2>&1
    PGUSER=postgres "$bin/pgbench" -h 127.0.0.1 -p "$src_port" -c 4 -j 2 -R 400 -T 100000 -P 5 -n "$db" >"$out/load-$i-$scale.log" 2>&1 &
    load=$!
    loaded=$(date +%s.%N)
    sleep 5
    cpu0=$(source_cpu); sleep 15; cpu1=$(source_cpu)
    start=$(date +%s.%N)
    { time "$T" verify --online "${E[@]}" >>"$log" 2>&1; } 2>"$out/time-$i-$scale.txt"
    end=$(date +%s.%N)
    cpu2=$(source_cpu)
    read -r wall user sys <"$out/time-$i-$scale.txt"
    pass_rows=$(grep 'Compared .* ranges' "$log" | tail -1)
    # Then follow the stream (passes over what changed, one after the other) for $follow s under the load; the application
    # stops and cutover runs at once, as a user runs it: the follower goes on until cutover stops the stream.
    "$T" verify --online --follow "${E[@]}" >"$out/follow-$i-$scale.log" 2>&1 &
    follower=$!
    sleep "$follow"
    kill -TERM "$load"; wait "$load" || true
    follow_passes=$(grep -c '^follow: pass' "$out/follow-$i-$scale.log" || true)
    follow_last=$(grep '^follow: pass' "$out/follow-$i-$scale.log" | tail -1 | sed -E 's/follow: pass [0-9]+ //' || true)
    "$T" cutover "${E[@]}" --timeout 300 >>"$log" 2>&1
    for _ in $(seq 1 60); do kill -0 "$follower" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$follower" 2>/dev/null; then
      echo "follower still running 30 s after cutover; stopped" >>"$out/follow-$i-$scale.log"
      kill -TERM "$follower"
    fi
    wait "$follower" || true
    "$T" clean "${E[@]}" --yes >>"$log" 2>&1
    rows=$(grep -m1 -oE 'of about [0-9,]+ rows' "$log" | tr -dc 0-9 || true)
    line=$(grep 'target ready' "$log")
    ranges=$(grep 'Verified online before' "$log" | sed -E 's/.*compared again ([0-9]+) ranges.*\(([0-9,]+) source rows.*/\1 ranges, \2 rows/')
    a=$(echo "$start - $loaded" | bc); b=$(echo "$end - $loaded" | bc)
    printf 'run %s scale %s: online pass %.1f s (%s); verify CPU %.1f s user+sys; source cluster CPU %.2f/s under the load alone, %.2f/s during the pass; load latency %s ms before, %s ms during; follower %s passes in ${follow} s, the last %s; cutover compared %s; %s\n' \
      "$i" "$scale" "$(echo "$end - $start" | bc)" "$pass_rows" "$(echo "$user + $sys" | bc)" "$(echo "($cpu1 - $cpu0) / 15" | bc -l)" \
      "$(echo "($cpu2 - $cpu1) / ($end - $start)" | bc -l)" "$(latency "$out/load-$i-$scale.log" 5 "$a")" "$(latency "$out/load-$i-$scale.log" "$a" "$b")" \
      "$follow_passes" "$follow_last" "$ranges" "$(echo "$line" | sed -E 's/.*(downtime .*)/\1/')" | tee -a "$out/summary.txt"
  done
done
for scale in "$small" "$large"; do
  grep " scale $scale:" "$out/summary.txt" | sed -E 's/.*downtime ([0-9.]+) s.*/\1/' | sort -n |
    awk -v s="$scale" '{v[NR]=$1} END {m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2; printf "scale %s: median downtime %.1f s over %d runs\n", s, m, NR}' |
    tee -a "$out/summary.txt"
done

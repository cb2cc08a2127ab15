#!/usr/bin/env bash
# A live migration on this machine, end to end, with the native services: a seeded source under a write load,
# tsmigrate check, bootstrap (with a hypertable), start, status, cutover (prints the downtime), verify, clean.
# Needs `mvn -DskipTests package` first and root (the services run PostgreSQL in a Debian chroot).
# Leaves the services running if they were running before; otherwise stops them at the end.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SERVICES=$ROOT/deploy/local/services.sh
TSMIGRATE=$ROOT/deploy/cli/tsmigrate
[ -f "$ROOT/cli/target/tsmigrate.jar" ] || { echo "demo: build first: mvn -q -DskipTests package" >&2; exit 2; }

was_running=false
"$SERVICES" status >/dev/null 2>&1 && was_running=true
eval "$("$SERVICES" up | sed 's/^/export /')"
cleanup() {
  if [ -n "${writer:-}" ]; then kill "$writer" 2>/dev/null || true; fi
  [ "$was_running" = true ] || "$SERVICES" down
}
trap cleanup EXIT

src=${TSMIGRATE_SOURCE_URL%%\?*}; src=${src%/*}
tgt=${TSMIGRATE_TARGET_URL%%\?*}; tgt=${tgt%/*}
psql_src() { "$TSMIGRATE_PG_BIN/psql" -q -h 127.0.0.1 -p "${src##*:}" -U postgres "$@"; }
psql_tgt() { "$TSMIGRATE_PG_BIN/psql" -q -h 127.0.0.1 -p "${tgt##*:}" -U postgres "$@"; }

echo "== seeding the demo source (database demo)"
for run in src tgt; do
  "psql_$run" -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'demo' AND pid <> pg_backend_pid()" >/dev/null
  "psql_$run" -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = 'demo'" >/dev/null
  "psql_$run" -d postgres -c "DROP DATABASE IF EXISTS demo" -c "CREATE DATABASE demo"
done
psql_tgt -d demo -c "CREATE EXTENSION timescaledb" >/dev/null
# psql runs in the chroot: the script comes on standard input.
psql_src -d demo <"$ROOT/deploy/compose/seed.sql"

echo "== a write load on the source (inserts, updates, deletes) for the whole run"
(
  i=0
  while true; do
    psql_src -d demo -c "BEGIN; INSERT INTO orders (customer, total) VALUES (1 + $i % 1000, $i % 97);
      UPDATE orders SET total = total + 1 WHERE id = 1 + ($i * 37) % 100000; DELETE FROM orders WHERE id = 2 + ($i * 53) % 100000;
      INSERT INTO readings VALUES (now(), $i % 20, $i); COMMIT;" >/dev/null 2>&1 || true
    i=$((i + 1))
    sleep 0.02
  done
) &
writer=$!

E=(--source-url "$src/demo" --source-user postgres --target-url "$tgt/demo" --target-user postgres)
C=(--connect "$TSMIGRATE_CONNECT_URL")
"$TSMIGRATE" check "${E[@]}" "${C[@]}" || true
"$TSMIGRATE" bootstrap "${E[@]}" --hypertable public.readings:ts:1day --slot demo --publication demo --pg-bin "$TSMIGRATE_PG_BIN"
"$TSMIGRATE" start "${E[@]}" "${C[@]}" --name demo --slot demo --publication demo
sleep 15
"$TSMIGRATE" status "${E[@]}" "${C[@]}" --name demo --slot demo

echo "== stopping writes, then cutover"
kill "$writer"; wait "$writer" 2>/dev/null || true
"$TSMIGRATE" cutover "${E[@]}" "${C[@]}" --name demo --slot demo --kafka "$TSMIGRATE_KAFKA_BOOTSTRAP"
"$TSMIGRATE" verify "${E[@]}"
"$TSMIGRATE" clean "${E[@]}" "${C[@]}" --name demo --slot demo --publication demo --yes

#!/usr/bin/env bash
# A live migration on this machine, end to end: `tsmigrate demo` starts the native services (source PostgreSQL 17,
# target TimescaleDB, Kafka, Connect; needs root for their chroot), seeds a demo source, keeps a write load on it,
# runs migrate (check, bootstrap with a hypertable, start, catch-up), cutover (prints the downtime), verify and clean.
# Needs `mvn -DskipTests package` first. Services that were already running are left running; others are stopped.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
[ -f "$ROOT/cli/target/tsmigrate.jar" ] || { echo "demo: build first: mvn -q -DskipTests package" >&2; exit 2; }
exec "$ROOT/deploy/cli/tsmigrate" demo "$@"

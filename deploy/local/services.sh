#!/usr/bin/env bash
# Native local services for tsmigrate: a source PostgreSQL 17, a target TimescaleDB (PostgreSQL 17),
# a Kafka broker (KRaft) and a Kafka Connect distributed worker, all on loopback.
#
# PostgreSQL and TimescaleDB come from Debian 13 packages installed once into a minimal Debian 13 chroot
# (debootstrap), so the same recipe works on Debian 12 and 13 hosts. Kafka and Connect are plain JVMs
# running Kafka's own jars (laid out by `mvn package` in deploy/local/runtime/target).
#
# Usage: deploy/local/services.sh COMMAND
#   up [--owner-pid PID]   provision if needed, start everything, print the settings; with --owner-pid the
#                          services stop by themselves when that process ends (the test kit uses this)
#   streaming-up           only the Kafka broker and the Connect worker (no root needed): tsmigrate's embedded
#                          mode; they run until `down` and resume from the run directory's data when started again
#   down                   stop everything started from this run directory
#   status                 one line per service (exit 0 when all run)
#   owner                  who started them: a process id (the test kit) or "user"
#   env                    the connection settings, as shell assignments
#   start|stop|kill NAME   one service: source, target, kafka, connect (kill = SIGKILL, for fault tests)
#   pg-start NAME PORT [SETTING=VALUE ...]   an extra throwaway PostgreSQL cluster (tests of bad settings)
#                          with TSMIGRATE_PG_TLS=DIR (server.crt, server.key in DIR) it takes TLS connections only
#                          with TSMIGRATE_PG_AUTH=password every role but postgres needs its password (SCRAM)
#   pg-stop NAME           stop such a cluster and delete its data
#   worker-start NAME PORT another Connect worker in the same group (a distributed cluster on loopback);
#                          worker-stop NAME stops it gracefully, kill NAME kills it
#   shared-dir             print a folder that has the same path outside and inside the chroot (a CA file for
#                          pg_dump/psql, which run in the chroot, and for Java, which does not)
#   provision              only build the Debian 13 chroot with PostgreSQL 17 + TimescaleDB + pgcopydb
#   bin                    print the folder of wrappers (psql, pg_dump, pg_restore, pgcopydb) that run the chroot's tools
#
# Settings (environment):
#   TSMIGRATE_CACHE     where the chroot is kept between runs   (default: ~/.cache/tsmigrate)
#   TSMIGRATE_RUN_DIR   logs, pid files, Kafka data              (default: <checkout>/target/services)
#   TSMIGRATE_SOURCE_PORT, TSMIGRATE_TARGET_PORT, TSMIGRATE_KAFKA_PORT, TSMIGRATE_CONTROLLER_PORT,
#   TSMIGRATE_CONNECT_PORT   ports (defaults, below the kernel's ephemeral range 32768-60999: 25432, 25433, 29092, 29093, 28083; a taken port is replaced
#                            by a free one and the choice is printed by `env`)
#   TSMIGRATE_CONNECT_PLUGIN_PATH   extra comma-separated plugin.path entries for the Connect worker
#   TSMIGRATE_TARGET_DURABLE=1   the target as production runs it: fsync, synchronous_commit and full_page_writes on,
#                            shared_buffers=1GB, max_wal_size=8GB (the test services turn durability off for speed)
#   TSMIGRATE_CONNECT_OFFSET_FLUSH_MS   the worker's offset.flush.interval.ms (default 2000; Kafka's own is 60000)
#   TSMIGRATE_TIMESCALEDB_COMMUNITY   a folder with TimescaleDB's Community-edition source archive and its build.sh
#                            (default: ../shared/timescaledb beside the checkout, when it is there). Provisioning builds
#                            it into the chroot once (about a minute), so compression and continuous aggregates work;
#                            without it the chroot keeps Debian's Apache build and `env` says so. Servers started with
#                            -c timescaledb.license=apache behave as the Apache build either way.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
CACHE=${TSMIGRATE_CACHE:-$HOME/.cache/tsmigrate}
CHROOT=$CACHE/debian-trixie
RUN=${TSMIGRATE_RUN_DIR:-$ROOT/target/services}
RUNTIME=$ROOT/deploy/local/runtime/target
PGBIN=/usr/lib/postgresql/17/bin
PG_PACKAGES="postgresql-17 postgresql-17-timescaledb postgresql-17-postgis-3 postgresql-client-17 pgcopydb"

# The chroot's PostgreSQL data lives inside the chroot, keyed by the run directory so two checkouts do not
# share clusters; logs are written from outside the chroot straight into $RUN/logs.
RUN_KEY=$(printf '%s' "$RUN" | md5sum | cut -c1-10)
PGDATA_ROOT=/var/lib/tsmigrate/$RUN_KEY

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

need_root() {
  [ "$(id -u)" = 0 ] || die "the native services run PostgreSQL in a Debian chroot, which needs root. Run as root, or give the test kit your own servers with TSMIGRATE_SOURCE_URL, TSMIGRATE_TARGET_URL, TSMIGRATE_KAFKA_BOOTSTRAP and TSMIGRATE_CONNECT_URL."
}

in_chroot() { # run a command inside the chroot as the postgres user, with a clean environment
  chroot --userspec=postgres:postgres "$CHROOT" /usr/bin/env -i LANG=C.UTF-8 PATH=$PGBIN:/usr/bin:/bin HOME=/var/lib/postgresql "$@"
}

# ---------------------------------------------------------------------------------------------- provision
chroot_ready() { # the chroot exists with every package of this version of the script
  [ -f "$CHROOT/.tsmigrate-ready" ] && [ "$(cat "$CHROOT/.tsmigrate-ready")" = "$PG_PACKAGES" ]
}

chroot_apt() { # chroot_apt DIR: install $PG_PACKAGES into the chroot at DIR
  chroot "$1" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive \
    sh -c "apt-get update -qq && apt-get install -y -qq --no-install-recommends $PG_PACKAGES" \
    >"$CACHE/chroot-apt.log" 2>&1 || die "apt-get in the chroot failed; see $CACHE/chroot-apt.log"
}

provision() {
  provision_chroot
  community
  test_locale
}

test_locale() { # a European locale for servers and databases set to one (money as 1.234,56 €): made once, before a server starts
  [ -f "$CHROOT/usr/share/i18n/locales/de_DE" ] || return 0
  chroot "$CHROOT" /usr/bin/locale -a 2>/dev/null | grep -qx 'de_DE.utf8' && return 0
  need_root
  log "generating the de_DE.UTF-8 locale in the chroot (once)"
  chroot "$CHROOT" /usr/bin/env -i PATH=/usr/bin:/bin localedef -i de_DE -f UTF-8 de_DE.UTF-8 >/dev/null 2>&1 \
    || log "could not generate de_DE.UTF-8 (localedef): tests that need it will fail"
}

provision_chroot() {
  chroot_ready && return 0
  need_root
  mkdir -p "$CACHE"
  exec 9>"$CACHE/.provision.lock"
  flock 9
  chroot_ready && return 0
  if [ -f "$CHROOT/.tsmigrate-ready" ]; then
    # A chroot made by an earlier version: add what is new (installing packages starts no server in it).
    log "adding packages to the chroot: $PG_PACKAGES"
    chroot_apt "$CHROOT"
    printf '%s' "$PG_PACKAGES" >"$CHROOT/.tsmigrate-ready"
    return 0
  fi
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap (apt-get)"
    apt-get update -qq >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null \
      || die "could not install debootstrap with apt-get; install it by hand (apt-get install debootstrap)"
  fi
  local tmp=$CHROOT.partial
  rm -rf "$tmp"
  log "creating a Debian 13 chroot in $CHROOT (debootstrap, about a minute, once)"
  debootstrap --variant=minbase trixie "$tmp" >"$CACHE/debootstrap.log" 2>&1 \
    || die "debootstrap failed; see $CACHE/debootstrap.log"
  log "installing $PG_PACKAGES into the chroot"
  chroot_apt "$tmp"
  printf '%s' "$PG_PACKAGES" >"$tmp/.tsmigrate-ready"
  mv "$tmp" "$CHROOT"
  log "chroot ready"
}

community_dir() { # the folder with the Community edition's build.sh, or nothing
  local d=${TSMIGRATE_TIMESCALEDB_COMMUNITY:-$ROOT/../shared/timescaledb}
  [ -f "$d/build.sh" ] && (cd "$d" && pwd)
}

timescaledb_edition() { # community when the chroot has the Community (TSL) module, else apache
  if compgen -G "$CHROOT/usr/lib/postgresql/17/lib/timescaledb-tsl-*.so" >/dev/null; then echo community; else echo apache; fi
}

community() { # build TimescaleDB's Community edition into the chroot when its archive is found (idempotent)
  [ "$(timescaledb_edition)" = community ] && return 0
  local d
  d=$(community_dir) || { log "TimescaleDB Community edition not found (set TSMIGRATE_TIMESCALEDB_COMMUNITY): keeping the Apache build"; return 0; }
  need_root
  exec 7>"$CACHE/.community.lock"
  flock 7
  if [ "$(timescaledb_edition)" != community ]; then
    log "building TimescaleDB's Community edition from $d into the chroot (about a minute, once)"
    bash "$d/build.sh" "$CHROOT" >"$CACHE/timescaledb-community.log" 2>&1 \
      || die "building TimescaleDB's Community edition failed; see $CACHE/timescaledb-community.log"
  fi
  exec 7>&-  # spawned servers must not hold it
}

# ------------------------------------------------------------------------------------------------- ports
port_listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_busy() { # something listens there, or a live socket (a client's ephemeral port) holds it locally
  port_listening "$1" && return 0
  # Sockets in TIME_WAIT (state 06), such as those a stopped server leaves behind, do not stop a server from
  # binding the port again (PostgreSQL and Kafka set SO_REUSEADDR), so they do not count.
  awk -v p="$(printf '%04X' "$1")" 'FNR > 1 { split($2, a, ":"); if (a[2] == p && $4 != "06") found = 1 } END { exit !found }' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

pick_port() { # pick_port VAR DEFAULT: keep the default unless something else listens there
  local var=$1 port=$2
  while port_busy "$port"; do port=$((port + 10)); done
  [ "$port" = "$2" ] || log "port $2 is taken; $var uses $port"
  printf '%s' "$port"
}

choose_ports() {
  if [ -f "$RUN/ports.env" ]; then . "$RUN/ports.env"; return; fi
  SOURCE_PORT=$(pick_port TSMIGRATE_SOURCE_PORT "${TSMIGRATE_SOURCE_PORT:-25432}")
  TARGET_PORT=$(pick_port TSMIGRATE_TARGET_PORT "${TSMIGRATE_TARGET_PORT:-25433}")
  KAFKA_PORT=$(pick_port TSMIGRATE_KAFKA_PORT "${TSMIGRATE_KAFKA_PORT:-29092}")
  CONTROLLER_PORT=$(pick_port TSMIGRATE_CONTROLLER_PORT "${TSMIGRATE_CONTROLLER_PORT:-29093}")
  CONNECT_PORT=$(pick_port TSMIGRATE_CONNECT_PORT "${TSMIGRATE_CONNECT_PORT:-28083}")
  mkdir -p "$RUN"
  cat >"$RUN/ports.env" <<EOF
SOURCE_PORT=$SOURCE_PORT
TARGET_PORT=$TARGET_PORT
KAFKA_PORT=$KAFKA_PORT
CONTROLLER_PORT=$CONTROLLER_PORT
CONNECT_PORT=$CONNECT_PORT
EOF
}

load_ports() {
  [ -f "$RUN/ports.env" ] || die "services are not set up in $RUN; run: $0 up"
  . "$RUN/ports.env"
}

# --------------------------------------------------------------------------------------------- processes
pidfile() { printf '%s/pids/%s.pid' "$RUN" "$1"; }

running() { # running NAME: the pid file names a live process that is ours
  local f pid
  f=$(pidfile "$1")
  [ -f "$f" ] || return 1
  pid=$(cat "$f")
  # A pid file can outlive its process and the pid be reused: ours carry the run key in their environment
  # (Java, the watchdog) or their command line (PostgreSQL's data directory, as it rewrites its environ area).
  [ -n "$pid" ] && [ -d "/proc/$pid" ] && grep -qa "$RUN_KEY" "/proc/$pid/cmdline" "/proc/$pid/environ" 2>/dev/null
}

spawn() { # spawn NAME COMMAND...: start in its own session, output to $RUN/logs/NAME.log
  local name=$1; shift
  mkdir -p "$RUN/logs" "$RUN/pids"
  printf '\n==== %s starting %s\n' "$(date -Is)" "$name" >>"$RUN/logs/$name.log"
  # Close the lock descriptors: a service holding them would block every later up/down.
  TSMIGRATE_SVC="tsmigrate-svc=$RUN_KEY" setsid "$@" </dev/null >>"$RUN/logs/$name.log" 2>&1 8>&- 9>&- &
  echo $! >"$(pidfile "$name")"
}

stop_process() { # stop_process NAME SIGNAL
  local name=$1 sig=$2 pid i
  running "$name" || { rm -f "$(pidfile "$name")"; return 0; }
  pid=$(cat "$(pidfile "$name")")
  kill "-$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 300); do
    [ -d "/proc/$pid" ] || break
    sleep 0.1
  done
  if [ -d "/proc/$pid" ]; then
    log "$name (pid $pid) did not stop within 30 s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$(pidfile "$name")"
}

wait_for() { # wait_for NAME SECONDS COMMAND...: poll until COMMAND succeeds, fail early if NAME died
  local name=$1 secs=$2 i; shift 2
  for i in $(seq 1 $((secs * 4))); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    # Just spawned, so its pid is not reused yet: check that it lives, not whose it is (while chroot and env exec
    # into the server, its command line and environment are briefly neither ours nor readable).
    [ -d "/proc/$(cat "$(pidfile "$name")" 2>/dev/null)" ] || die "$name exited during start-up; last lines of $RUN/logs/$name.log:
$(tail -n 25 "$RUN/logs/$name.log")"
    sleep 0.25
  done
  die "$name did not become ready within $secs s; see $RUN/logs/$name.log"
}

# -------------------------------------------------------------------------------------------- PostgreSQL
pg_start() { # pg_start NAME PORT [SETTING=VALUE ...]
  local name=$1 port=$2; shift 2
  local data=$PGDATA_ROOT/$name
  running "$name" && return 0
  port_listening "$port" && die "port $port for $name is taken by another program; stop it or choose another port"
  if [ ! -f "$CHROOT$data/PG_VERSION" ]; then
    mkdir -p "$CHROOT$data"
    # Only the new server's folder: a recursive chown over the others would race with the files running servers
    # create and remove (it failed once on a relation's _fsm removed meanwhile).
    chroot "$CHROOT" chown postgres:postgres /var/lib/tsmigrate "$PGDATA_ROOT"
    chroot "$CHROOT" chown -R postgres:postgres "$data"
    in_chroot initdb -D "$data" --auth=trust --encoding=UTF8 --locale=C.UTF-8 -U postgres \
      >>"$RUN/logs/$name.log" 2>&1 || die "initdb for $name failed; see $RUN/logs/$name.log"
    # Loopback only: trust is acceptable because nothing else can reach these ports.
    printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nlocal replication all trust\nhost replication all 127.0.0.1/32 trust\n' \
      >"$CHROOT$data/pg_hba.conf"
  fi
  if [ -n "${TSMIGRATE_PG_TLS:-}" ]; then
    # TLS only over TCP: a client that does not ask for it is refused by pg_hba.
    install -m 0600 "$TSMIGRATE_PG_TLS/server.key" "$CHROOT$data/server.key"
    install -m 0644 "$TSMIGRATE_PG_TLS/server.crt" "$CHROOT$data/server.crt"
    chroot "$CHROOT" chown postgres:postgres "$data/server.key" "$data/server.crt"
    printf 'local all all trust\nhostssl all all 127.0.0.1/32 trust\nlocal replication all trust\nhostssl replication all 127.0.0.1/32 trust\n' \
      >"$CHROOT$data/pg_hba.conf"
  fi
  if [ "${TSMIGRATE_PG_AUTH:-trust}" = password ]; then
    # Every role but postgres signs in with its password (SCRAM) over TCP, for tests that pass passwords through.
    printf 'local all all trust\nhost all postgres 127.0.0.1/32 trust\nhost replication postgres 127.0.0.1/32 trust\nhost all all 127.0.0.1/32 scram-sha-256\nhost replication all 127.0.0.1/32 scram-sha-256\n' \
      >"$CHROOT$data/pg_hba.conf"
  fi
  local opts=(-c listen_addresses=127.0.0.1 -c "port=$port" -c unix_socket_directories=/tmp
    -c dynamic_shared_memory_type=sysv -c shared_preload_libraries=timescaledb
    -c timescaledb.telemetry_level=off -c max_connections=100 -c shared_buffers=256MB
    -c fsync=off -c full_page_writes=off -c synchronous_commit=off -c log_min_messages=warning
    -c max_wal_size=4GB)
  [ -z "${TSMIGRATE_PG_TLS:-}" ] || opts+=(-c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key)
  local setting
  for setting in "$@"; do opts+=(-c "$setting"); done
  spawn "$name" chroot --userspec=postgres:postgres "$CHROOT" /usr/bin/env -i LANG=C.UTF-8 \
    "TSMIGRATE_SVC=tsmigrate-svc=$RUN_KEY" "$PGBIN/postgres" -D "$data" "${opts[@]}"
  wait_for "$name" 60 in_chroot pg_isready -q -h 127.0.0.1 -p "$port"
  # pg_isready answers before recovery ends on a restart; wait for a real query.
  wait_for "$name" 60 in_chroot psql -h 127.0.0.1 -p "$port" -U postgres -d postgres -Atc 'select 1'
}

psql_at() { in_chroot psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -Atqc "$2"; }

check_source() {
  local wal
  wal=$(psql_at "$SOURCE_PORT" 'show wal_level')
  [ "$wal" = logical ] || die "the source PostgreSQL on 127.0.0.1:$SOURCE_PORT has wal_level=$wal, but logical replication needs wal_level=logical: run ALTER SYSTEM SET wal_level = logical and restart it"
}

start_source() {
  pg_start source "$SOURCE_PORT" wal_level=logical max_replication_slots=20 max_wal_senders=20
  check_source
}
start_target() {
  if [ -n "${TSMIGRATE_TARGET_DURABLE:-}" ]; then
    # As production runs it (benchmarks): every commit on disk, full pages in the WAL, memory of a real server.
    pg_start target "$TARGET_PORT" max_connections=200 fsync=on synchronous_commit=on full_page_writes=on shared_buffers=1GB max_wal_size=8GB
  else
    pg_start target "$TARGET_PORT" max_connections=200
  fi
}

# ------------------------------------------------------------------------------------------ Kafka/Connect
java_cmd() { # the JVM with Kafka's own jars only
  [ -d "$RUNTIME/kafka-libs" ] || die "Kafka's jars are missing in $RUNTIME/kafka-libs; build them first: mvn -q -DskipTests package"
  local java=java
  [ -n "${JAVA_HOME:-}" ] && java=$JAVA_HOME/bin/java
  printf '%s' "$java"
}

write_log4j() {
  cat >"$RUN/config/log4j2.properties" <<'EOF'
status = warn
appender.console.type = Console
appender.console.name = console
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.console.ref = console
logger.kafka.name = kafka
logger.kafka.level = WARN
logger.kafkaorg.name = org.apache.kafka
logger.kafkaorg.level = WARN
logger.connect.name = org.apache.kafka.connect
logger.connect.level = INFO
logger.reflections.name = org.reflections
logger.reflections.level = ERROR
logger.tsmigrate.name = io.tsmigrate
logger.tsmigrate.level = INFO
logger.debezium.name = io.debezium
logger.debezium.level = INFO
EOF
}

start_kafka() {
  running kafka && return 0
  local java
  java=$(java_cmd)
  mkdir -p "$RUN/config" "$RUN/kafka"
  write_log4j
  cat >"$RUN/config/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$RUN/kafka/data
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
log.retention.hours=-1
message.max.bytes=20971520
EOF
  local heap
  read -r -a heap <<<"${TSMIGRATE_KAFKA_JVM_OPTS:-$KAFKA_JVM_DEFAULT}"
  local jvm=("${heap[@]}" "-Dlog4j2.configurationFile=$RUN/config/log4j2.properties"
    -Djava.awt.headless=true -cp "$RUNTIME/kafka-libs/*")
  if [ ! -f "$RUN/kafka/data/meta.properties" ]; then
    "$java" "${jvm[@]}" kafka.tools.StorageTool format -t "$(cluster_id)" -c "$RUN/config/server.properties" \
      >>"$RUN/logs/kafka.log" 2>&1 || die "formatting Kafka's storage failed; see $RUN/logs/kafka.log"
  fi
  spawn kafka "$java" "${jvm[@]}" kafka.Kafka "$RUN/config/server.properties"
  wait_for kafka 90 port_listening "$KAFKA_PORT"
}

# Throughput matters more than pause times for a migration's worker and broker: the parallel collector with a
# young generation that holds a poll's records and a sink batch. With G1 and a 1 GiB heap the worker spent about
# a third of its CPU in GC while the sink applied 1,000,000 records; with these settings about a sixth
# (docs/benchmarks.md). Override with TSMIGRATE_CONNECT_JVM_OPTS / TSMIGRATE_KAFKA_JVM_OPTS.
# On a machine with less than 8 GiB of memory both get half of that.
if [ "$(awk '/^MemTotal:/ {print $2}' /proc/meminfo 2>/dev/null || echo 0)" -ge 8000000 ]; then
  KAFKA_JVM_DEFAULT="-Xms1g -Xmx1g -XX:+UseParallelGC"
  CONNECT_JVM_DEFAULT="-Xms3g -Xmx3g -Xmn2g -XX:+UseParallelGC"
else
  KAFKA_JVM_DEFAULT="-Xms512m -Xmx512m -XX:+UseParallelGC"
  CONNECT_JVM_DEFAULT="-Xms1536m -Xmx1536m -Xmn1g -XX:+UseParallelGC"
fi

cluster_id() { # any valid KRaft cluster id will do: the broker is alone and its data local to this run
  printf 'MkU3OEVBNTcwNTJENDM2Qk'
}

start_connect() { start_worker connect "$CONNECT_PORT"; }

start_worker() { # start_worker NAME PORT: a Connect worker of the one group (more than one: a distributed cluster)
  local name=$1 port=$2
  running "$name" && return 0
  port_listening "$port" && die "port $port for $name is taken by another program; choose another port"
  local java plugins
  java=$(java_cmd)
  mkdir -p "$RUN/config" "$RUN/connect"
  write_log4j
  plugins=$RUNTIME/plugins
  [ -d "$ROOT/json-converter/target/connect-plugins" ] && plugins=$plugins,$ROOT/json-converter/target/connect-plugins
  [ -d "$ROOT/sink-timescale/target/connect-plugins" ] && plugins=$plugins,$ROOT/sink-timescale/target/connect-plugins
  [ -n "${TSMIGRATE_CONNECT_PLUGIN_PATH:-}" ] && plugins=$plugins,$TSMIGRATE_CONNECT_PLUGIN_PATH
  cat >"$RUN/config/$name.properties" <<EOF
bootstrap.servers=127.0.0.1:$KAFKA_PORT
group.id=tsmigrate-connect
listeners=http://127.0.0.1:$port
key.converter=org.apache.kafka.connect.json.JsonConverter
value.converter=org.apache.kafka.connect.json.JsonConverter
key.converter.schemas.enable=true
value.converter.schemas.enable=true
config.storage.topic=_tsmigrate_connect_configs
offset.storage.topic=_tsmigrate_connect_offsets
status.storage.topic=_tsmigrate_connect_status
config.storage.replication.factor=1
offset.storage.replication.factor=1
status.storage.replication.factor=1
offset.flush.interval.ms=${TSMIGRATE_CONNECT_OFFSET_FLUSH_MS:-2000}
scheduled.rebalance.max.delay.ms=5000
plugin.path=$plugins
# Every plugin on this path ships ServiceLoader manifests; scanning class files would only slow the start.
plugin.discovery=service_load
config.providers=file,env
config.providers.file.class=org.apache.kafka.common.config.provider.FileConfigProvider
config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
connector.client.config.override.policy=All
EOF
  local heap
  read -r -a heap <<<"${TSMIGRATE_CONNECT_JVM_OPTS:-$CONNECT_JVM_DEFAULT}"
  spawn "$name" "$java" "${heap[@]}" "-Dlog4j2.configurationFile=$RUN/config/log4j2.properties" \
    -Djava.awt.headless=true -cp "$RUNTIME/kafka-libs/*" org.apache.kafka.connect.cli.ConnectDistributed \
    "$RUN/config/$name.properties"
  wait_for "$name" 180 curl -sf "http://127.0.0.1:$port/connector-plugins"
}

# ------------------------------------------------------------------------------------------------ wrappers
write_bin() { # wrappers that run the chroot's client tools, for the bootstrap and for people
  mkdir -p "$RUN/bin"
  local tool exe mount
  for tool in psql pg_dump pg_dumpall pg_restore pg_isready pgbench pgcopydb; do
    exe=$PGBIN/$tool
    mount=
    if [ "$tool" = pgcopydb ]; then
      exe=/usr/bin/pgcopydb
      # pgcopydb reads /proc.
      mount="mountpoint -q '$CHROOT/proc' || mount -t proc proc '$CHROOT/proc'"
    fi
    cat >"$RUN/bin/$tool" <<EOF
#!/usr/bin/env bash
# Runs $tool of the Debian 13 chroot; libpq's PG* variables (PGHOST, PGPASSWORD, ...) pass through in the
# environment. Every other variable is removed by name: a value on a command line (PGPASSWORD=...) is readable by
# any user in /proc.
drop=()
while IFS= read -r -d '' kv; do case "\$kv" in PG*=*) ;; *) drop+=(-u "\${kv%%=*}") ;; esac; done </proc/self/environ
$mount
exec chroot --userspec=postgres:postgres "$CHROOT" /usr/bin/env "\${drop[@]}" LANG=C.UTF-8 HOME=/tmp PATH=$PGBIN:/usr/bin:/bin $exe "\$@"
EOF
    chmod +x "$RUN/bin/$tool"
  done
}

# ----------------------------------------------------------------------------------------------- commands
print_env() {
  load_ports
  cat <<EOF
TSMIGRATE_SOURCE_URL=jdbc:postgresql://127.0.0.1:$SOURCE_PORT/postgres?user=postgres
TSMIGRATE_TARGET_URL=jdbc:postgresql://127.0.0.1:$TARGET_PORT/postgres?user=postgres
TSMIGRATE_KAFKA_BOOTSTRAP=127.0.0.1:$KAFKA_PORT
TSMIGRATE_CONNECT_URL=http://127.0.0.1:$CONNECT_PORT
TSMIGRATE_PG_BIN=$RUN/bin
TSMIGRATE_RUN_DIR=$RUN
TSMIGRATE_TIMESCALEDB_EDITION=$(timescaledb_edition)
EOF
}

LOCKED=false
lock() { # serialise up and down of one run directory (held until this script exits)
  [ "$LOCKED" = true ] && return 0
  mkdir -p "$RUN"
  exec 8>"$RUN/.lock"
  flock 8
  LOCKED=true
}

# Ownership: services started by `up` alone belong to the user and run until `down`. Services started by
# `up --owner-pid PID` (the test kit) belong to that process: a watchdog stops them when it ends. A later
# `up --owner-pid` of another process takes them over (consecutive test JVMs reuse one set of services),
# but never takes over the user's.
up() {
  local owner=
  if [ "${1:-}" = --owner-pid ]; then owner=$2; fi
  need_root
  provision
  lock
  local had_services=false
  running source && had_services=true
  if [ -n "$owner" ] && [ "$had_services" = false ]; then
    # Services for a test run start from an empty broker: no connector or topic of an earlier run comes back.
    rm -rf "$RUN/kafka" "$RUN/ports.env"
  fi
  choose_ports
  mkdir -p "$RUN/logs" "$RUN/pids"
  write_bin
  start_source
  start_target
  start_kafka
  start_connect
  stop_process watchdog TERM
  if [ -z "$owner" ]; then
    rm -f "$RUN/owner"
  elif [ "$had_services" = false ] || [ -f "$RUN/owner" ]; then
    echo "$owner" >"$RUN/owner"
    spawn watchdog bash -c "while kill -0 $owner 2>/dev/null; do sleep 1; done; exec \"$0\" down-if-owner $owner"
  fi
  print_env
}

streaming_up() {
  lock
  choose_ports
  mkdir -p "$RUN/logs" "$RUN/pids"
  start_kafka
  start_connect
  touch "$RUN/streaming-only"
  print_env | grep -E '^TSMIGRATE_(KAFKA_BOOTSTRAP|CONNECT_URL|RUN_DIR)='
}

owner() { cat "$RUN/owner" 2>/dev/null || printf user; }

down_if_owner() { # called by the watchdog and the test kit: stop only if $1 still owns the services
  lock
  [ "$(owner)" = "$1" ] && down
  return 0
}

down() {
  [ -d "$RUN/pids" ] || return 0
  lock
  stop_process connect TERM
  stop_process kafka TERM
  stop_process target INT
  stop_process source INT
  local f name
  for f in "$RUN"/pids/*.pid; do
    [ -e "$f" ] || continue
    name=$(basename "$f" .pid)
    [ "$name" = watchdog ] && continue
    stop_process "$name" INT
  done
  # The watchdog runs down itself as its last step; only stop it when someone else calls down.
  if running watchdog && [ "$(cat "$(pidfile watchdog)")" != "$$" ]; then stop_process watchdog TERM; fi
  rm -f "$(pidfile watchdog)" "$RUN/owner" "$RUN/ports.env"
  if [ ! -f "$RUN/streaming-only" ] && mountpoint -q "$CHROOT/proc" 2>/dev/null; then umount "$CHROOT/proc" 2>/dev/null || true; fi
  log "stopped"
}

status() {
  local name state=0 names="source target kafka connect watchdog"
  [ -f "$RUN/streaming-only" ] && names="kafka connect"
  for name in $names; do
    if running "$name"; then echo "$name running (pid $(cat "$(pidfile "$name")"))"
    else echo "$name stopped"; [ "$name" = watchdog ] || state=3; fi
  done
  return $state
}

one() { # one ACTION NAME
  local action=$1 name=$2
  load_ports
  case "$action:$name" in
    start:source) start_source ;;
    start:target) start_target ;;
    start:kafka) start_kafka ;;
    start:connect) start_connect ;;
    stop:source | stop:target) stop_process "$name" INT ;;
    stop:kafka | stop:connect) stop_process "$name" TERM ;;
    kill:*) stop_process "$name" KILL ;;
    *) die "unknown service '$name'; choose source, target, kafka or connect" ;;
  esac
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
  up) up "$@" ;;
  streaming-up) streaming_up ;;
  down) down ;;
  down-if-owner) [ $# -ge 1 ] || die "usage: $0 down-if-owner PID"; down_if_owner "$1" ;;
  owner) owner ;;
  status) status ;;
  env) print_env ;;
  start | stop | kill) [ $# -ge 1 ] || die "usage: $0 $cmd NAME"; one "$cmd" "$1" ;;
  pg-start)
    [ $# -ge 2 ] || die "usage: $0 pg-start NAME PORT [SETTING=VALUE ...]"
    need_root; provision; mkdir -p "$RUN/logs" "$RUN/pids"; pg_start "$@" ;;
  worker-start)
    [ $# -ge 2 ] || die "usage: $0 worker-start NAME PORT"
    mkdir -p "$RUN/logs" "$RUN/pids"; load_ports; start_worker "$1" "$2" ;;
  worker-stop)
    [ $# -ge 1 ] || die "usage: $0 worker-stop NAME"
    stop_process "$1" TERM ;;
  pg-stop)
    [ $# -ge 1 ] || die "usage: $0 pg-stop NAME"
    stop_process "$1" INT; rm -rf "${CHROOT:?}$PGDATA_ROOT/$1" ;;
  shared-dir)
    # A real folder in the chroot and a link to it outside, under one path.
    mkdir -p "$CHROOT/tmp/tsmigrate-shared"; chmod 1777 "$CHROOT/tmp/tsmigrate-shared"
    [ -L /tmp/tsmigrate-shared ] || ln -sfn "$CHROOT/tmp/tsmigrate-shared" /tmp/tsmigrate-shared
    printf '%s\n' /tmp/tsmigrate-shared ;;
  provision) need_root; provision ;;
  bin) write_bin; printf '%s\n' "$RUN/bin" ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//'; [ -z "$cmd" ] || exit 2 ;;
esac

package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;

import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import io.tsmigrate.testkit.WriteLoad;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The bootstrap against a live source: schema fidelity, hypertables, and no gap and no duplicate between
 * the copied snapshot and the changes Debezium streams from the handed-over slot into the sink.
 */
@ExtendWith(ServicesExtension.class)
class BootstrapIT {

    static final String SCHEMA = """
            CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');
            CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL UNIQUE, mood mood DEFAULT 'ok', created timestamptz DEFAULT now());
            CREATE TABLE orders (id bigserial PRIMARY KEY, customer int NOT NULL REFERENCES customers(id), total numeric(12,2) CHECK (total >= 0),
                                 note text, doubled numeric GENERATED ALWAYS AS (total * 2) STORED);
            CREATE INDEX orders_customer_idx ON orders (customer);
            CREATE TABLE metrics (ts timestamptz NOT NULL, device int NOT NULL, value double precision, PRIMARY KEY (device, ts));
            CREATE INDEX metrics_ts_idx ON metrics (ts DESC);
            CREATE TABLE events (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, kind text);
            CREATE INDEX events_ts_idx ON events (ts);
            CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;
            -- Inheritance (INHERITS): reading the parent reads its child's rows too; each keeps its own rows.
            CREATE TABLE archive (id int PRIMARY KEY, note text);
            CREATE TABLE archive_old (CHECK (id < 1000)) INHERITS (archive);
            ALTER TABLE archive_old ADD PRIMARY KEY (id);
            INSERT INTO archive SELECT i, 'parent ' || i FROM generate_series(1000, 3999) i;
            INSERT INTO archive_old SELECT i, 'child ' || i FROM generate_series(1, 999) i;
            -- Materialized views: populated (one reads the other), and one left unpopulated.
            CREATE MATERIALIZED VIEW archive_counts AS SELECT count(*) AS n, sum(id) AS s FROM archive;
            CREATE MATERIALIZED VIEW archive_doubled AS SELECT n * 2 AS n2 FROM archive_counts;
            CREATE MATERIALIZED VIEW archive_later AS SELECT 1 AS x WITH NO DATA;
            CREATE FUNCTION order_count(c int) RETURNS bigint LANGUAGE sql STABLE AS 'SELECT count(*) FROM orders WHERE customer = c';
            INSERT INTO customers (name, mood) SELECT 'customer ' || i, (ARRAY['sad','ok','happy'])[1 + i % 3]::mood FROM generate_series(1, 200) i;
            INSERT INTO orders (customer, total, note) SELECT 1 + i % 200, (i % 500) * 1.5, repeat('x', i % 50) FROM generate_series(1, 20000) i;
            INSERT INTO metrics SELECT '2026-01-01'::timestamptz + (i / 10) * INTERVAL '1 minute', i % 10, i * 0.1 FROM generate_series(1, 60000) i;
            INSERT INTO events (ts, kind) SELECT '2026-01-01'::timestamptz + i * INTERVAL '10 s', 'k' || (i % 7) FROM generate_series(1, 5000) i;
            """;

    static BootstrapPlan plan(TestDatabases dbs, String slot, List<BootstrapPlan.HypertableSpec> hypertables, boolean extendKeys) {
        return plan(dbs, dbs.source(), dbs.target(), slot, hypertables, extendKeys);
    }

    static BootstrapPlan plan(TestDatabases dbs, PgEndpoint s, PgEndpoint t, String slot, List<BootstrapPlan.HypertableSpec> hypertables,
            boolean extendKeys) {
        return new BootstrapPlan(new Db(s.jdbcUrl(), null, null), new Db(t.jdbcUrl(), null, null), null, null, hypertables, 2, 2, slot, slot,
                dbs.services().pgBin().map(Object::toString).orElse(null), extendKeys, false, null, null, null, null, null);
    }

    @Test
    @DisplayName("a source role that is not a superuser (REPLICATION, SELECT): refused before anything is copied while it cannot create the "
            + "publication, with the statement for a superuser; with that publication made, the bootstrap runs as that role")
    void a_role_that_is_not_a_superuser(TestDatabases dbs) throws Exception {
        String suffix = Integer.toHexString(dbs.name().hashCode());
        String role = "mig_" + suffix;
        PgEndpoint src = dbs.source().withDatabase("np_" + suffix);
        PgEndpoint tgt = dbs.target().withDatabase("np_" + suffix);
        io.tsmigrate.testkit.Services.recreateDatabases(src, tgt);
        try (Connection c = io.tsmigrate.testkit.Services.open(src); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE orders (id serial PRIMARY KEY, v text)");
            st.execute("INSERT INTO orders (v) SELECT 'o' || i FROM generate_series(1, 500) i");
            st.execute("DROP ROLE IF EXISTS " + role);
            st.execute("CREATE ROLE " + role + " LOGIN REPLICATION");
            st.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO " + role);
            st.execute("GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO " + role);
        }
        try {
            BootstrapPlan plan = new BootstrapPlan(new Db(new PgEndpoint(src.host(), src.port(), role, null, src.database()).jdbcUrl(), null, null),
                    new Db(tgt.jdbcUrl(), null, null), null, null, List.of(), 2, 2, "np_slot", "np_slot",
                    dbs.services().pgBin().map(Object::toString).orElse(null), false, false, null, null, null, null, null);
            ByteArrayOutputStream said = new ByteArrayOutputStream();
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Bootstrap(plan, false, new PrintStream(said, true, StandardCharsets.UTF_8),
                    ProgressMode.PLAIN).run()).hasMessageContaining("may not create the publication np_slot")
                    .hasMessageContaining("CREATE PUBLICATION \"np_slot\" FOR TABLE \"public\".\"orders\"");
            try (Connection t = io.tsmigrate.testkit.Services.open(tgt); Statement st = t.createStatement(); java.sql.ResultSet rs = st.executeQuery(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("nothing copied").isZero();
            }
            try (Connection c = io.tsmigrate.testkit.Services.open(src); Statement st = c.createStatement()) {
                st.execute("CREATE PUBLICATION np_slot FOR TABLE orders WITH (publish_via_partition_root = true)");
            }
            HandOver h = new Bootstrap(plan, false, new PrintStream(said, true, StandardCharsets.UTF_8), ProgressMode.PLAIN).run();
            assertThat(h.rowsCopied()).isEqualTo(500);
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                assertThat(io.tsmigrate.testkit.Digest.table(t, "public", "orders")).isEqualTo(io.tsmigrate.testkit.Digest.table(s, "public", "orders"));
            }
        } finally {
            try (Connection c = io.tsmigrate.testkit.Services.open(src.withDatabase("postgres")); Statement st = c.createStatement()) {
                st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'tsmigrate-snapshot-keeper%np_slot'");
                Thread.sleep(300);
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'np_slot' AND NOT active");
                st.execute("DROP DATABASE IF EXISTS " + src.database() + " WITH (FORCE)");
                st.execute("DROP ROLE IF EXISTS " + role);
            }
            try (Connection c = io.tsmigrate.testkit.Services.open(tgt.withDatabase("postgres")); Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + tgt.database() + " WITH (FORCE)");
            }
        }
    }

    @Test
    @DisplayName("a bootstrap that fails in its schema copy leaves no slot and no snapshot keeper (the keeper starts beside the schema copy "
            + "and makes the slot only when released)")
    void a_failed_schema_copy_leaves_no_keeper(TestDatabases dbs) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dbs.services().pgBin().isPresent(), "needs the test kit's client tools");
        String suffix = Integer.toHexString(dbs.name().hashCode());
        PgEndpoint src = dbs.source().withDatabase("fk_" + suffix);
        PgEndpoint tgt = dbs.target().withDatabase("fk_" + suffix);
        io.tsmigrate.testkit.Services.recreateDatabases(src, tgt);
        java.nio.file.Path bin = java.nio.file.Files.createTempDirectory("tsmigrate-failing-psql");
        try {
            try (Connection c = io.tsmigrate.testkit.Services.open(src); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE orders (id serial PRIMARY KEY, v text)");
                st.execute("INSERT INTO orders (v) SELECT 'o' || i FROM generate_series(1, 100) i");
            }
            // The real pg_dump; a psql that fails as a restore into a broken target would.
            java.nio.file.Files.createSymbolicLink(bin.resolve("pg_dump"), dbs.services().pgBin().orElseThrow().resolve("pg_dump"));
            java.nio.file.Path psql = bin.resolve("psql");
            java.nio.file.Files.writeString(psql, "#!/bin/sh\necho 'psql: error: restore failed on purpose' >&2\nexit 3\n");
            psql.toFile().setExecutable(true);
            BootstrapPlan plan = new BootstrapPlan(new Db(src.jdbcUrl(), null, null), new Db(tgt.jdbcUrl(), null, null), null, null, List.of(), 2, 2,
                    "fk_slot", "fk_slot", bin.toString(), false, false, null, null, null, null, null);
            java.nio.file.Path keeperLog = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "tsmigrate-snapshot-keeper-fk_slot.log");
            java.nio.file.Files.deleteIfExists(keeperLog);
            assertThatThrownBy(() -> new Bootstrap(plan, false, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    ProgressMode.PLAIN).run()).hasMessageContaining("psql failed (exit 3)").hasMessageContaining("restore failed on purpose");
            assertThat(keeperLog).as("the keeper was started before the schema copy").exists();
            try (Connection c = io.tsmigrate.testkit.Services.open(src); Statement st = c.createStatement()) {
                Instant deadline = Instant.now().plusSeconds(10);
                int keepers;
                do {
                    Thread.sleep(100);
                    try (java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                            + "'tsmigrate-snapshot-keeper fk_slot'")) {
                        rs.next();
                        keepers = rs.getInt(1);
                    }
                } while (keepers > 0 && Instant.now().isBefore(deadline));
                assertThat(keepers).as("snapshot keepers still connected").isZero();
                try (java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'fk_slot'")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("slots made").isZero();
                }
            }
        } finally {
            try (java.util.stream.Stream<java.nio.file.Path> files = java.nio.file.Files.list(bin)) {
                for (java.nio.file.Path f : files.toList()) {
                    java.nio.file.Files.delete(f);
                }
            }
            java.nio.file.Files.delete(bin);
            try (Connection c = io.tsmigrate.testkit.Services.open(src.withDatabase("postgres")); Statement st = c.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'fk_slot' AND NOT active");
                st.execute("DROP PUBLICATION IF EXISTS fk_slot");
                st.execute("DROP DATABASE IF EXISTS " + src.database() + " WITH (FORCE)");
            }
            try (Connection c = io.tsmigrate.testkit.Services.open(tgt.withDatabase("postgres")); Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + tgt.database() + " WITH (FORCE)");
            }
        }
    }

    static final List<BootstrapPlan.HypertableSpec> HYPERTABLES = List.of(
            new BootstrapPlan.HypertableSpec("public.metrics", "ts", "1 day", null, null, null),
            new BootstrapPlan.HypertableSpec("events", "ts", null, null, null, null));

    @Test
    @DisplayName("--copy-roles into a freshly created target database (no extension) with a hypertable: roles come over without "
            + "passwords, objects keep their owners and grants, the hypertable is made")
    void roles_owners_and_grants_are_copied_when_asked(TestDatabases dbs) throws Exception {
        String suffix = Integer.toHexString(dbs.name().hashCode());
        String owner = "own_" + suffix;
        String reader = "read_" + suffix;
        PgEndpoint src = dbs.source().withDatabase("roles_" + suffix);
        PgEndpoint tgt = dbs.target().withDatabase("roles_" + suffix);
        try {
            createPair(src, tgt);
            try (Connection c = io.tsmigrate.testkit.Services.open(src); Statement st = c.createStatement()) {
                st.execute("CREATE ROLE " + owner + " LOGIN PASSWORD 'secret-not-copied'");
                st.execute("CREATE ROLE " + reader);
                st.execute("CREATE TABLE accounts (id int PRIMARY KEY, name text)");
                st.execute("INSERT INTO accounts SELECT i, 'n' || i FROM generate_series(1, 100) i");
                st.execute("ALTER TABLE accounts OWNER TO " + owner);
                st.execute("GRANT SELECT ON accounts TO " + reader);
                st.execute("CREATE TABLE readings (ts timestamptz NOT NULL, v int)");
                st.execute("INSERT INTO readings SELECT '2026-01-01'::timestamptz + i * INTERVAL '1 hour', i FROM generate_series(1, 200) i");
            }
            BootstrapPlan plan = new BootstrapPlan(new Db(src.jdbcUrl(), null, null), new Db(tgt.jdbcUrl(), null, null), null, null,
                    List.of(new BootstrapPlan.HypertableSpec("public.readings", "ts", "1 day", null, null, null)), 2, 2,
                    "roles_" + suffix, "roles_" + suffix, dbs.services().pgBin().map(Object::toString).orElse(null), false, true, null, null, null, null, null);
            ByteArrayOutputStream said = new ByteArrayOutputStream();
            new Bootstrap(plan, false, new PrintStream(said, true, StandardCharsets.UTF_8), ProgressMode.PLAIN).run();
            assertThat(said.toString(StandardCharsets.UTF_8)).contains("Roles copied without passwords").contains(owner).contains(reader);
            try (Connection c = io.tsmigrate.testkit.Services.open(tgt); Statement st = c.createStatement();
                 java.sql.ResultSet rs = st.executeQuery("SELECT pg_get_userbyid(relowner), has_table_privilege('" + reader + "', 'accounts', 'SELECT'), "
                         + "(SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = '" + owner + "'), (SELECT count(*) FROM accounts) FROM pg_class "
                         + "WHERE relname = 'accounts'")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo(owner);
                assertThat(rs.getBoolean(2)).isTrue();
                assertThat(rs.getBoolean(3)).as("no password copied").isTrue();
                assertThat(rs.getLong(4)).isEqualTo(100);
            }
            try (Connection c = io.tsmigrate.testkit.Services.open(tgt); Statement st = c.createStatement();
                 java.sql.ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'readings'), "
                         + "(SELECT count(*) FROM readings)")) {
                rs.next();
                assertThat(rs.getInt(1)).as("readings is a hypertable").isEqualTo(1);
                assertThat(rs.getLong(2)).isEqualTo(200);
            }
        } finally {
            dropPair(src, tgt);
            for (PgEndpoint db : List.of(src, tgt)) {
                try (Connection c = io.tsmigrate.testkit.Services.open(db.withDatabase("postgres")); Statement st = c.createStatement()) {
                    st.execute("DROP ROLE IF EXISTS " + owner);
                    st.execute("DROP ROLE IF EXISTS " + reader);
                }
            }
        }
    }

    @Test
    @DisplayName("a plain table to become a hypertable with NULL in its time column: refused before anything is created, with the choices; "
            + "without such rows, a column that allows NULL is reported")
    void null_times_refuse_the_hypertable(TestDatabases dbs) throws Exception {
        String db = "nulls_" + Integer.toHexString(dbs.name().hashCode());
        PgEndpoint src = dbs.source().withDatabase(db);
        PgEndpoint tgt = dbs.target().withDatabase(db);
        createPair(src, tgt);
        try {
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Statement st = s.createStatement()) {
                st.execute("CREATE TABLE loose_times (id int, ts timestamptz, v int)");
                st.execute("INSERT INTO loose_times SELECT i, CASE WHEN i = 7 THEN NULL ELSE '2026-01-01'::timestamptz + i * INTERVAL '1 hour' END, i "
                        + "FROM generate_series(1, 500) i");
            }
            List<BootstrapPlan.HypertableSpec> specs = List.of(new BootstrapPlan.HypertableSpec("public.loose_times", "ts", "1 day", null, null, null));
            assertThatThrownBy(() -> new Bootstrap(plan(dbs, src, tgt, db, specs, true), false, new PrintStream(new ByteArrayOutputStream(), true,
                    StandardCharsets.UTF_8), ProgressMode.PLAIN).run()).isInstanceOf(BootstrapException.class)
                    .hasMessageContaining("NULL in the time column ts").hasMessageContaining("SET NOT NULL").hasMessageContaining("plain table");
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt);
                 Statement st = s.createStatement()) {
                assertThat(io.tsmigrate.common.Db.one(s, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + db + "'")).isEqualTo("0");
                assertThat(io.tsmigrate.common.Db.one(t, "SELECT to_regclass('public.loose_times')")).isNull();
                st.execute("DELETE FROM loose_times WHERE ts IS NULL");
            }
            assertThat(bootstrap(dbs, src, tgt, db, specs)).contains("WARN hypertable public.loose_times: the time column ts allows NULL")
                    .contains("Bootstrap complete: 499 rows copied");
        } finally {
            dropPair(src, tgt);
        }
    }

    @Test
    @DisplayName("a transaction left open on another database of the source server: the bootstrap waits for it, naming it, and completes "
            + "once it ends")
    void an_open_transaction_is_named_while_the_slot_waits(TestDatabases dbs) throws Exception {
        String db = "waits_" + Integer.toHexString(dbs.name().hashCode());
        PgEndpoint src = dbs.source().withDatabase(db);
        PgEndpoint tgt = dbs.target().withDatabase(db);
        createPair(src, tgt);
        try (Connection open = io.tsmigrate.testkit.Services.open(dbs.source()); Statement ost = open.createStatement()) {
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Statement st = s.createStatement()) {
                st.execute("CREATE TABLE waited (id int PRIMARY KEY, v text)");
                st.execute("INSERT INTO waited SELECT i, 'v' FROM generate_series(1, 300) i");
            }
            // Idle in transaction, holding a transaction id, in the class's own source database.
            ost.execute("SET application_name = 'nightly etl'");
            open.setAutoCommit(false);
            String pid = io.tsmigrate.common.Db.one(open, "SELECT pg_backend_pid() || ':' || txid_current()").split(":")[0];
            ByteArrayOutputStream log = new ByteArrayOutputStream();
            PrintStream out = new PrintStream(log, true, StandardCharsets.UTF_8);
            java.util.concurrent.CompletableFuture<Void> run = java.util.concurrent.CompletableFuture.runAsync(() -> {
                try {
                    new Bootstrap(plan(dbs, src, tgt, db, List.of(), true), false, out, ProgressMode.PLAIN).run();
                } catch (Exception e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            Instant deadline = Instant.now().plusSeconds(60);
            while (!log.toString(StandardCharsets.UTF_8).contains("Still open: pid " + pid) && Instant.now().isBefore(deadline) && !run.isDone()) {
                Thread.sleep(200);
            }
            assertThat(log.toString(StandardCharsets.UTF_8)).contains(" s for the replication slot: PostgreSQL makes it once every transaction")
                    .contains("Still open: pid " + pid + " on database " + dbs.source().database()).contains("application nightly etl")
                    .contains("idle in transaction").doesNotContain("Bootstrap complete");
            open.commit();
            run.get(120, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(log.toString(StandardCharsets.UTF_8)).contains("Bootstrap complete: 300 rows copied");
        } finally {
            dropPair(src, tgt);
        }
    }

    @Test
    @DisplayName("tablespaces: kept for tables, keys and indexes where the target has them; where it lacks one, everything goes to its "
            + "default tablespace, with a warning (the schema copy failed on the missing tablespace)")
    void tablespaces_are_kept_or_left_with_a_warning(TestDatabases dbs) throws Exception {
        String db = "spc_" + Integer.toHexString(dbs.name().hashCode());
        PgEndpoint src = dbs.source().withDatabase(db);
        PgEndpoint tgt = dbs.target().withDatabase(db);
        String space = "fast_" + Integer.toHexString(dbs.name().hashCode());
        List<PgEndpoint> servers = List.of(dbs.source(), dbs.target());
        try {
            for (PgEndpoint server : servers) {
                tablespace(server, space, true);
            }
            for (boolean onTarget : List.of(true, false)) {
                createPair(src, tgt);
                if (!onTarget) {
                    tablespace(dbs.target(), space, false);
                }
                try (Connection s = io.tsmigrate.testkit.Services.open(src); Statement st = s.createStatement()) {
                    st.execute("CREATE TABLE placed (id int PRIMARY KEY USING INDEX TABLESPACE " + space + ", v text) TABLESPACE " + space);
                    st.execute("CREATE INDEX placed_v ON placed (v) TABLESPACE " + space);
                    st.execute("CREATE TABLE plain (id int PRIMARY KEY, v text)");
                    st.execute("CREATE INDEX plain_v ON plain (v)");
                    st.execute("INSERT INTO placed SELECT i, 'v' || i FROM generate_series(1, 500) i");
                    st.execute("INSERT INTO plain SELECT i, 'v' || i FROM generate_series(1, 500) i");
                }
                String log = bootstrap(dbs, src, tgt, db, List.of());
                assertThat(log).contains("Bootstrap complete: 1000 rows copied");
                try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                    String where = "SELECT string_agg(c.relname || ':' || coalesce(ts.spcname, 'default'), ',' ORDER BY c.relname) FROM pg_class c "
                            + "LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace WHERE c.relname IN ('placed', 'placed_pkey', 'placed_v', 'plain', "
                            + "'plain_pkey', 'plain_v')";
                    String expected = onTarget ? Db.one(s, where)
                            : "placed:default,placed_pkey:default,placed_v:default,plain:default,plain_pkey:default,plain_v:default";
                    assertThat(Db.one(t, where)).isEqualTo(expected).contains(onTarget ? "placed_v:" + space : "placed_v:default");
                    for (String table : List.of("placed", "plain")) {
                        assertThat(Digest.table(t, "public", table)).isEqualTo(Digest.table(s, "public", table));
                    }
                }
                if (onTarget) {
                    assertThat(log).doesNotContain("WARN tablespaces");
                } else {
                    assertThat(log).contains("WARN tablespaces " + space + " of the source are not on the target");
                }
                dropPair(src, tgt);
            }
        } finally {
            dropPair(src, tgt);
            for (PgEndpoint server : servers) {
                tablespace(server, space, false);
            }
        }
    }

    /**
     * Creates (or drops) a tablespace in a folder of the server's data directory, made by the server's own user
     * (the server may run in a chroot of its own).
     */
    private static void tablespace(PgEndpoint server, String name, boolean create) throws Exception {
        try (Connection c = io.tsmigrate.testkit.Services.open(server.withDatabase("postgres")); Statement st = c.createStatement()) {
            st.execute("DROP TABLESPACE IF EXISTS " + name);
            if (create) {
                String dir = Db.one(c, "SHOW data_directory") + "/" + name;
                st.execute("COPY (SELECT 1) TO PROGRAM 'mkdir -p " + dir + "'");
                st.execute("CREATE TABLESPACE " + name + " LOCATION '" + dir + "'");
            }
        }
    }

    @Test
    @DisplayName("a declaratively partitioned table (two levels, a key and an index on the root) planned as a hypertable: the target has the "
            + "root as a hypertable with its key and index on every chunk, no partitions, rows equal")
    void a_partitioned_table_becomes_a_hypertable(TestDatabases dbs) throws Exception {
        String db = "parted_" + Integer.toHexString(dbs.name().hashCode());
        PgEndpoint src = dbs.source().withDatabase(db);
        PgEndpoint tgt = dbs.target().withDatabase(db);
        createPair(src, tgt);
        try {
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Statement st = s.createStatement()) {
                st.execute("CREATE TABLE \"Events\" (id int, at timestamptz NOT NULL, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)");
                st.execute("CREATE INDEX events_v ON \"Events\" (v)");
                st.execute("CREATE TABLE events_2025 PARTITION OF \"Events\" FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')");
                st.execute("CREATE TABLE events_2026 PARTITION OF \"Events\" FOR VALUES FROM ('2026-01-01') TO ('2027-01-01') PARTITION BY RANGE (at)");
                st.execute("CREATE TABLE events_2026_h1 PARTITION OF events_2026 FOR VALUES FROM ('2026-01-01') TO ('2026-07-01')");
                st.execute("CREATE TABLE events_2026_h2 PARTITION OF events_2026 FOR VALUES FROM ('2026-07-01') TO ('2027-01-01')");
                st.execute("INSERT INTO \"Events\" SELECT i, '2025-01-01'::timestamptz + i * INTERVAL '1 hour', 'v' || i % 10 FROM generate_series(0, 17000) i");
            }
            List<BootstrapPlan.HypertableSpec> specs = List.of(new BootstrapPlan.HypertableSpec("public.Events", "at", "30 days", null, null, null));
            assertThat(bootstrap(dbs, src, tgt, db, specs)).contains("Bootstrap complete: 17001 rows copied");
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                assertThat(Digest.table(t, "public", "Events")).isEqualTo(Digest.table(s, "public", "Events"));
                assertThat(Db.one(t, "SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'Events'")).isEqualTo("1");
                assertThat(Db.one(t, "SELECT count(*) FROM pg_class WHERE relname LIKE 'events\\_20%'")).isEqualTo("0");
                String chunks = Db.one(t, "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'Events'");
                assertThat(Integer.parseInt(chunks)).isGreaterThan(20);
                // The key and the index on every chunk.
                assertThat(Db.one(t, "SELECT count(*) FROM pg_index WHERE indrelid IN (SELECT format('%I.%I', chunk_schema, chunk_name)::regclass "
                        + "FROM timescaledb_information.chunks WHERE hypertable_name = 'Events')")).isEqualTo(String.valueOf(2 * Integer.parseInt(chunks)));
            }
        } finally {
            dropPair(src, tgt);
        }
    }

    @Test
    @DisplayName("tables whose names read the same once joined with a dot (s.\"a.b\" and \"s.a\".b), one of them a hypertable: "
            + "each copied whole into its own table")
    void names_with_dots(TestDatabases dbs) throws Exception {
        withPair(dbs, "dots", (src, tgt, db) -> {
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Statement st = s.createStatement()) {
                st.execute("CREATE SCHEMA s");
                st.execute("CREATE SCHEMA \"s.a\"");
                st.execute("CREATE TABLE s.\"a.b\" (id int, at timestamptz NOT NULL, v text, PRIMARY KEY (id, at))");
                st.execute("CREATE TABLE \"s.a\".b (id int PRIMARY KEY, v text)");
                st.execute("INSERT INTO s.\"a.b\" SELECT i, '2026-01-01'::timestamptz + i * INTERVAL '1 hour', 'dotted table ' || i FROM generate_series(1, 3000) i");
                st.execute("INSERT INTO \"s.a\".b SELECT i, 'dotted schema ' || i FROM generate_series(1, 5000) i");
            }
            List<BootstrapPlan.HypertableSpec> specs = List.of(new BootstrapPlan.HypertableSpec("s.\"a.b\"", "at", "30 days", null, null, null));
            assertThat(bootstrap(dbs, src, tgt, db, specs)).contains("Bootstrap complete: 8000 rows copied");
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                assertThat(Digest.table(t, "s", "a.b")).isEqualTo(Digest.table(s, "s", "a.b"));
                assertThat(Digest.table(t, "s.a", "b")).isEqualTo(Digest.table(s, "s.a", "b"));
                assertThat(Db.one(t, "SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_schema = 's' AND hypertable_name = 'a.b'"))
                        .isEqualTo("1");
            }
        });
    }

    @Test
    @DisplayName("a target database that has some of the tables already: refused before anything is copied, naming them")
    void tables_already_on_the_target_are_refused(TestDatabases dbs) throws Exception {
        withPair(dbs, "there", (src, tgt, db) -> {
            for (PgEndpoint e : List.of(src, tgt)) {
                try (Connection c = io.tsmigrate.testkit.Services.open(e); Statement st = c.createStatement()) {
                    st.execute("CREATE TABLE \"Kept\" (id int PRIMARY KEY, v text)");
                }
            }
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Statement st = s.createStatement()) {
                st.execute("CREATE TABLE fresh (id int PRIMARY KEY)");
                st.execute("INSERT INTO \"Kept\" SELECT i, 'v' FROM generate_series(1, 100) i");
            }
            assertThatThrownBy(() -> bootstrap(dbs, src, tgt, db, List.of())).hasMessageContaining("already has 1 of the tables to migrate "
                    + "(public.\"Kept\")").hasMessageContaining("nothing was copied");
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                assertThat(Db.one(s, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + db + "'")).isEqualTo("0");
                assertThat(Db.one(t, "SELECT to_regclass('public.fresh')")).isNull();
            }
        });
    }

    @Test
    @DisplayName("columns of OID alias types (regclass, a text search configuration of its own, a domain over regclass, an array, a composite): "
            + "copied by name, not as the source's OIDs; a table without columns copied with its rows")
    void oid_alias_columns(TestDatabases dbs) throws Exception {
        withPair(dbs, "regs", (src, tgt, db) -> {
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Statement st = s.createStatement()) {
                st.execute("CREATE TEXT SEARCH CONFIGURATION own_cfg (COPY = english)");
                st.execute("CREATE DOMAIN tabref AS regclass");
                st.execute("CREATE TYPE withrel AS (r regclass, n int)");
                st.execute("CREATE TABLE targets (id int PRIMARY KEY)");
                st.execute("CREATE TABLE refs (id int PRIMARY KEY, rel regclass, cfg regconfig, d tabref, rels regclass[], w withrel, note text)");
                // A table without columns (all dropped) still has rows.
                st.execute("CREATE TABLE hollow ()");
                st.execute("INSERT INTO hollow SELECT FROM generate_series(1, 3)");
                st.execute("INSERT INTO refs SELECT i, 'targets', (CASE WHEN i % 2 = 0 THEN 'own_cfg' ELSE 'english' END)::regconfig, 'refs', "
                        + "ARRAY['targets', 'refs']::regclass[], ROW('targets', i)::withrel, 'n' || i FROM generate_series(1, 500) i");
            }
            assertThat(bootstrap(dbs, src, tgt, db, List.of())).contains("Bootstrap complete: 503 rows copied");
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                assertThat(Digest.table(t, "public", "refs")).isEqualTo(Digest.table(s, "public", "refs"));
                assertThat(Db.one(t, "SELECT count(*) FROM hollow")).isEqualTo("3");
                assertThat(Db.one(t, "SELECT count(*) FROM refs WHERE rel = 'targets'::regclass AND d = 'refs'::regclass AND (w).r = 'targets'::regclass "
                        + "AND cfg::text IN ('english', 'own_cfg')"))
                        .isEqualTo("500");
            }
        });
    }

    @Test
    @DisplayName("extensions in a schema of their own (CREATE EXTENSION citext WITH SCHEMA extensions, as hosted databases have them): "
            + "created in that schema on the target, tables using their types copied equal")
    void extensions_in_their_own_schema(TestDatabases dbs) throws Exception {
        withPair(dbs, "extschema", (src, tgt, db) -> {
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Statement st = s.createStatement()) {
                st.execute("CREATE SCHEMA extensions");
                st.execute("CREATE EXTENSION citext WITH SCHEMA extensions");
                st.execute("CREATE EXTENSION hstore WITH SCHEMA extensions");
                st.execute("CREATE TABLE users (id int PRIMARY KEY, email extensions.citext UNIQUE, attrs extensions.hstore, tags extensions.citext[])");
                st.execute("INSERT INTO users SELECT i, 'User' || i || '@Example.com', ('a=>' || i || ', b=>NULL')::extensions.hstore, "
                        + "ARRAY['X' || i]::extensions.citext[] FROM generate_series(1, 2000) i");
            }
            assertThat(bootstrap(dbs, src, tgt, db, List.of())).contains("Bootstrap complete: 2000 rows copied");
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                assertThat(Digest.table(t, "public", "users")).isEqualTo(Digest.table(s, "public", "users"));
                assertThat(Db.one(t, "SELECT string_agg(extname || ' in ' || extnamespace::regnamespace, ', ' ORDER BY extname) FROM pg_extension "
                        + "WHERE extname IN ('citext', 'hstore')")).isEqualTo("citext in extensions, hstore in extensions");
            }
        });
    }

    @Test
    @DisplayName("a source database with a statement_timeout of 100 ms and an idle_in_transaction_session_timeout of 200 ms (production "
            + "settings): the bootstrap's sessions are not cancelled; rows equal")
    void a_source_with_short_timeouts(TestDatabases dbs) throws Exception {
        String db = "timeouts_" + Integer.toHexString(dbs.name().hashCode());
        PgEndpoint src = dbs.source().withDatabase(db);
        PgEndpoint tgt = dbs.target().withDatabase(db);
        createPair(src, tgt);
        try {
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Statement st = s.createStatement()) {
                st.execute("CREATE TABLE timed (id bigint PRIMARY KEY, v text)");
                st.execute("INSERT INTO timed SELECT i, md5(i::text) || repeat('x', 100) FROM generate_series(1, 600000) i");
                st.execute("ALTER DATABASE " + db + " SET statement_timeout = '100ms'");
                st.execute("ALTER DATABASE " + db + " SET idle_in_transaction_session_timeout = '200ms'");
            }
            assertThat(bootstrap(dbs, src, tgt, db, List.of())).contains("Bootstrap complete: 600000 rows copied");
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                assertThat(Digest.table(t, "public", "timed")).isEqualTo(Digest.table(s, "public", "timed"));
            }
        } finally {
            dropPair(src, tgt);
        }
    }

    @Test
    @DisplayName("a TimescaleDB source's hypertable with a hash dimension: the target hypertable has the same dimensions and chunks, rows equal")
    void a_hash_dimension_comes_along(TestDatabases dbs) throws Exception {
        String db = "space_" + Integer.toHexString(dbs.name().hashCode());
        PgEndpoint src = dbs.source().withDatabase(db);
        PgEndpoint tgt = dbs.target().withDatabase(db);
        createPair(src, tgt);
        try (Connection s = io.tsmigrate.testkit.Services.open(src); Statement st = s.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
            st.execute("CREATE TABLE spaced (ts timestamptz NOT NULL, dev int NOT NULL, v double precision, PRIMARY KEY (dev, ts))");
            st.execute("SELECT create_hypertable('spaced', by_range('ts', INTERVAL '1 day'))");
            st.execute("SELECT add_dimension('spaced', by_hash('dev', 4))");
            st.execute("INSERT INTO spaced SELECT '2026-01-01'::timestamptz + i * INTERVAL '1 minute', i % 13, i FROM generate_series(1, 20000) i");
        }
        try {
            hashDimension(dbs, src, tgt, db);
        } finally {
            dropPair(src, tgt);
        }
    }

    @Test
    @DisplayName("a TimescaleDB source's hypertable on an integer time column (epoch milliseconds) with its integer_now function, a "
            + "retention policy and a continuous aggregate: all recreated on the target, rows equal")
    void an_integer_time_hypertable_keeps_its_now_function(TestDatabases dbs) throws Exception {
        withPair(dbs, "intnow", (src, tgt, db) -> {
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Statement st = s.createStatement()) {
                st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
                st.execute("CREATE TABLE ms (ts bigint NOT NULL, dev int NOT NULL, v float8, PRIMARY KEY (dev, ts))");
                st.execute("SELECT create_hypertable('ms', by_range('ts', 86400000))");
                st.execute("CREATE FUNCTION now_ms() RETURNS bigint LANGUAGE sql STABLE AS $$ SELECT (extract(epoch FROM now()) * 1000)::bigint $$");
                st.execute("SELECT set_integer_now_func('ms', 'now_ms')");
                st.execute("INSERT INTO ms SELECT 1764547200000 + i::bigint * 60000, i % 10, i FROM generate_series(1, 20000) i");
                st.execute("SELECT add_retention_policy('ms', 86400000::bigint * 365 * 5)");
                st.execute("CREATE MATERIALIZED VIEW ms_hourly WITH (timescaledb.continuous) AS SELECT time_bucket(3600000::bigint, ts) AS b, dev, "
                        + "avg(v) FROM ms GROUP BY 1, 2 WITH NO DATA");
                st.execute("CALL refresh_continuous_aggregate('ms_hourly', NULL, NULL)");
            }
            assertThat(bootstrap(dbs, src, tgt, db, List.of())).doesNotContain("could not recreate");
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                assertThat(Db.one(t, "SELECT integer_now_func FROM timescaledb_information.dimensions WHERE hypertable_name = 'ms'")).isEqualTo("now_ms");
                assertThat(Db.one(t, "SELECT config->>'drop_after' FROM timescaledb_information.jobs WHERE proc_name = 'policy_retention'"))
                        .isEqualTo("157680000000");
                assertThat(Digest.table(t, "public", "ms")).isEqualTo(Digest.table(s, "public", "ms"));
                String hourly = "SELECT count(*) || ' ' || sum(avg) FROM ms_hourly";
                assertThat(Db.one(t, hourly)).isEqualTo(Db.one(s, hourly));
            }
        });
    }

    private static void hashDimension(TestDatabases dbs, PgEndpoint src, PgEndpoint tgt, String slot) throws Exception {
        new Bootstrap(plan(dbs, src, tgt, slot, List.of(), true), false, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                ProgressMode.PLAIN).run();
        try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
            String dims = "SELECT string_agg(column_name || ' ' || dimension_type || ' ' || coalesce(num_partitions::text, time_interval::text), ', ' "
                    + "ORDER BY dimension_number) FROM timescaledb_information.dimensions WHERE hypertable_name = 'spaced'";
            String chunks = "SELECT count(*) FROM show_chunks('spaced')";
            assertThat(io.tsmigrate.common.Db.one(t, dims)).isEqualTo(io.tsmigrate.common.Db.one(s, dims)).isEqualTo("ts Time 1 day, dev Space 4");
            assertThat(io.tsmigrate.common.Db.one(t, chunks)).isEqualTo(io.tsmigrate.common.Db.one(s, chunks));
            assertThat(Digest.table(t, "public", "spaced")).isEqualTo(Digest.table(s, "public", "spaced"));
        }
    }

    @Test
    @DisplayName("TimescaleDB features the Apache-licensed target refuses are reported with their statements; an Apache source has none to read")
    void timescale_features_the_target_refuses_are_reported(TestDatabases dbs) throws Exception {
        try (Connection s = dbs.openSource(); Statement st = s.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
            st.execute("CREATE TABLE tf (ts timestamptz NOT NULL, v int)");
            st.execute("SELECT create_hypertable('tf', by_range('ts'))");
            assertThat(TimescaleFeatures.read(s)).isEmpty();
            st.execute("DROP TABLE tf");
        }
        // A target that runs the Apache edition (the test kit's own target may run the Community edition).
        org.junit.jupiter.api.Assumptions.assumeTrue(dbs.services().natives().isPresent(), "needs the native services for an extra server");
        io.tsmigrate.testkit.NativeServices natives = dbs.services().natives().orElseThrow();
        io.tsmigrate.testkit.PgEndpoint apache = natives.startExtraPostgres("apachetarget", dbs.services().source().port() + 11,
                "timescaledb.license=apache");
        try (Connection t = io.tsmigrate.testkit.Services.open(apache)) {
            t.createStatement().execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
            assertThat(TimescaleFeatures.license(t)).isEqualTo("apache");
            List<String> said = new java.util.ArrayList<>();
            TimescaleFeatures.apply(List.of(new TimescaleFeatures.Compression("public", "metrics", List.of("\"device\""), List.of()).item(),
                    new TimescaleFeatures.Policy("policy_retention", "public", "metrics", Map.of("drop_after", "30 days")).item()), t, said::add, statements -> { });
            assertThat(said.get(0)).contains("Skipped 2 TimescaleDB features").contains("apache-licensed");
            assertThat(String.join("\n", said)).contains("ALTER TABLE \"public\".\"metrics\" SET (timescaledb.compress")
                    .contains("SELECT add_retention_policy('\"public\".\"metrics\"'::regclass, drop_after => INTERVAL '30 days', drop_created_before => NULL);");
        } finally {
            natives.stopExtraPostgres("apachetarget");
        }
    }

    @Test
    @DisplayName("a unique key without the time column stops the plan with the table, the index and the choices")
    void hypertable_plan_checks(TestDatabases dbs) throws Exception {
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS plan_check (id bigint PRIMARY KEY, ts timestamptz NOT NULL, code text UNIQUE)");
        }
        BootstrapPlan p = plan(dbs, "plan_check", List.of(new BootstrapPlan.HypertableSpec("plan_check", "ts", "1 day", null, null, null)), false);
        List<TableInfo> tables;
        try (Connection c = dbs.openSource()) {
            tables = SourceCatalog.tables(c, p);
        }
        assertThatThrownBy(() -> HypertablePlan.check(p, tables)).isInstanceOf(BootstrapException.class)
                .hasMessageContaining("public.plan_check").hasMessageContaining("primary key plan_check_pkey (id)")
                .hasMessageContaining("unique index plan_check_code_key (code)").hasMessageContaining("--extend-keys")
                .hasMessageContaining("plain table").hasMessageContaining("change the key on the source");
        assertThat(HypertablePlan.check(plan(dbs, "plan_check", p.hypertables(), true), tables)).containsExactly("public.plan_check");
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            st.execute("DROP TABLE plan_check");
        }
    }

    @Test
    @DisplayName("bootstrap under a live write load, then Debezium from the handed-over slot into the sink: every table equal, schema equal")
    void no_gap_no_duplicate(TestDatabases dbs) throws Exception {
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            st.execute(SCHEMA);
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        HandOver handOver;
        try (WriteLoad writer = writer(dbs)) {
            Thread.sleep(500);
            handOver = new Bootstrap(plan(dbs, "boot_gap", HYPERTABLES, true), false, new PrintStream(log, true, StandardCharsets.UTF_8), ProgressMode.PLAIN).run();
            Thread.sleep(1500);
            assertThat(writer.rounds()).isGreaterThan(0);
            // Keep writing while the stream starts.
            Map<String, String> source = dbs.debeziumSource("boot_" + dbs.name(), handOver.slotName());
            // As the shipped template streams after a bootstrap: from the handed-over slot and publication, no snapshot.
            source.putAll(TestDatabases.shippedSourceSettings());
            source.put("slot.name", handOver.slotName());
            source.put("publication.name", handOver.publicationName());
            source.put("topic.creation.default.replication.factor", "1");
            dbs.registerConnector("boot-src-" + dbs.name(), source);
            Map<String, String> sink = new LinkedHashMap<>(TestDatabases.shippedSettings("sink-timescale"));
            sink.put("tasks.max", "1");
            sink.put("topics.regex", "boot_" + dbs.name() + "\\.public\\..*");
            sink.put("connection.url", dbs.target().jdbcUrl());
            sink.put("flush.interval.ms", "200");
            sink.put("consumer.override.auto.offset.reset", "earliest");
            sink.put("consumer.override.metadata.max.age.ms", "1000");
            dbs.registerConnector("boot-sink-" + dbs.name(), sink);
            dbs.services().connect().awaitRunning("boot-src-" + dbs.name(), Duration.ofSeconds(60));
            dbs.services().connect().awaitRunning("boot-sink-" + dbs.name(), Duration.ofSeconds(60));
            Thread.sleep(2000);
        }
        String output = log.toString(StandardCharsets.UTF_8);
        assertThat(output).contains("Hypertable events: time column ts, chunk interval").contains("Bootstrap complete");
        awaitEqual(dbs, Duration.ofSeconds(120));
        try (Connection t = dbs.openTarget(); Statement st = t.createStatement();
             var rs = st.executeQuery("SELECT hypertable_name FROM timescaledb_information.hypertables ORDER BY 1")) {
            List<String> names = new java.util.ArrayList<>();
            while (rs.next()) {
                names.add(rs.getString(1));
            }
            assertThat(names).containsExactly("events", "metrics");
        }
        assertThat(output).contains("Materialized views refreshed: 2");
        try (Connection s = dbs.openSource(); Connection t = dbs.openTarget()) {
            String views = "SELECT string_agg(relname || ' ' || relispopulated, ', ' ORDER BY relname) FROM pg_class WHERE relkind = 'm'";
            String content = "SELECT n || ' ' || s || ' ' || (SELECT n2 FROM archive_doubled) FROM archive_counts";
            assertThat(io.tsmigrate.common.Db.one(t, views)).isEqualTo(io.tsmigrate.common.Db.one(s, views))
                    .isEqualTo("archive_counts true, archive_doubled true, archive_later false");
            assertThat(io.tsmigrate.common.Db.one(t, content)).isEqualTo(io.tsmigrate.common.Db.one(s, content));
        }
        String target = SchemaDump.normalized(dbs, false).replace("PRIMARY KEY (id, ts)", "PRIMARY KEY (id)");
        String source = SchemaDump.normalized(dbs, true);
        assertThat(target).as("schema of the target; lines only on one side: %s", SchemaDump.difference(source, target)).isEqualTo(source);
        // A second migration (another slot) into the same target is refused before it changes anything, also with
        // --restart, which would otherwise drop the first migration's slot and data.
        assertThatThrownBy(() -> new Bootstrap(plan(dbs, "boot_other", HYPERTABLES, true), true, new PrintStream(new ByteArrayOutputStream(), true,
                StandardCharsets.UTF_8), ProgressMode.PLAIN).run()).isInstanceOf(BootstrapException.class)
                .hasMessageContaining("already holds the bootstrap of another migration (slot boot_gap").hasMessageContaining("nothing was changed");
        try (Connection c = dbs.openSource(); Statement st = c.createStatement();
             var rs = st.executeQuery("SELECT string_agg(slot_name, ',' ORDER BY slot_name) FROM pg_replication_slots WHERE slot_name IN ('boot_gap', 'boot_other')")) {
            rs.next();
            assertThat(rs.getString(1)).isEqualTo("boot_gap");
        }
        awaitEqual(dbs, Duration.ofSeconds(30));
    }

    /** Fresh databases of these names (a test whose bootstrap must not leave its state in the class's shared pair). */
    /** A test on a database pair of its own ({@code prefix} and the test's hash), created before and dropped after. */
    /** Runs a bootstrap of {@code src} into {@code tgt} (slot and publication {@code db}) and returns what it printed. */
    private static String bootstrap(TestDatabases dbs, PgEndpoint src, PgEndpoint tgt, String db, List<BootstrapPlan.HypertableSpec> specs) throws Exception {
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        new Bootstrap(plan(dbs, src, tgt, db, specs, true), false, new PrintStream(log, true, StandardCharsets.UTF_8), ProgressMode.PLAIN).run();
        return log.toString(StandardCharsets.UTF_8);
    }

    static void withPair(TestDatabases dbs, String prefix, PairTest test) throws Exception {
        String db = prefix + "_" + Integer.toHexString(dbs.name().hashCode());
        PgEndpoint src = dbs.source().withDatabase(db);
        PgEndpoint tgt = dbs.target().withDatabase(db);
        createPair(src, tgt);
        try {
            test.run(src, tgt, db);
        } finally {
            dropPair(src, tgt);
        }
    }

    interface PairTest {
        void run(PgEndpoint src, PgEndpoint tgt, String db) throws Exception;
    }

    static void createPair(PgEndpoint src, PgEndpoint tgt) throws Exception {
        for (PgEndpoint db : List.of(src, tgt)) {
            try (Connection c = io.tsmigrate.testkit.Services.open(db.withDatabase("postgres")); Statement st = c.createStatement()) {
                st.execute("DROP DATABASE IF EXISTS " + db.database() + " WITH (FORCE)");
                st.execute("CREATE DATABASE " + db.database());
            }
        }
    }

    /** Drops what {@link #createPair} made, with the slots a bootstrap made in them. */
    static void dropPair(PgEndpoint src, PgEndpoint tgt) throws Exception {
        for (PgEndpoint db : List.of(src, tgt)) {
            try (Connection c = io.tsmigrate.testkit.Services.open(db.withDatabase("postgres")); Statement st = c.createStatement()) {
                for (int i = 0; i < 20; i++) {
                    st.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = '" + db.database()
                            + "' AND active_pid IS NOT NULL");
                    st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.database()
                            + "' AND NOT active");
                    try (java.sql.ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE database = '" + db.database() + "'")) {
                        rs.next();
                        if (rs.getInt(1) == 0) {
                            break;
                        }
                    }
                    Thread.sleep(250);
                }
                st.execute("DROP DATABASE IF EXISTS " + db.database() + " WITH (FORCE)");
            }
        }
    }

    static void awaitEqual(TestDatabases dbs, Duration timeout) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        Map<String, String> src = Map.of();
        Map<String, String> tgt = Map.of();
        while (Instant.now().isBefore(deadline)) {
            try (Connection s = dbs.openSource(); Connection t = dbs.openTarget()) {
                src = Digest.database(s);
                tgt = Digest.database(t);
            }
            if (src.equals(tgt)) {
                break;
            }
            Thread.sleep(500);
        }
        assertThat(tgt).as("every table's ordered digest on the target").isEqualTo(src);
    }

    /** Inserts, updates and deletes on every table until closed: eight changes a round. */
    static WriteLoad writer(TestDatabases dbs) {
        return WriteLoad.repeat("orders-metrics-events", dbs::openSource, 2, (st, n) -> {
            int r = ThreadLocalRandom.current().nextInt(1, 20000);
            st.execute("BEGIN;"
                    + "INSERT INTO orders (customer, total, note) VALUES (" + (1 + r % 200) + ", " + (r % 90) + ", 'live');"
                    + "UPDATE orders SET total = total + 1, note = 'upd' WHERE id = " + r + ";"
                    + "DELETE FROM orders WHERE id = " + (r + 7) + ";"
                    + "INSERT INTO metrics VALUES ('2026-03-01'::timestamptz + " + n + " * INTERVAL '1 s', " + (n % 10) + ", " + n + ");"
                    + "UPDATE metrics SET value = -value WHERE device = " + (n % 10) + " AND ts = (SELECT min(ts) FROM metrics WHERE device = "
                    + (n % 10) + ");"
                    + "INSERT INTO events (ts, kind) VALUES (now(), 'live');"
                    + "UPDATE events SET ts = ts + INTERVAL '1 day' WHERE id = " + (1 + r % 5000) + ";"
                    + "UPDATE customers SET mood = 'happy' WHERE id = " + (1 + r % 200) + ";"
                    + "COMMIT");
            return true;
        });
    }
}

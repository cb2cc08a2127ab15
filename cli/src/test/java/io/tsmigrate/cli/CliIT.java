package io.tsmigrate.cli;

import io.tsmigrate.common.ConnectClient;

import io.tsmigrate.common.Db;
import com.fasterxml.jackson.databind.JsonNode;
import io.tsmigrate.testkit.NativeServices;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The command line against the real services. */
@ExtendWith(ServicesExtension.class)
class CliIT {

    record Run(int code, String out) {
    }

    static synchronized Run tsmigrate(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(ps);
        System.setErr(ps);
        try {
            var cl = Tsmigrate.commandLine(args);
            cl.setOut(new java.io.PrintWriter(ps, true));
            cl.setErr(new java.io.PrintWriter(ps, true));
            int code = cl.execute(args);
            return new Run(code, buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** A source and a target database of the test's own, freshly created (no extension), named PREFIX_<class key>. */
    static PgEndpoint[] freshPair(TestDatabases dbs, String prefix) throws java.sql.SQLException {
        PgEndpoint src = dbs.source().withDatabase(prefix + "_" + Integer.toHexString(dbs.name().hashCode()));
        PgEndpoint tgt = dbs.target().withDatabase(src.database());
        // A run that was killed leaves its slots behind.
        dropPair(src, tgt);
        io.tsmigrate.testkit.Services.recreateDatabases(src, tgt);
        return new PgEndpoint[] {src, tgt};
    }

    /** Drops databases from {@link #freshPair} with their leftover inactive slots. */
    static void dropPair(PgEndpoint... databases) throws java.sql.SQLException {
        for (PgEndpoint db : databases) {
            try (Connection c = io.tsmigrate.testkit.Services.open(db.withDatabase("postgres")); Statement st = c.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.database() + "' AND NOT active");
                st.execute("DROP DATABASE IF EXISTS " + db.database() + " WITH (FORCE)");
            }
        }
    }

    static List<String> endpoints(TestDatabases dbs) {
        return List.of("--source-url", dbs.source().jdbcUrl(), "--target-url", dbs.target().jdbcUrl(), "--connect", dbs.services().connectUrl());
    }

    static String[] args(List<String> endpoints, String command, String... tail) {
        List<String> all = new ArrayList<>(List.of(command));
        all.addAll(endpoints);
        all.addAll(List.of(tail));
        return all.toArray(String[]::new);
    }

    @Test
    @DisplayName("check on a misconfigured source lists each problem with its fix and exits non-zero")
    void check_reports_a_misconfigured_source(TestDatabases dbs) throws Exception {
        assumeTrue(dbs.services().natives().isPresent());
        NativeServices natives = dbs.services().natives().orElseThrow();
        PgEndpoint bad = natives.startExtraPostgres("clicheck", dbs.services().source().port() + 7, "wal_level=replica");
        try {
            try (Connection c = io.tsmigrate.testkit.Services.open(bad); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE nokey (a int, b text)");
                st.execute("CREATE TABLE \"\"\"start\" (id int PRIMARY KEY, \"\"\"wrapped\"\"\" text, \"in\"\"side\" text)");
                st.execute("CREATE TABLE shifts (id int PRIMARY KEY, starts timetz, speeds float8[], codes text[])");
                st.execute("CREATE TABLE tracks (id int PRIMARY KEY, speeds float8[], __tsm_op text) ");
                st.execute("ALTER TABLE tracks REPLICA IDENTITY FULL");
                st.execute("CREATE ROLE plain LOGIN");
                st.execute("CREATE SEQUENCE order_ids");
                st.execute("CREATE TABLE secrets (id int PRIMARY KEY)");
                st.execute("ALTER TABLE secrets ENABLE ROW LEVEL SECURITY");
                // Replica identity indexes: one without the primary key's column (refused), one holding it (fine).
                st.execute("CREATE TABLE accounts (id int PRIMARY KEY, code text NOT NULL, CONSTRAINT accounts_code UNIQUE (code))");
                st.execute("ALTER TABLE accounts REPLICA IDENTITY USING INDEX accounts_code");
                st.execute("CREATE TABLE ledger (id int PRIMARY KEY, code text NOT NULL, CONSTRAINT ledger_both UNIQUE (code, id))");
                st.execute("ALTER TABLE ledger REPLICA IDENTITY USING INDEX ledger_both");
                // No primary key and two unique indexes: Debezium may key its events by the one that is not the identity.
                st.execute("CREATE TABLE pairs (a int NOT NULL, b int NOT NULL, CONSTRAINT pairs_a UNIQUE (a), CONSTRAINT pairs_b UNIQUE (b))");
                st.execute("ALTER TABLE pairs REPLICA IDENTITY USING INDEX pairs_b");
                st.execute("CREATE UNLOGGED TABLE cache (id int PRIMARY KEY, v text)");
                // A deferrable primary key cannot be a replica identity: published, the table refuses updates and deletes.
                st.execute("CREATE TABLE ranks (id int PRIMARY KEY DEFERRABLE, v text)");
                st.execute("CREATE TABLE quiet (id int PRIMARY KEY, v text)");
                st.execute("ALTER TABLE quiet REPLICA IDENTITY NOTHING");
            }
            String url = "jdbc:postgresql://127.0.0.1:" + bad.port() + "/postgres";
            Run r = tsmigrate("check", "--source-url", url, "--source-user", "plain", "--target-url", dbs.target().jdbcUrl(),
                    "--connect", dbs.services().connectUrl());
            assertThat(r.code()).as(r.out()).isEqualTo(1);
            assertThat(r.out()).contains("FAIL source   wal_level").contains("ALTER SYSTEM SET wal_level = logical")
                    .contains("FAIL source   REPLICATION privilege").contains("ALTER ROLE <user> REPLICATION")
                    .contains("WARN source   key of public.nokey").contains("REPLICA IDENTITY FULL").contains("insert-only")
                    .contains("WARN source   key of public.ranks").contains("public.ranks's primary key is DEFERRABLE")
                    .contains("WARN source   key of public.quiet").contains("REPLICA IDENTITY NOTHING")
                    .contains("FAIL source   name of public.\"\"\"start\"").contains("RENAME TO")
                    .contains("FAIL source   name of public.\"\"\"start\".\"\"\"wrapped\"\"\"").doesNotContain("in\"\"side")
                    .contains("FAIL source   name of public.tracks.__tsm_op").contains("begins with __tsm_")
                    .contains("WARN source   time with time zone public.shifts.starts")
                    .doesNotContain("shifts.speeds").doesNotContain("unchanged large values")
                    .contains("FAIL source   row-level security").contains("part of public.secrets").contains("ALTER ROLE <user> BYPASSRLS")
                    .contains("FAIL source   replica identity of public.accounts").contains("ALTER TABLE public.accounts REPLICA IDENTITY DEFAULT")
                    .doesNotContain("replica identity of public.ledger")
                    .contains("FAIL source   replica identity of public.pairs").contains("unique index pairs_a")
                    .contains("ALTER TABLE public.pairs REPLICA IDENTITY FULL")
                    .contains("FAIL source   unlogged public.cache").contains("ALTER TABLE public.cache SET LOGGED")
                    .contains("FAIL source   sequence privileges").contains("GRANT SELECT ON SEQUENCE public.order_ids TO <user>")
                    .contains("OK   target   TimescaleDB").contains("OK   connect  TimescaleSinkConnector");
            Run json = tsmigrate("check", "--json", "--source-url", url, "--source-user", "plain");
            assertThat(json.out()).contains("\"status\" : \"FAIL\"");
        } finally {
            natives.stopExtraPostgres("clicheck");
        }
    }

    @Test
    @DisplayName("every rendered connector template validates against the real plugins without errors")
    void templates_validate_against_the_plugins(TestDatabases dbs) throws Exception {
        // As the bootstrap leaves it before start: the sink's validation asks for the extension.
        try (Connection c = dbs.openTarget(); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
        }
        Endpoints endpoints = new Endpoints();
        endpoints.sourcePasswordEnv = "TSMIGRATE_SOURCE_PASSWORD";
        endpoints.targetPasswordEnv = "TSMIGRATE_TARGET_PASSWORD";
        Map<String, String> vars = new StartOptions().variables(endpoints, Names.of("tsmigrate"), new io.tsmigrate.common.Db(dbs.source().jdbcUrl(), null, null),
                new io.tsmigrate.common.Db(dbs.target().jdbcUrl(), null, null));
        assertThat(vars.get("SOURCE_PASSWORD")).isEqualTo("${env:TSMIGRATE_SOURCE_PASSWORD}");
        ConnectClient rest = new ConnectClient(dbs.services().connectUrl());
        for (String template : List.of("source-postgres", "source-timescaledb", "source-rds", "sink-timescale")) {
            Map<String, String> config = new java.util.LinkedHashMap<>(Templates.render(template, vars));
            config.put("name", template);
            JsonNode result = rest.validate(config.get("connector.class"), config);
            List<String> errors = new ArrayList<>();
            result.path("configs").forEach(c -> c.path("value").path("errors").forEach(e -> errors.add(c.path("value").path("name").asText() + ": " + e.asText())));
            assertThat(errors).as(template).isEmpty();
        }
    }

    @Test
    @DisplayName("bootstrap, start, cutover under a write load: target ready with the downtime printed; verify finds a corrupted row")
    void migrate_end_to_end(TestDatabases dbs) throws Exception {
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            // timetz: Debezium streams it in UTC; verify (inside cutover) must compare the instants.
            st.execute("CREATE TABLE accounts (id serial PRIMARY KEY, owner text NOT NULL, balance numeric(14,2) NOT NULL, "
                    + "opens timetz NOT NULL DEFAULT '23:59:59+14')");
            st.execute("CREATE TABLE readings (ts timestamptz NOT NULL, sensor int NOT NULL, value double precision, PRIMARY KEY (sensor, ts))");
            // Declaratively partitioned: changes are published under the root, rows move between partitions.
            st.execute("CREATE TABLE events (id int NOT NULL, at date NOT NULL, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)");
            st.execute("CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')");
            st.execute("CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')");
            st.execute("INSERT INTO events SELECT i, DATE '2025-06-01' + i % 300, 'e' || i FROM generate_series(1, 2000) i");
            st.execute("INSERT INTO accounts (owner, balance) SELECT 'owner ' || i, i FROM generate_series(1, 1000) i");
            st.execute("INSERT INTO readings SELECT '2026-01-01'::timestamptz + i * INTERVAL '1 minute', i % 5, i FROM generate_series(1, 20000) i");
            // Sequences whose next value is not last_value + 1: restarted, never used, counting down.
            st.execute("CREATE SEQUENCE invoice_no START 500");
            st.execute("CREATE SEQUENCE countdown INCREMENT -1 MINVALUE -100 MAXVALUE 10 START 10");
            // Refreshed on the source during the migration (materialized views are not streamed).
            st.execute("CREATE MATERIALIZED VIEW account_count AS SELECT count(*) AS accounts, sum(balance) AS balance FROM accounts");
        }
        List<String> ep = endpoints(dbs);
        String prefix = "cli" + Integer.toHexString(dbs.name().hashCode());
        WriteLoad writer = WriteLoad.repeat("cli", dbs::openSource, 5, (st, n) -> {
            st.execute("INSERT INTO accounts (owner, balance) VALUES ('live', " + n + ")");
            st.execute("UPDATE accounts SET balance = balance + 1 WHERE id = " + (1 + n % 1000));
            st.execute("INSERT INTO readings VALUES ('2026-02-01'::timestamptz + " + n + " * INTERVAL '1 s', " + (n % 5) + ", " + n + ")");
            st.execute("UPDATE events SET at = at + 250, v = 'moved' WHERE id = " + (1 + n % 2000) + " AND at < '2026-01-01'");
            return true;
        });
        Run boot = tsmigrate(args(ep, "bootstrap", "--hypertable", "public.readings:ts:1day", "--slot", prefix, "--publication", prefix, "--jobs", "2",
                "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
        assertThat(boot.code()).as(boot.out()).isZero();
        // Not a terminal, no --json: plain progress lines, no JSON in the text.
        assertThat(boot.out()).contains("copy: ").contains(" rows, ").doesNotContain("{\"event\"");
        Run start = tsmigrate(args(ep, "start", "--name", prefix, "--slot", prefix, "--publication", prefix));
        assertThat(start.code()).as(start.out()).isZero();
        Thread.sleep(3000);
        Run status = tsmigrate(args(ep, "status", "--name", prefix, "--slot", prefix, "--json"));
        assertThat(status.out()).contains("\"connector " + prefix + "-source\":\"RUNNING").contains("sink records applied");
        // The load must have run the whole time: a writer that died early would leave nothing to catch up.
        writer.close();
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            st.execute("ALTER SEQUENCE accounts_id_seq RESTART WITH 5000");
            st.execute("REFRESH MATERIALIZED VIEW account_count");
            st.execute("SELECT nextval('countdown'), nextval('countdown')");
        }
        assertThat(writer.rounds()).as("write-load rounds").isGreaterThan(10);
        Run cutover = tsmigrate(args(ep, "cutover", "--name", prefix, "--slot", prefix, "--kafka", dbs.services().kafkaBootstrap(), "--timeout", "120"));
        assertThat(cutover.code()).as(cutover.out()).isZero();
        System.out.println(cutover.out());
        assertThat(cutover.out()).containsPattern("target ready: \\d+ tables equal; downtime \\d+\\.\\d s")
                .contains("source idle since the cutover point").contains("paused")
                .contains("Materialized views refreshed on the target (their source copies were refreshed during the migration; they are not streamed): "
                        + "public.account_count");
        assertThat(new ConnectClient(dbs.services().connectUrl()).status(prefix + "-source").path("connector").path("state").asText()).isEqualTo("PAUSED");
        // The sequences are carried at cutover: the application's next insert on the target does not collide.
        try (Connection src = dbs.openSource(); Connection tgt = dbs.openTarget()) {
            assertThat(Db.one(tgt, "SELECT accounts || ' ' || balance FROM account_count")).isEqualTo(Db.one(src, "SELECT accounts || ' ' || balance FROM account_count"));
            for (String seq : List.of("accounts_id_seq", "invoice_no", "countdown")) {
                String sql = "SELECT last_value || ' ' || is_called FROM " + seq;
                assertThat(Db.one(tgt, sql)).as(seq).isEqualTo(Db.one(src, sql));
            }
            try (Statement st = tgt.createStatement()) {
                st.execute("INSERT INTO accounts (owner, balance) VALUES ('after cutover', 0)");
                st.execute("DELETE FROM accounts WHERE owner = 'after cutover'");
            }
        }
        double downtime = Double.parseDouble(cutover.out().replaceAll("(?s).*downtime (\\d+\\.\\d) s.*", "$1"));
        assertThat(downtime).isBetween(0.0, 60.0);
        // A corrupted row is found and localised to its time bucket.
        try (Connection t = dbs.openTarget(); Statement st = t.createStatement()) {
            st.execute("UPDATE readings SET value = -1 WHERE sensor = 3 AND ts = (SELECT min(ts) FROM readings WHERE sensor = 3 AND ts >= '2026-01-05')");
        }
        Run verify = tsmigrate(args(ep, "verify"));
        assertThat(verify.code()).as(verify.out()).isEqualTo(1);
        assertThat(verify.out()).contains("public.accounts").contains("equal").contains("public.readings").contains("public.events")
                .contains("DIFFERENT: from 2026-01-05 00:00:00: same count, different rows");
        // The connectors go missing after streaming started: start refuses, then --recreate resumes where Kafka still holds the topics.
        ConnectClient rest = new ConnectClient(dbs.services().connectUrl());
        rest.delete(prefix + "-sink");
        rest.delete(prefix + "-source");
        Run lost = tsmigrate(args(ep, "start", "--name", prefix, "--slot", prefix, "--publication", prefix));
        assertThat(lost.code()).as(lost.out()).isNotZero();
        assertThat(lost.out()).contains("are gone from").contains("has confirmed").contains("the sink has applied up to source LSN")
                .contains("start --recreate").contains("bootstrap --restart");
        Run recreate = tsmigrate(args(ep, "start", "--name", prefix, "--slot", prefix, "--publication", prefix, "--recreate",
                "--kafka", dbs.services().kafkaBootstrap()));
        assertThat(recreate.code()).as(recreate.out()).isZero();
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO accounts (owner, balance) VALUES ('after recreate', 1)");
        }
        String arrived = "0";
        for (int i = 0; i < 300 && "0".equals(arrived); i++) {
            Thread.sleep(200);
            try (Connection t = dbs.openTarget()) {
                arrived = Db.one(t, "SELECT count(*) FROM accounts WHERE owner = 'after recreate'");
            }
        }
        assertThat(arrived).as("a change after --recreate arrives once").isEqualTo("1");
        Run clean = tsmigrate(args(ep, "clean", "--yes", "--name", prefix, "--slot", prefix, "--publication", prefix));
        assertThat(clean.code()).as(clean.out()).isZero();
    }

    @Test
    @DisplayName("a LATIN1 source into a UTF8 target, its database set to escaped bytea and SQL-standard intervals: non-ASCII names and "
            + "values, bytea and intervals copied, streamed and verified equal")
    void a_latin1_source(TestDatabases dbs) throws Exception {
        PgEndpoint src = dbs.source().withDatabase("latin_" + Integer.toHexString(dbs.name().hashCode()));
        PgEndpoint tgt = dbs.target().withDatabase(src.database());
        dropPair(src, tgt);
        try (Connection c = io.tsmigrate.testkit.Services.open(src.withDatabase("postgres")); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + src.database() + " ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
            // Settings older applications keep: every session of the database, Debezium's stream included, gets them.
            st.execute("ALTER DATABASE " + src.database() + " SET bytea_output = 'escape'");
            st.execute("ALTER DATABASE " + src.database() + " SET intervalstyle = 'sql_standard'");
        }
        try (Connection c = io.tsmigrate.testkit.Services.open(tgt.withDatabase("postgres")); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + tgt.database());
        }
        String slot = "latin" + Integer.toHexString(dbs.name().hashCode());
        try {
            try (Connection c = io.tsmigrate.testkit.Services.open(src); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE \"Café\" (id int PRIMARY KEY, \"Straße\" text DEFAULT 'é', tags text[], doc jsonb, big text, b bytea, "
                        + "i interval)");
                st.execute("INSERT INTO \"Café\" SELECT i, 'Grüße ½ ' || i, ARRAY['ü', 'ß', 'ÿ'], jsonb_build_object('clé', 'välue ' || i), "
                        + "CASE WHEN i % 50 = 0 THEN repeat('é', 5000) END, decode(md5(i::text), 'hex'), make_interval(0, i % 14, 0, i, 1, 2, 3.5) "
                        + "FROM generate_series(1, 1000) i");
            }
            List<String> ep = List.of("--source-url", src.jdbcUrl(), "--target-url", tgt.jdbcUrl(), "--connect", dbs.services().connectUrl());
            Run boot = tsmigrate(args(ep, "bootstrap", "--slot", slot, "--publication", slot, "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
            assertThat(boot.code()).as(boot.out()).isZero();
            Run start = tsmigrate(args(ep, "start", "--name", slot, "--slot", slot, "--publication", slot));
            assertThat(start.code()).as(start.out()).isZero();
            try (Connection c = io.tsmigrate.testkit.Services.open(src); Statement st = c.createStatement()) {
                st.execute("UPDATE \"Café\" SET \"Straße\" = 'Ä ö ü ' || id, doc = '{\"naïve\": \"ÿ\"}' WHERE id % 3 = 0");
                st.execute("UPDATE \"Café\" SET id = id + 5000 WHERE big IS NOT NULL");
                st.execute("INSERT INTO \"Café\" (id, tags) VALUES (9000, '{é,è}')");
                st.execute("UPDATE \"Café\" SET b = b || '\\x5c00'::bytea, i = -i + INTERVAL '1 year 2 days 03:04:05.678' WHERE id % 4 = 0");
            }
            Run cutover = tsmigrate(args(ep, "cutover", "--name", slot, "--slot", slot, "--publication", slot, "--kafka", dbs.services().kafkaBootstrap(),
                    "--timeout", "120"));
            assertThat(cutover.code()).as(cutover.out()).isZero();
            assertThat(cutover.out()).contains("target ready: 1 tables equal");
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                assertThat(io.tsmigrate.testkit.Digest.table(t, "public", "Café")).isEqualTo(io.tsmigrate.testkit.Digest.table(s, "public", "Café"))
                        .startsWith("1001:");
                assertThat(Db.one(t, "SELECT column_default FROM information_schema.columns WHERE column_name = 'Straße'")).isEqualTo("'é'::text");
            }
            Run clean = tsmigrate(args(ep, "clean", "--yes", "--name", slot, "--slot", slot, "--publication", slot));
            assertThat(clean.code()).as(clean.out()).isZero();
        } finally {
            dropPair(src, tgt);
        }
    }

    @Test
    @DisplayName("a partition truncated and another dropped on the source during the migration (no row change streams for either): cutover "
            + "refuses with the rows named, verify --repair copies them again, cutover passes")
    void partition_truncated_during_the_migration(TestDatabases dbs) throws Exception {
        PgEndpoint[] pair = freshPair(dbs, "parttrunc");
        PgEndpoint src = pair[0];
        PgEndpoint tgt = pair[1];
        String slot = "pt" + Integer.toHexString(dbs.name().hashCode());
        try {
            try (Connection c = io.tsmigrate.testkit.Services.open(src); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE ev (id int, at date NOT NULL, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at)");
                for (int y = 2024; y <= 2026; y++) {
                    st.execute("CREATE TABLE ev_" + y + " PARTITION OF ev FOR VALUES FROM ('" + y + "-01-01') TO ('" + (y + 1) + "-01-01')");
                }
                st.execute("INSERT INTO ev SELECT i, DATE '2024-01-01' + i % 1000, 'e' || i FROM generate_series(1, 3000) i");
            }
            List<String> ep = List.of("--source-url", src.jdbcUrl(), "--target-url", tgt.jdbcUrl(), "--connect", dbs.services().connectUrl());
            List<String> named = List.of("--name", slot, "--slot", slot, "--publication", slot, "--kafka", dbs.services().kafkaBootstrap());
            Run migrate = tsmigrate(args(ep, "migrate", java.util.stream.Stream.concat(named.stream(),
                    java.util.stream.Stream.of("--pg-bin", dbs.services().pgBin().orElseThrow().toString())).toArray(String[]::new)));
            assertThat(migrate.code()).as(migrate.out()).isZero();
            try (Connection c = io.tsmigrate.testkit.Services.open(src); Statement st = c.createStatement()) {
                st.execute("TRUNCATE ev_2025");
                st.execute("DROP TABLE ev_2024");
                st.execute("INSERT INTO ev VALUES (9000, '2026-05-05', 'after')");
            }
            Run refused = tsmigrate(args(ep, "cutover", java.util.stream.Stream.concat(named.stream(), java.util.stream.Stream.of("--timeout", "120"))
                    .toArray(String[]::new)));
            assertThat(refused.code()).as(refused.out()).isNotZero();
            assertThat(refused.out()).contains("DIFFERENT public.ev").contains("on the source, ").contains("verify --repair");
            Run repair = tsmigrate(args(ep, "verify", java.util.stream.Stream.concat(named.stream(), java.util.stream.Stream.of("--repair"))
                    .toArray(String[]::new)));
            assertThat(repair.code()).as(repair.out()).isZero();
            Run cutover = tsmigrate(args(ep, "cutover", java.util.stream.Stream.concat(named.stream(), java.util.stream.Stream.of("--timeout", "120"))
                    .toArray(String[]::new)));
            assertThat(cutover.code()).as(cutover.out()).isZero();
            try (Connection s = io.tsmigrate.testkit.Services.open(src); Connection t = io.tsmigrate.testkit.Services.open(tgt)) {
                assertThat(io.tsmigrate.testkit.Digest.table(t, "public", "ev")).isEqualTo(io.tsmigrate.testkit.Digest.table(s, "public", "ev"));
                assertThat(Db.one(s, "SELECT count(*) FROM ev")).isEqualTo("808");
            }
        } finally {
            tsmigrate(args(List.of("--source-url", src.jdbcUrl(), "--target-url", tgt.jdbcUrl(), "--connect", dbs.services().connectUrl()),
                    "clean", "--yes", "--name", slot, "--slot", slot, "--publication", slot));
            dropPair(src, tgt);
        }
    }

    @Test
    @DisplayName("embedded mode: migrate a TimescaleDB source (new chunks during the run) with no --connect; cutover --block-writes; rollback; "
            + "clean leaves no process")
    void migrate_embedded_from_a_timescaledb_source(TestDatabases dbs) throws Exception {
        String role = "app_" + Integer.toHexString(dbs.name().hashCode());
        // Databases of its own: the class's databases hold the other tests' tables.
        PgEndpoint srcDb = dbs.source().withDatabase("emb_" + Integer.toHexString(dbs.name().hashCode()));
        PgEndpoint tgtDb = dbs.target().withDatabase(srcDb.database());
        io.tsmigrate.testkit.Services.recreateDatabases(srcDb, tgtDb);
        try (Connection c = io.tsmigrate.testkit.Services.open(srcDb); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
            st.execute("CREATE TABLE devices (id int PRIMARY KEY, name text NOT NULL, seen bigint NOT NULL DEFAULT 0)");
            st.execute("CREATE TABLE metrics (ts timestamptz NOT NULL, device int NOT NULL REFERENCES devices (id), value double precision, "
                    + "PRIMARY KEY (device, ts))");
            st.execute("SELECT create_hypertable('metrics', by_range('ts', INTERVAL '1 day'))");
            st.execute("INSERT INTO devices SELECT i, 'device ' || i FROM generate_series(1, 50) i");
            st.execute("INSERT INTO metrics SELECT '2026-03-01'::timestamptz + i * INTERVAL '1 minute', 1 + i % 50, i FROM generate_series(1, 20000) i");
            st.execute("DROP ROLE IF EXISTS " + role);
            st.execute("CREATE ROLE " + role + " LOGIN");
            st.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON devices, metrics TO " + role);
            // A member writes through the blocked role: its open writing transaction must end at cutover too.
            st.execute("DROP ROLE IF EXISTS " + role + "_member");
            st.execute("CREATE ROLE " + role + "_member LOGIN IN ROLE " + role);
        }
        java.nio.file.Path dataDir = java.nio.file.Path.of("target", "embedded-it").toAbsolutePath();
        Embedded leftover = new Embedded(dataDir);
        leftover.delete();
        try {
            migrateEmbedded(dbs, srcDb, tgtDb, role, dataDir);
        } finally {
            leftover.delete();
            for (PgEndpoint db : List.of(srcDb, tgtDb)) {
                try (Connection c = io.tsmigrate.testkit.Services.open(db.withDatabase("postgres")); Statement st = c.createStatement()) {
                    st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '" + db.database() + "' AND NOT active");
                    st.execute("DROP DATABASE IF EXISTS " + db.database() + " WITH (FORCE)");
                }
            }
            try (Connection c = io.tsmigrate.testkit.Services.open(dbs.source()); Statement st = c.createStatement()) {
                st.execute("DROP ROLE IF EXISTS " + role + "_member");
                st.execute("DROP ROLE IF EXISTS " + role);
            }
        }
    }

    private void migrateEmbedded(TestDatabases dbs, PgEndpoint srcDb, PgEndpoint tgtDb, String role, java.nio.file.Path dataDir) throws Exception {
        List<String> ep = List.of("--source-url", srcDb.jdbcUrl(), "--target-url", tgtDb.jdbcUrl(), "--data-dir", dataDir.toString(),
                "--name", "emb");
        // The application writes as its own role: rows in new days (new chunks on the source) and updates, until cutover blocks it.
        java.util.concurrent.atomic.AtomicReference<String> blockedWith = new java.util.concurrent.atomic.AtomicReference<>();
        PgEndpoint src = srcDb;
        String appUrl = new PgEndpoint(src.host(), src.port(), role, null, src.database()).jdbcUrl();
        try (WriteLoad writer = WriteLoad.repeat("application", () -> java.sql.DriverManager.getConnection(appUrl), 20, (st, n) -> {
            try {
                st.execute("INSERT INTO metrics VALUES ('2026-04-01'::timestamptz + " + n + " * INTERVAL '1 hour', " + (1 + n % 50) + ", " + n + ")");
                st.execute("UPDATE devices SET seen = seen + 1 WHERE id = " + (1 + n % 50));
                return true;
            } catch (java.sql.SQLException e) {
                blockedWith.set(e.getMessage());
                return false;
            }
        })) {
            Run migrate = tsmigrate(args(ep, "migrate", "--flavour", "timescaledb", "--jobs", "2", "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            assertThat(migrate.out()).contains("OK   connect  embedded").contains("READY for cutover").contains("embedded Kafka/Connect");
            assertThat(migrate.out()).contains("public.metrics").doesNotContain("_hyper_");
            Thread.sleep(2000);
            Connection member = java.sql.DriverManager.getConnection(new PgEndpoint(src.host(), src.port(), role + "_member", null, src.database()).jdbcUrl());
            member.setAutoCommit(false);
            try (Statement st = member.createStatement()) {
                st.execute("INSERT INTO metrics VALUES ('2027-01-01', 1, -1)");
            }
            Run cutover = tsmigrate(args(ep, "cutover", "--block-writes", role, "--timeout", "120"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            assertThat(cutover.out()).contains("open writing transaction(s)");
            org.assertj.core.api.Assertions.assertThatThrownBy(member::commit).as("the member's transaction was ended").isInstanceOf(java.sql.SQLException.class);
            member.close();
            assertThat(cutover.out()).containsPattern("Writes blocked: \\d+ privileges of " + role).containsPattern("target ready: \\d+ tables equal");
            writer.awaitEnd(java.time.Duration.ofSeconds(30));
            assertThat(blockedWith.get()).contains("permission denied");
        }
        try (Connection c = io.tsmigrate.testkit.Services.open(tgtDb); Statement st = c.createStatement()) {
            var rs = st.executeQuery("SELECT count(*) FROM timescaledb_information.hypertables WHERE hypertable_name = 'metrics'");
            rs.next();
            assertThat(rs.getInt(1)).as("metrics is a hypertable on the target").isEqualTo(1);
            rs = st.executeQuery("SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'metrics' AND range_start >= '2026-04-01'");
            rs.next();
            assertThat(rs.getInt(1)).as("chunks created during the migration").isPositive();
        }
        try (Connection s = io.tsmigrate.testkit.Services.open(srcDb); Connection t = io.tsmigrate.testkit.Services.open(tgtDb)) {
            assertThat(io.tsmigrate.testkit.Digest.table(t, "public", "metrics")).isEqualTo(io.tsmigrate.testkit.Digest.table(s, "public", "metrics"));
            assertThat(io.tsmigrate.testkit.Digest.table(t, "public", "devices")).isEqualTo(io.tsmigrate.testkit.Digest.table(s, "public", "devices"));
        }
        Run rollback = tsmigrate(args(ep, "cutover", "--rollback"));
        assertThat(rollback.code()).as(rollback.out()).isZero();
        assertThat(rollback.out()).containsPattern("\\d+ revoked privileges granted back").contains("connector emb-source resumed");
        try (Connection c = io.tsmigrate.testkit.Services.open(srcDb); Statement st = c.createStatement()) {
            var rs = st.executeQuery("SELECT has_table_privilege('" + role + "', 'metrics', 'INSERT') AND has_table_privilege('" + role + "', 'devices', 'UPDATE')");
            rs.next();
            assertThat(rs.getBoolean(1)).isTrue();
        }
        List<Long> pids = new ArrayList<>();
        try (var files = java.nio.file.Files.list(dataDir.resolve("pids"))) {
            for (java.nio.file.Path f : files.toList()) {
                pids.add(Long.parseLong(java.nio.file.Files.readString(f).trim()));
            }
        }
        assertThat(pids).hasSizeGreaterThanOrEqualTo(2);
        Run clean = tsmigrate(args(ep, "clean", "--yes"));
        assertThat(clean.code()).as(clean.out()).isZero();
        assertThat(clean.out()).contains("embedded Kafka/Connect stopped and deleted");
        assertThat(pids).allMatch(pid -> ProcessHandle.of(pid).map(h -> !h.isAlive()).orElse(true));
        assertThat(dataDir).doesNotExist();
        try (Connection c = io.tsmigrate.testkit.Services.open(srcDb); Statement st = c.createStatement()) {
            st.execute("REVOKE ALL ON devices, metrics FROM " + role);
            st.execute("REVOKE ALL ON ALL TABLES IN SCHEMA _timescaledb_internal FROM " + role);
        }
    }

    @Test
    @DisplayName("demo against given servers and a Connect cluster: migrate, cutover under load, verify equal, downtime printed")
    void demo_runs_a_whole_migration(TestDatabases dbs) throws Exception {
        String server = dbs.source().withDatabase("postgres").jdbcUrl();
        String targetServer = dbs.target().withDatabase("postgres").jdbcUrl();
        Run demo = tsmigrate("demo", "--source-url", server, "--target-url", targetServer, "--connect", dbs.services().connectUrl(),
                "--kafka", dbs.services().kafkaBootstrap(), "--database", "demo_" + Integer.toHexString(dbs.name().hashCode()), "--load-seconds", "3",
                "--pg-bin", dbs.services().pgBin().orElseThrow().toString());
        System.out.println(demo.out());
        assertThat(demo.code()).as(demo.out()).isZero();
        assertThat(demo.out()).contains("READY for cutover").contains("All 3 tables equal").containsPattern("Demo done: .* downtime \\d+\\.\\d s");
        for (PgEndpoint db : List.of(dbs.source(), dbs.target())) {
            try (Connection c = io.tsmigrate.testkit.Services.open(db.withDatabase("postgres")); Statement st = c.createStatement()) {
                st.execute("DROP DATABASE demo_" + Integer.toHexString(dbs.name().hashCode()) + " WITH (FORCE)");
            }
        }
    }
}

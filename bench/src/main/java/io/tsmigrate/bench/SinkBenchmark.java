package io.tsmigrate.bench;

import io.tsmigrate.common.ConnectClient;
import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.TestDatabases;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * The sink benchmark: this project's sink against the Debezium JDBC sink (tuned as the issue says), on the
 * same Connect worker, the same topics (preloaded by the real Debezium source with JsonConverter's format and the
 * producer settings of connectors/source-postgres.json, lz4 included; -Dbench.producer=k=v;k=v changes them), fresh
 * consumer groups, alternating, several runs each. Measures the time from the connector's creation to the
 * last row visible in the target, and the CPU seconds of the Connect worker and the target database.
 * Every run must end with the target's digest equal to the source's.
 *
 * <p>Workloads: W1, rows appended in time order into a hypertable with 1-hour chunks; W3, a keyed table
 * snapshotted, then 70% updates, 20% inserts, 10% deletes.
 *
 * <p>Run: see docs/benchmarks.md. Arguments: {@code --runs N --w1-rows N --w3-rows N --out DIR}.
 */
public final class SinkBenchmark {

    private static final String OURS = "tsmigrate";
    private static final String PEER = "debezium-jdbc";

    private final Services services;
    private final ConnectClient connect;
    private final PgEndpoint source;
    private final PgEndpoint target;
    private final Path runDir;
    private final Map<String, List<Run>> results = new LinkedHashMap<>();
    private static final String SESSION = Long.toString(System.currentTimeMillis() / 1000 % 1_000_000, 36);
    private List<String> contenders = List.of(OURS, PEER);
    private boolean reuse;

    record Run(String workload, String contender, int round, double seconds, double connectCpu, double targetCpu, long records, boolean equal) {
    }

    private SinkBenchmark(Services services) {
        this.services = services;
        this.connect = services.connect();
        this.source = services.source().withDatabase("bench_sink");
        this.target = services.target().withDatabase("bench_sink");
        this.runDir = services.natives().orElseThrow(() -> new IllegalStateException("the benchmark needs the native services")).runDir();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = Args.parse(Map.of("--runs", "3", "--w1-rows", "1000000", "--w3-rows", "200000",
                "--out", "bench/target/results", "--only", "W1,W3",
                "--contenders", OURS + "," + PEER, "--reuse", "false"), args);
        SinkBenchmark b = new SinkBenchmark(Services.get());
        b.contenders = List.of(opts.get("--contenders").split(","));
        // --reuse true: keep the source tables and the preloaded topics of an earlier run on the same services.
        b.reuse = Boolean.parseBoolean(opts.get("--reuse"));
        if (b.contenders.contains(PEER)) {
            b.requirePeerPlugin();
        }
        if (!b.reuse) {
            b.createDatabases();
        }
        int runs = Integer.parseInt(opts.get("--runs"));
        List<String> only = List.of(opts.get("--only").split(","));
        if (only.contains("W1")) {
            b.workloadW1(Integer.parseInt(opts.get("--w1-rows")), runs);
        }
        if (only.contains("W3")) {
            b.workloadW3(Integer.parseInt(opts.get("--w3-rows")), runs);
        }
        Path out = Path.of(opts.get("--out"));
        Files.createDirectories(out);
        String report = b.report();
        Files.writeString(out.resolve("sink-benchmark.md"), report);
        Charts.sink(b.results, out.resolve("sink-benchmark.png"));
        System.out.println(report);
        System.exit(0);
    }

    private void requirePeerPlugin() {
        if (!connect.plugins().findValuesAsText("class").contains("io.debezium.connector.jdbc.JdbcSinkConnector")) {
            throw new IllegalStateException("the Connect worker lacks the Debezium JDBC sink; run the benchmark as docs/benchmarks.md says "
                    + "(TSMIGRATE_CONNECT_PLUGIN_PATH=bench/target/peer-plugins)");
        }
    }

    private void createDatabases() throws Exception {
        // Connectors of an earlier run restart with the worker and would hold the slots.
        for (String name : connect.connectors()) {
            if (name.startsWith("bench-")) {
                connect.delete(name);
            }
        }
        Thread.sleep(2000);
        for (PgEndpoint server : List.of(services.source(), services.target())) {
            try (Connection c = Services.open(server); Statement st = c.createStatement()) {
                st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = 'bench_sink'");
                st.execute("DROP DATABASE IF EXISTS bench_sink WITH (FORCE)");
                st.execute("CREATE DATABASE bench_sink");
            }
        }
        sql(target, "CREATE EXTENSION IF NOT EXISTS timescaledb");
    }

    // ------------------------------------------------------------------------------------------- workloads

    private void workloadW1(int rows, int runs) throws Exception {
        log("W1: %,d rows, append-only, time-ordered, into a hypertable with 1-hour chunks", rows);
        if (reuse && endOffset(topicFor("w1")) == rows) {
            log("reusing topic %s", topicFor("w1"));
        } else {
            preloadW1(rows);
        }
        String topic = topicFor("w1");
        String targetDdl = "DROP TABLE IF EXISTS w1; CREATE TABLE w1 (ts timestamptz NOT NULL, device_id int NOT NULL, v1 double precision, "
                + "v2 double precision, v3 double precision, v4 double precision, tag text, PRIMARY KEY (device_id, ts)); "
                + "SELECT create_hypertable('w1', by_range('ts', INTERVAL '1 hour'))";
        String expected = digest(source, "w1");
        // Counting up to a million rows four times a second took a fifth of a core from the contenders (on two cores):
        // count only once the last row's time is in (one index probe), then until every row is.
        String last = queryString(source, "SELECT max(ts)::text FROM w1");
        String done = "SELECT CASE WHEN max(ts) >= '" + last + "' THEN (SELECT count(*) = " + rows + " FROM w1) ELSE false END FROM w1";
        for (int round = 1; round <= runs; round++) {
            for (String contender : order(round)) {
                sql(target, targetDdl);
                record(measure("W1", contender, round, topic, "w1", done, expected));
            }
        }
    }

    /** The contenders of a round: the first round starts with ours, the next with the peer, and so on. */
    private List<String> order(int round) {
        List<String> all = round % 2 == 1 ? List.of(OURS, PEER) : List.of(PEER, OURS);
        return all.stream().filter(contenders::contains).toList();
    }

    private void preloadW1(int rows) throws Exception {
        sql(source, "CREATE TABLE w1 (ts timestamptz NOT NULL, device_id int NOT NULL, v1 double precision, v2 double precision, "
                + "v3 double precision, v4 double precision, tag text, PRIMARY KEY (device_id, ts))");
        // About 150 bytes a row; 100 devices, one reading a second each, in time order.
        sql(source, "INSERT INTO w1 SELECT '2026-01-01'::timestamptz + (i / 100) * INTERVAL '1 second', i % 100, random() * 100, "
                + "random() * 1000, random(), i * 0.5, 'tag-' || (i % 37) FROM generate_series(0, " + (rows - 1) + ") i");
        preload("w1", rows);
    }

    private void workloadW3(int rows, int runs) throws Exception {
        log("W3: %,d-row keyed table, then %,d changes: 70%% updates, 20%% inserts, 10%% deletes", rows, rows);
        String topic = topicFor("w3");
        if (reuse && endOffset(topic) > rows) {
            log("reusing topic %s", topic);
        } else {
            preloadW3(rows);
        }
        String targetDdl = "DROP TABLE IF EXISTS w3; CREATE TABLE w3 (id bigint PRIMARY KEY, account int NOT NULL, amount numeric(14,2), "
                + "status text, updated_at timestamptz)";
        String expected = digest(source, "w3");
        for (int round = 1; round <= runs; round++) {
            for (String contender : order(round)) {
                sql(target, targetDdl);
                record(measure("W3", contender, round, topic, "w3", "SELECT EXISTS (SELECT 1 FROM w3 WHERE id = 0)", expected));
            }
        }
    }

    private void preloadW3(int rows) throws Exception {
        String topic = topicFor("w3");
        sql(source, "CREATE TABLE w3 (id bigint PRIMARY KEY, account int NOT NULL, amount numeric(14,2), status text, updated_at timestamptz)");
        sql(source, "INSERT INTO w3 SELECT i, i % 1000, i * 1.01, 'new', '2026-01-01' FROM generate_series(1, " + rows + ") i");
        startSource("w3");
        waitForTopic(topic, rows);
        // The changes, in source transactions of 1,000 changes, interleaved.
        int changes = rows;
        long nextId = rows + 1L;
        try (Connection c = Services.open(source); Statement st = c.createStatement()) {
            java.util.Random random = new java.util.Random(42);
            StringBuilder tx = new StringBuilder("BEGIN;");
            for (int i = 0; i < changes; i++) {
                int dice = random.nextInt(10);
                long id = 1 + random.nextInt(rows);
                if (dice < 7) {
                    tx.append("UPDATE w3 SET amount = amount + 1, status = 'upd").append(i % 5).append("', updated_at = now() WHERE id = ").append(id).append(';');
                } else if (dice < 9) {
                    tx.append("INSERT INTO w3 VALUES (").append(nextId++).append(", 7, 1.5, 'ins', now());");
                } else {
                    tx.append("DELETE FROM w3 WHERE id = ").append(id).append(';');
                }
                if (i % 1000 == 999) {
                    st.execute(tx.append("COMMIT;").toString());
                    tx = new StringBuilder("BEGIN;");
                }
            }
            st.execute(tx.append("COMMIT;").toString());
            // The last change: a marker row that tells a run it has seen everything.
            st.execute("INSERT INTO w3 VALUES (0, 0, 0, 'marker', now())");
        }
        // Measure only once Debezium has put every change in the topic.
        long events = endOffset(topic);
        for (long previous = -1; previous != events; ) {
            Thread.sleep(5000);
            previous = events;
            events = endOffset(topic);
        }
        log("W3 topic holds %,d records", events);
    }

    // ------------------------------------------------------------------------------------------- measuring

    private Run measure(String workload, String contender, int round, String topic, String table, String doneQuery, String expected)
            throws Exception {
        // Unique per invocation: with --reuse, an earlier invocation's consumer groups and stored offsets must not count.
        String name = "bench-" + workload.toLowerCase(Locale.ROOT) + "-" + contender + "-" + round + "-" + SESSION;
        double connect0 = Cpu.seconds(pid("connect"), false);
        double target0 = Cpu.seconds(pid("target"), true);
        long t0 = System.nanoTime();
        connect.put(name, contender.equals(OURS) ? Contenders.ours(target, topic) : Contenders.peer(target, topic, table));
        try (Connection c = Services.open(target); Statement st = c.createStatement()) {
            while (true) {
                try (ResultSet rs = st.executeQuery(doneQuery)) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        break;
                    }
                } catch (java.sql.SQLException notYet) {
                    // The JDBC sink may lock the table while it writes; ask again.
                }
                failIfFailed(name);
                if (System.nanoTime() - t0 > Duration.ofMinutes(20).toNanos()) {
                    throw new IllegalStateException(name + " did not finish within 20 minutes");
                }
                Thread.sleep(250);
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double connectCpu = Cpu.seconds(pid("connect"), false) - connect0;
        double targetCpu = Cpu.seconds(pid("target"), true) - target0;
        connect.delete(name);
        String actual = digest(target, table);
        Run run = new Run(workload, contender, round, seconds, connectCpu, targetCpu, endOffset(topic), actual.equals(expected));
        log("%s %-13s round %d: %6.1f s, Connect CPU %5.1f s, target CPU %5.1f s, %,d records, digest %s", workload, contender, round, seconds,
                connectCpu, targetCpu, run.records(), run.equal() ? "equal" : "DIFFERENT (" + actual + " vs " + expected + ")");
        return run;
    }

    // --------------------------------------------------------------------------------------------- helpers

    private String preload(String table, long rows) throws Exception {
        String topic = topicFor(table);
        startSource(table);
        waitForTopic(topic, rows);
        return topic;
    }

    private String topicFor(String table) {
        return "benchsink.public." + table;
    }

    private void startSource(String table) {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.class", "io.tsmigrate.source.ExactPostgresConnector");
        c.put("database.hostname", source.host());
        c.put("database.port", Integer.toString(source.port()));
        c.put("database.user", source.user());
        c.put("database.password", source.password());
        c.put("database.dbname", source.database());
        c.put("topic.prefix", "benchsink");
        c.put("plugin.name", "pgoutput");
        c.put("slot.name", "bench_" + table);
        c.put("publication.name", "bench_" + table);
        c.put("publication.autocreate.mode", "filtered");
        c.put("table.include.list", "public." + table);
        // Debezium's default (precise) decimals: the JDBC sink binds string decimals as varchar and fails on numeric columns.
        c.put("decimal.handling.mode", "precise");
        c.put("snapshot.fetch.size", "20000");
        c.put("max.batch.size", "20480");
        c.put("max.queue.size", "81920");
        // As connectors/*.json ship it: no context headers (neither sink reads them; Connect converts each one).
        c.put("extended.headers.enabled", "false");
        // The producer as connectors/source-postgres.json ships it (lz4-compressed batches of up to 1 MiB).
        TestDatabases.shippedSettings("source-postgres").forEach((k, v) -> {
            if (k.startsWith("producer.override.")) {
                c.put(k, v);
            }
        });
        Args.putSettings("bench.producer", "producer.override.", c);
        connect.put("bench-source-" + table, c);
        connect.awaitRunning("bench-source-" + table, Duration.ofMinutes(2));
    }

    private void waitForTopic(String topic, long records) throws Exception {
        long t0 = System.nanoTime();
        while (endOffset(topic) < records) {
            if (System.nanoTime() - t0 > Duration.ofMinutes(20).toNanos()) {
                throw new IllegalStateException("topic " + topic + " did not reach " + records + " records");
            }
            Thread.sleep(1000);
        }
        log("topic %s preloaded with %,d records in %.0f s", topic, endOffset(topic), (System.nanoTime() - t0) / 1e9);
    }

    private long endOffset(String topic) throws Exception {
        Properties p = new Properties();
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, services.kafkaBootstrap());
        try (Admin admin = Admin.create(p)) {
            TopicPartition tp = new TopicPartition(topic, 0);
            try {
                return admin.listOffsets(Map.of(tp, OffsetSpec.latest())).all().get().get(tp).offset();
            } catch (java.util.concurrent.ExecutionException noTopicYet) {
                return 0;
            }
        }
    }

    private void failIfFailed(String name) {
        com.fasterxml.jackson.databind.JsonNode status;
        try {
            status = connect.status(name);
        } catch (IllegalStateException notStartedYet) {
            return;
        }
        for (var task : status.path("tasks")) {
            if ("FAILED".equals(task.path("state").asText())) {
                throw new IllegalStateException(name + " failed: " + task.path("trace").asText());
            }
        }
    }

    private long pid(String service) throws Exception {
        return Cpu.pid(runDir, service);
    }

    private static String digest(PgEndpoint db, String table) throws Exception {
        try (Connection c = Services.open(db)) {
            return Digest.table(c, "public", table, columns(table));
        }
    }

    private static List<String> columns(String table) {
        return switch (table) {
            case "w1" -> List.of("ts", "device_id", "v1", "v2", "v3", "v4", "tag");
            case "w3" -> List.of("id", "account", "amount", "status", "updated_at");
            default -> List.of();
        };
    }

    private static String queryString(PgEndpoint db, String query) throws Exception {
        try (Connection c = Services.open(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            rs.next();
            return rs.getString(1);
        }
    }

    private static void sql(PgEndpoint db, String statement) throws Exception {
        try (Connection c = Services.open(db); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    private void record(Run run) {
        results.computeIfAbsent(run.workload(), k -> new ArrayList<>()).add(run);
        if (!run.equal()) {
            throw new IllegalStateException(run + ": the target differs from the source");
        }
    }

    private String report() throws java.sql.SQLException {
        StringBuilder sb = new StringBuilder();
        // What a sceptic asks first: was the target durable, and how was the worker run.
        try (Connection c = Services.open(services.target()); Statement st = c.createStatement();
             java.sql.ResultSet rs = st.executeQuery("SELECT string_agg(name || '=' || current_setting(name), ', ' ORDER BY name) FROM pg_settings "
                     + "WHERE name IN ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_wal_size', 'wal_level', 'checkpoint_timeout')")) {
            rs.next();
            sb.append("Target: ").append(rs.getString(1)).append("\n\n");
        }
        sb.append("Worker JVM: ").append(System.getenv().getOrDefault("TSMIGRATE_CONNECT_JVM_OPTS", "services.sh default"))
                .append("; offset.flush.interval.ms=").append(System.getenv().getOrDefault("TSMIGRATE_CONNECT_OFFSET_FLUSH_MS", "2000")).append("\n\n");
        sb.append("| workload | contender | runs (s) | median (s) | records/s | Connect CPU (s, median) | target CPU (s, median) | digest |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        for (var e : results.entrySet()) {
            Map<String, Double> medians = new LinkedHashMap<>();
            for (String contender : contenders) {
                List<Run> runs = e.getValue().stream().filter(r -> r.contender().equals(contender)).toList();
                double median = Stats.median(runs.stream().map(Run::seconds).toList());
                medians.put(contender, median);
                long rows = runs.isEmpty() ? 0 : runs.get(0).records();
                sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %.1f | %,.0f | %.1f | %.1f | %s |%n", e.getKey(), contender,
                        String.join(", ", runs.stream().map(r -> String.format(Locale.ROOT, "%.1f", r.seconds())).toList()), median,
                        rows / median, Stats.median(runs.stream().map(Run::connectCpu).toList()),
                        Stats.median(runs.stream().map(Run::targetCpu).toList()), runs.stream().allMatch(Run::equal) ? "equal" : "DIFFERENT"));
            }
            if (contenders.size() == 2) {
                sb.append(String.format(Locale.ROOT, "| %s | ratio | %s is %.1f× faster (median) | | | | | |%n", e.getKey(), OURS,
                        medians.get(PEER) / medians.get(OURS)));
            }
        }
        return sb.toString();
    }

    private static void log(String format, Object... args) {
        System.out.printf(Locale.ROOT, "[bench] " + format + "%n", args);
    }
}

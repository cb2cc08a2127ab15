package io.tsmigrate.sink;

import io.tsmigrate.json.ExactJsonConverter;
import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.TestDatabases;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The real pipeline for one test class: Debezium's PostgreSQL connector on the class's source database
 * and this project's sink on its target database, both registered through the Connect REST API.
 */
final class Pipeline implements AutoCloseable {

    final TestDatabases dbs;
    final String prefix;
    final String sourceName;
    final String sinkName;

    Pipeline(TestDatabases dbs, String suffix) {
        this.dbs = dbs;
        this.prefix = "p" + suffix + "_" + dbs.name();
        this.sourceName = "src-" + suffix + "-" + dbs.name();
        this.sinkName = "sink-" + suffix + "-" + dbs.name();
    }

    /**
     * The shipped template's Debezium settings (exact values, transaction metadata, source types, tsmigrate's
     * converter for arrays and PostGIS, ...) on this class's databases; tests here create their own tables, so
     * Debezium makes the publication and, unless a test says otherwise, snapshots what is already there.
     */
    Map<String, String> sourceConfig() {
        Map<String, String> c = dbs.debeziumSource(prefix, "slot_" + prefix.replaceAll("[^a-z0-9_]", "_"));
        Map<String, String> shipped = TestDatabases.shippedSourceSettings();
        shipped.keySet().removeAll(List.of("snapshot.mode", "publication.autocreate.mode"));
        c.putAll(shipped);
        c.put("topic.creation.default.replication.factor", "1");
        c.put("schema.include.list", "public");
        return c;
    }

    Map<String, String> sinkConfig() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("connector.class", TimescaleSinkConnector.class.getName());
        c.put("tasks.max", "1");
        c.put("topics.regex", java.util.regex.Pattern.quote(prefix) + "\\.public\\..*");
        c.put("connection.url", dbs.target().jdbcUrl());
        c.put("value.converter", ExactJsonConverter.class.getName());
        c.put("key.converter", ExactJsonConverter.class.getName());
        // The sink reads no headers: do not parse them.
        c.put("header.converter", "org.apache.kafka.connect.converters.ByteArrayConverter");
        c.put("flush.interval.ms", "200");
        c.put("consumer.override.auto.offset.reset", "earliest");
        c.put("consumer.override.max.poll.records", "1000");
        // Topics appear as Debezium meets tables; let the regex subscription see them within a second.
        c.put("consumer.override.metadata.max.age.ms", "1000");
        return c;
    }

    void startSource(Map<String, String> config) {
        dbs.registerConnector(sourceName, config);
        dbs.services().connect().awaitRunning(sourceName, Duration.ofSeconds(120));
    }

    void startSink(Map<String, String> config) {
        dbs.registerConnector(sinkName, config);
        dbs.services().connect().awaitRunning(sinkName, Duration.ofSeconds(120));
    }

    void start() {
        startSource(sourceConfig());
        startSink(sinkConfig());
    }

    void stop() {
        dbs.services().connect().delete(sinkName);
        dbs.services().connect().delete(sourceName);
    }

    /**
     * Stops both connectors, also when the test failed: tests of one class share tables, and a pipeline left
     * running would write into the next test's.
     */
    @Override
    public void close() {
        try {
            stop();
        } catch (RuntimeException e) {
            System.out.println("[Pipeline] could not stop " + sinkName + " and " + sourceName + ": " + e.getMessage());
        }
    }

    /** Runs statements on the source, each in its own transaction. */
    void source(String... statements) throws SQLException {
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    void target(String... statements) throws SQLException {
        try (Connection c = dbs.openTarget(); Statement st = c.createStatement()) {
            for (String s : statements) {
                st.execute(s);
            }
        }
    }

    /** A value far beyond the TOAST threshold and not compressible, so it is stored out of line. */
    static final String TOASTED = "(SELECT string_agg(md5(random()::text || g::text), '') FROM generate_series(1, 400) g)";

    /**
     * Table {@code docs} on both sides, {@code rows} rows with TOASTed text, jsonb, bytea and array values on the
     * source, then {@code updates} (Debezium sends the values an update leaves unchanged as placeholders).
     */
    void toastedDocs(int rows, String... updates) throws SQLException {
        both("CREATE TABLE docs (id int PRIMARY KEY, body text, meta jsonb, blob bytea, tags text[], n int)");
        source("INSERT INTO docs SELECT i, " + TOASTED + ", jsonb_build_object('k', " + TOASTED + "), convert_to(" + TOASTED + ", 'UTF8'), "
                + "ARRAY[" + TOASTED + ", 'x'], i FROM generate_series(1, " + rows + ") i");
        source(updates);
    }

    /** Runs DDL on both sides (the bootstrap's job in a real migration). */
    void both(String... statements) throws SQLException {
        source(statements);
        target(statements);
    }

    /**
     * Waits until each table's ordered digest on the target equals the source's, then asserts it, so a
     * failure shows both digests. Columns are compared in the source's order.
     */
    void awaitEqual(Duration timeout, String... tables) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        Map<String, String> src = Map.of();
        Map<String, String> tgt = Map.of();
        while (Instant.now().isBefore(deadline)) {
            src = digests(true, tables);
            try {
                tgt = digests(false, tables);
            } catch (SQLException notYet) {
                // A column the sink has yet to add, say.
                tgt = Map.of("error", String.valueOf(notYet.getMessage()));
            }
            if (src.equals(tgt)) {
                break;
            }
            assertSinkNotFailed();
            Thread.sleep(500);
        }
        if (!src.equals(tgt)) {
            StringBuilder diff = new StringBuilder();
            for (String t : tables) {
                diff.append(rowDiff(t));
                dumpTopic(t);
            }
            assertThat(tgt).as("target digests (rows:md5) equal the source's; differing rows:%n%s", diff).isEqualTo(src);
        }
    }

    /** Waits until {@code query} gives {@code expected} on the target. */
    void awaitTarget(Duration timeout, String query, String expected) throws Exception {
        Instant deadline = Instant.now().plus(timeout);
        String got = null;
        while (Instant.now().isBefore(deadline)) {
            try (Connection c = dbs.openTarget()) {
                got = one(c, query);
            }
            if (expected.equals(got)) {
                return;
            }
            assertSinkNotFailed();
            Thread.sleep(200);
        }
        assertThat(got).as("on the target: %s", query).isEqualTo(expected);
    }

    /** Writes the table's change topic to target/failed-topics/, to tell a loss in Kafka from one in the sink. */
    private void dumpTopic(String table) {
        String topic = prefix + ".public." + table;
        java.nio.file.Path file = java.nio.file.Path.of("target", "failed-topics", topic + ".tsv");
        try {
            io.tsmigrate.testkit.TopicReader.dump(dbs.services().kafkaBootstrap(), topic, file);
            System.out.println("[Pipeline] topic " + topic + " written to " + file.toAbsolutePath());
        } catch (Exception e) {
            System.out.println("[Pipeline] could not dump topic " + topic + ": " + e);
        }
    }

    /** The rows that differ, by the table's first column, with each differing column's text on both sides. */
    String rowDiff(String table) {
        try (Connection s = dbs.openSource(); Connection t = dbs.openTarget()) {
            List<String> cols = columns(s, table);
            if (!hasKey(s, table)) {
                return multisetDiff(s, t, table);
            }
            Map<String, List<String>> a = rows(s, table, cols);
            Map<String, List<String>> b = rows(t, table, cols);
            StringBuilder out = new StringBuilder();
            java.util.Set<String> keys = new java.util.TreeSet<>(a.keySet());
            keys.addAll(b.keySet());
            for (String k : keys) {
                List<String> ra = a.get(k);
                List<String> rb = b.get(k);
                if (ra == null || rb == null) {
                    out.append(table).append(" row ").append(k).append(ra == null ? " only on the target" : " only on the source").append('\n');
                    continue;
                }
                for (int i = 0; i < cols.size(); i++) {
                    if (!java.util.Objects.equals(ra.get(i), rb.get(i))) {
                        out.append(table).append(" row ").append(k).append(" column ").append(cols.get(i)).append(": source ")
                                .append(ra.get(i)).append(" / target ").append(rb.get(i)).append('\n');
                    }
                }
            }
            return out.toString();
        } catch (SQLException e) {
            return "(no row diff: " + e.getMessage() + ")\n";
        }
    }

    private static boolean hasKey(Connection c, String table) throws SQLException {
        try (var st = c.prepareStatement("SELECT 1 FROM pg_index WHERE indisprimary AND indrelid = ('public.' || quote_ident(?))::regclass")) {
            st.setString(1, table);
            try (var rs = st.executeQuery()) {
                return rs.next();
            }
        }
    }

    /** For a table without a key: the rows whose number of copies differs, with both counts (first 20). */
    private static String multisetDiff(Connection s, Connection t, String table) throws SQLException {
        Map<String, Long> a = counts(s, table);
        Map<String, Long> b = counts(t, table);
        java.util.Set<String> rows = new java.util.TreeSet<>(a.keySet());
        rows.addAll(b.keySet());
        StringBuilder out = new StringBuilder();
        int shown = 0;
        for (String r : rows) {
            long x = a.getOrDefault(r, 0L);
            long y = b.getOrDefault(r, 0L);
            if (x != y && shown++ < 20) {
                out.append(table).append(' ').append(r).append(": source ").append(x).append(" / target ").append(y).append('\n');
            }
        }
        return out.toString();
    }

    private static Map<String, Long> counts(Connection c, String table) throws SQLException {
        Map<String, Long> out = new java.util.HashMap<>();
        try (Statement st = c.createStatement();
                var rs = st.executeQuery("SELECT tsm_row_::text, count(*) FROM public." + TestDatabases.quote(table) + " tsm_row_ GROUP BY 1")) {
            while (rs.next()) {
                out.put(rs.getString(1), rs.getLong(2));
            }
        }
        return out;
    }

    private static Map<String, List<String>> rows(Connection c, String table, List<String> cols) throws SQLException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        String select = String.join(", ", cols.stream().map(col -> TestDatabases.quote(col) + "::text").toList());
        try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT " + select + " FROM public." + TestDatabases.quote(table))) {
            while (rs.next()) {
                List<String> row = new java.util.ArrayList<>();
                for (int i = 1; i <= cols.size(); i++) {
                    row.add(rs.getString(i));
                }
                out.put(row.get(0), row);
            }
        }
        return out;
    }

    /** Waits for the sink task to fail and returns its trace ("" when it did not fail in time). */
    String awaitSinkFailure(Duration timeout) throws InterruptedException {
        java.time.Instant deadline = java.time.Instant.now().plus(timeout);
        while (java.time.Instant.now().isBefore(deadline)) {
            String trace = failedTrace(sinkName);
            if (trace != null) {
                return trace;
            }
            Thread.sleep(300);
        }
        return "";
    }

    /** The first column of the first row of a query, or null. */
    static String one(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); var rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    void assertSinkNotFailed() {
        String trace = failedTrace(sinkName);
        if (trace != null) {
            throw new AssertionError("sink task failed: " + trace);
        }
    }

    void assertSourceNotFailed() {
        String trace = failedTrace(sourceName);
        if (trace != null) {
            throw new AssertionError("source task failed: " + trace);
        }
    }

    /** The trace of a FAILED task of a connector, or null (running, not started yet, or the worker is down in a fault test). */
    private String failedTrace(String connector) {
        try {
            for (var task : dbs.services().connect().status(connector).path("tasks")) {
                if ("FAILED".equals(task.path("state").asText())) {
                    return task.path("trace").asText();
                }
            }
        } catch (IllegalStateException notReachable) {
            // 404 until the worker has started the connector; no answer while it restarts.
        }
        return null;
    }

    Map<String, String> digests(boolean source, String... tables) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        try (Connection s = dbs.openSource(); Connection c = source ? s : dbs.openTarget()) {
            for (String t : tables) {
                List<String> cols = columns(s, t);
                out.put(t, Digest.table(c, "public", t, cols));
            }
        }
        return out;
    }

    static List<String> columns(Connection c, String table) throws SQLException {
        List<String> cols = new java.util.ArrayList<>();
        try (var ps = c.prepareStatement("SELECT attname FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum")) {
            ps.setString(1, TestDatabases.quote("public") + "." + TestDatabases.quote(table));
            try (var rs = ps.executeQuery()) {
                while (rs.next()) {
                    cols.add(rs.getString(1));
                }
            }
        }
        return cols;
    }
}

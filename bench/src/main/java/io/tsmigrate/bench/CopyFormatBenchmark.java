package io.tsmigrate.bench;

import io.tsmigrate.sink.buffer.Pending;
import io.tsmigrate.sink.sql.Column;
import io.tsmigrate.sink.sql.CopyBinary;
import io.tsmigrate.sink.sql.CopyText;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * The sink's write-path choices, measured (issue 3): text or binary COPY, straight into the hypertable or
 * through a staging table and {@code INSERT … SELECT}. W1's rows (1,000,000 by default) are held in memory
 * as the sink holds them after reading Debezium's records (cells of PostgreSQL text: the timestamp as Debezium's ISO
 * string, doubles as their shortest text), then encoded by the sink's own encoders ({@link CopyText},
 * {@link CopyBinary}) and written in transactions of 2,500 rows like the sink's batches, into a fresh
 * hypertable with 1-hour chunks. Variants alternate; each run reports wall time, the client thread's CPU
 * (encoding and sending) and the target's CPU, and must leave the same table digest.
 *
 * <pre>
 * TSMIGRATE_RUN_DIR=$PWD/target/bench-services mvn -q -o -pl bench exec:java \
 *   -Dbench.main=io.tsmigrate.bench.CopyFormatBenchmark -Dexec.args="--rows 1000000 --runs 3"
 * </pre>
 */
public final class CopyFormatBenchmark {

    private static final int BATCH = 2_500;
    private static final String COLUMNS = "ts, device_id, v1, v2, v3, v4, tag";
    private static final DateTimeFormatter DEBEZIUM_ZONED = DateTimeFormatter.ISO_OFFSET_DATE_TIME;
    private static final List<Integer> ALL = List.of(0, 1, 2, 3, 4, 5, 6);
    private static final CopyBinary.Kind[] KINDS = CopyBinary.kinds(List.of(column("ts", "timestamptz"), column("device_id", "int4"),
            column("v1", "float8"), column("v2", "float8"), column("v3", "float8"), column("v4", "float8"), column("tag", "text")));

    private record Run(String variant, double seconds, double clientCpu, double targetCpu, String digest) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = Args.parse(Map.of("--rows", "1000000", "--runs", "3", "--out", "bench/target/results"), args);
        int rows = Integer.parseInt(opts.get("--rows"));
        int runs = Integer.parseInt(opts.get("--runs"));
        Services services = Services.get();
        Path runDir = services.natives().orElseThrow(() -> new IllegalStateException("the benchmark needs the native services")).runDir();
        long targetPid = Cpu.pid(runDir, "target");
        try (Connection c = Services.open(services.target()); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS bench_copy WITH (FORCE)");
            st.execute("CREATE DATABASE bench_copy");
        }
        PgEndpoint target = services.target().withDatabase("bench_copy");
        List<Pending> data = generate(rows);
        List<String> variants = List.of("text-direct", "binary-direct", "text-staged", "binary-staged");
        List<Run> results = new ArrayList<>();
        try (Connection c = Services.open(target)) {
            try (Statement st = c.createStatement()) {
                st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
            }
            c.setAutoCommit(false);
            for (int round = 1; round <= runs; round++) {
                List<String> order = new ArrayList<>(variants);
                java.util.Collections.rotate(order, round - 1);
                for (String variant : order) {
                    Run run = measure(c, variant, data, targetPid);
                    results.add(run);
                    System.out.printf(Locale.ROOT, "[bench] %-14s round %d: %5.1f s, client CPU %5.1f s, target CPU %5.1f s, digest %s%n",
                            variant, round, run.seconds(), run.clientCpu(), run.targetCpu(), run.digest());
                }
            }
        }
        long digests = results.stream().map(Run::digest).distinct().count();
        if (digests != 1) {
            throw new IllegalStateException("the variants left different tables: " + results);
        }
        StringBuilder sb = new StringBuilder();
        sb.append("| variant | runs (s) | median (s) | rows/s | client CPU (s, median) | target CPU (s, median) |\n|---|---|---|---|---|---|\n");
        for (String v : variants) {
            List<Run> rs = results.stream().filter(r -> r.variant().equals(v)).toList();
            double median = Stats.median(rs.stream().map(Run::seconds).toList());
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %,.0f | %.1f | %.1f |%n", v,
                    String.join(", ", rs.stream().map(r -> String.format(Locale.ROOT, "%.1f", r.seconds())).toList()), median, rows / median,
                    Stats.median(rs.stream().map(Run::clientCpu).toList()), Stats.median(rs.stream().map(Run::targetCpu).toList())));
        }
        sb.append("\nEvery run left the same table (digest ").append(results.get(0).digest()).append(").\n");
        Path out = Path.of(opts.get("--out"));
        Files.createDirectories(out);
        Files.writeString(out.resolve("copy-format-benchmark.md"), sb.toString());
        System.out.println(sb);
        System.exit(0);
    }

    private static List<Pending> generate(int rows) {
        Random random = new Random(7);
        List<Pending> data = new ArrayList<>(rows);
        Instant start = Instant.parse("2026-01-01T00:00:00Z");
        String ts = null;
        for (int i = 0; i < rows; i++) {
            // Debezium's ZonedTimestamp: an ISO string with the offset, as the sink receives it (the same String for
            // rows of the same second, as the sink's reader hands it over).
            if (i % 100 == 0) {
                ts = DEBEZIUM_ZONED.format(OffsetDateTime.ofInstant(start.plusSeconds(i / 100), ZoneOffset.UTC));
            }
            data.add(new Pending(new String[]{ts, Integer.toString(i % 100), text(random.nextDouble() * 100), text(random.nextDouble() * 1000),
                    text(random.nextDouble()), text(i * 0.5), "tag-" + (i % 37)}, false, true, null));
        }
        return data;
    }

    private static String text(double d) {
        return com.fasterxml.jackson.core.io.NumberOutput.toString(d, true);
    }

    private static Column column(String name, String type) {
        return new Column(name, type, type, 'X', false, false, false);
    }

    private static Run measure(Connection c, String variant, List<Pending> data, long targetPid) throws Exception {
        boolean binary = variant.startsWith("binary");
        boolean staged = variant.endsWith("staged");
        try (Statement st = c.createStatement()) {
            st.execute("DROP TABLE IF EXISTS w1; CREATE TABLE w1 (ts timestamptz NOT NULL, device_id int NOT NULL, v1 double precision, "
                    + "v2 double precision, v3 double precision, v4 double precision, tag text, PRIMARY KEY (device_id, ts)); "
                    + "SELECT create_hypertable('w1', by_range('ts', INTERVAL '1 hour'))");
            st.execute("CREATE TEMP TABLE IF NOT EXISTS w1_stage (LIKE w1) ON COMMIT DELETE ROWS");
            st.execute("CHECKPOINT");
            c.commit();
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        double target0 = Cpu.seconds(targetPid, true);
        long cpu0 = threads.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        String into = staged ? "w1_stage" : "w1";
        String copySql = "COPY " + into + " (" + COLUMNS + ") FROM STDIN" + (binary ? " WITH (FORMAT binary)" : "");
        var copy = c.unwrap(PGConnection.class).getCopyAPI();
        for (int from = 0; from < data.size(); from += BATCH) {
            List<Pending> batch = data.subList(from, Math.min(data.size(), from + BATCH));
            CopyIn in = copy.copyIn(copySql);
            if (binary) {
                CopyBinary.Encoded bytes = CopyBinary.encode(batch, new int[]{0, 1, 2, 3, 4, 5, 6}, KINDS);
                in.writeToCopy(bytes.bytes(), 0, bytes.length());
            } else {
                CopyText.writeRows(batch, ALL, null, in::writeToCopy);
            }
            in.endCopy();
            if (staged) {
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("INSERT INTO w1 (" + COLUMNS + ") SELECT " + COLUMNS + " FROM w1_stage ORDER BY ts");
                }
            }
            c.commit();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double clientCpu = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
        double targetCpu = Cpu.seconds(targetPid, true) - target0;
        String digest;
        try (Statement st = c.createStatement(); var rs = st.executeQuery("SELECT md5(string_agg(w1::text, '|' ORDER BY device_id, ts)) FROM w1")) {
            rs.next();
            digest = rs.getString(1);
        }
        c.commit();
        return new Run(variant, seconds, clientCpu, targetCpu, digest);
    }

}

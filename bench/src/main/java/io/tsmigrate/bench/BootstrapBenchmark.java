package io.tsmigrate.bench;

import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The bootstrap benchmark: a source of about 2 GB over 10 tables (one time-series table holding about 70% of it,
 * every table with a primary key and a secondary index) copied into an empty target database by three contenders,
 * alternating, several runs each: this project's bootstrap as the {@code tsmigrate bootstrap} command, in a JVM of
 * its own (into a hypertable); {@code pgcopydb clone --table-jobs 2 --index-jobs 2} (plain tables;
 * {@code pgcopydb-split}: also {@code --split-tables-larger-than 1GB}); and {@code pg_dump -Fd -j2} +
 * {@code pg_restore -j2} + ANALYZE. Each clock stops when data, indexes, constraints and ANALYZE are all done. Every
 * run ends with each target table's content digest equal to the source's.
 *
 * <p>Run: see docs/benchmarks.md. Arguments: {@code --runs N --metrics-rows N --other-rows N
 * --only ours,pgcopydb,pgcopydb-split,pgdump}.
 */
public final class BootstrapBenchmark {

    private final String db;
    /** A TimescaleDB source: metrics a hypertable, most of its chunks compressed (--source timescaledb). */
    private final boolean compressed;
    private final PgEndpoint source;
    private final PgEndpoint targetServer;
    private final Path pgBin;
    private final Path chroot;
    /** The local services' run directory (their pid files), for CPU per process. */
    private final Path runDir;
    private final List<Run> runs = new ArrayList<>();

    /** One run: its wall-clock seconds, CPU seconds of the source and target servers and of the tool, and its digests. */
    record Run(String contender, int round, double seconds, double sourceCpu, double targetCpu, double toolCpu, boolean equal) {
    }

    private BootstrapBenchmark(Services services, boolean compressed) {
        this.compressed = compressed;
        this.db = compressed ? "bench_boot_ts" : "bench_boot";
        this.source = services.source().withDatabase(db);
        this.targetServer = services.target();
        this.pgBin = services.pgBin().orElseThrow(() -> new IllegalStateException("the benchmark needs the native services' client tools"));
        NativeServices natives = services.natives().orElseThrow(() -> new IllegalStateException("the benchmark needs the native services"));
        this.runDir = natives.runDir();
        // No contender uses Kafka or Connect; the test kit starts them with the databases, and their start-up (JIT
        // compilation, log recovery) would fall into the first round. Stopped, every round runs on a quiet machine.
        natives.stop("connect");
        natives.stop("kafka");
        this.chroot = Path.of(System.getenv().getOrDefault("TSMIGRATE_CACHE", System.getProperty("user.home") + "/.cache/tsmigrate"), "debian-trixie");
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = Args.parse(Map.of("--runs", "3", "--metrics-rows", "9000000", "--other-rows", "500000",
                "--out", "bench/target/results", "--only", "ours,pgcopydb,pgdump", "--source", "postgres"), args);
        BootstrapBenchmark b = new BootstrapBenchmark(Services.get(), opts.get("--source").equals("timescaledb"));
        b.seed(Long.parseLong(opts.get("--metrics-rows")), Long.parseLong(opts.get("--other-rows")));
        Map<String, String> expected = digests(b.source);
        if (b.compressed) {
            expected.put("compressed chunks of metrics", compressedChunks(b.source));
        }
        List<String> contenders = List.of(opts.get("--only").split(","));
        int n = Integer.parseInt(opts.get("--runs"));
        for (int round = 1; round <= n; round++) {
            for (String c : contenders) {
                b.runs.add(b.run(c, round, expected));
            }
        }
        Path out = Path.of(opts.get("--out"));
        Files.createDirectories(out);
        String report = b.report(contenders);
        String name = b.compressed ? "bootstrap-compressed-benchmark" : "bootstrap-benchmark";
        Files.writeString(out.resolve(name + ".md"), report);
        Charts.bars(b.compressed ? "Bootstrap: TimescaleDB source, mostly compressed, to target (median, lower is better)"
                : "Bootstrap: 2 GB source to target, done with indexes and ANALYZE (median, lower is better)", "contender", "seconds",
                b.medians(contenders), out.resolve(name + ".png"));
        System.out.println(report);
        System.exit(b.runs.stream().allMatch(Run::equal) ? 0 : 1);
    }

    /** The source database, made once and kept (a marker table records its size parameters). */
    private void seed(long metricsRows, long otherRows) throws Exception {
        String marker = metricsRows + "/" + otherRows + (compressed ? "/compressed" : "");
        try (Connection c = Services.open(source.withDatabase("postgres")); Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '" + db + "'")) {
                if (rs.next()) {
                    if (marker.equals(rs.getString(1))) {
                        System.out.println("source " + db + " exists (" + marker + ")");
                        return;
                    }
                    st.execute("DROP DATABASE " + db + " WITH (FORCE)");
                }
            }
            st.execute("CREATE DATABASE " + db);
        }
        long t0 = System.nanoTime();
        try (Connection s = Services.open(source); Statement st = s.createStatement()) {
            st.execute("CREATE TABLE metrics (ts timestamptz NOT NULL, device_id int NOT NULL, a double precision, b double precision, "
                    + "c double precision, d double precision, tag text, PRIMARY KEY (device_id, ts))");
            if (compressed) {
                st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
                st.execute("SELECT create_hypertable('metrics', by_range('ts', INTERVAL '1 day'))");
            }
            st.execute("INSERT INTO metrics SELECT '2026-01-01'::timestamptz + (i / 10) * INTERVAL '1 second', i % 10, i * 0.5, random(), random() * 100, "
                    + "-i, 'tag-' || (i % 1000) || '-abcdef' FROM generate_series(1, " + metricsRows + ") i");
            st.execute("CREATE INDEX metrics_ts ON metrics (ts)");
            for (int t = 1; t <= 9; t++) {
                st.execute("CREATE TABLE orders_" + t + " (id bigint PRIMARY KEY, customer int NOT NULL, amount numeric(12,2) NOT NULL, "
                        + "created timestamptz NOT NULL, note text)");
                st.execute("INSERT INTO orders_" + t + " SELECT i, i % 5000, (i % 100000) / 100.0, '2025-01-01'::timestamptz + i * INTERVAL '1 minute', "
                        + "'order ' || i || ' for customer ' || (i % 5000) || ' shipped' FROM generate_series(1, " + otherRows + ") i");
                st.execute("CREATE INDEX orders_" + t + "_customer ON orders_" + t + " (customer)");
            }
            if (compressed) {
                // Nine of every ten days compressed, as a TimescaleDB database with a compression policy keeps them.
                st.execute("ALTER TABLE metrics SET (timescaledb.compress, timescaledb.compress_segmentby = 'device_id', "
                        + "timescaledb.compress_orderby = 'ts')");
                st.execute("SELECT count(compress_chunk(c)) FROM (SELECT c, row_number() OVER (ORDER BY c) n, count(*) OVER () total "
                        + "FROM show_chunks('metrics') c) x WHERE n <= total * 9 / 10");
            }
            st.execute("VACUUM ANALYZE");
            st.execute("COMMENT ON DATABASE " + db + " IS '" + marker + "'");
            try (ResultSet rs = st.executeQuery("SELECT pg_size_pretty(pg_database_size(current_database())), "
                    + "pg_size_pretty(pg_total_relation_size('metrics'))")) {
                rs.next();
                System.out.printf("source %s seeded in %.0f s: %s, metrics %s%n", db, (System.nanoTime() - t0) / 1e9, rs.getString(1), rs.getString(2));
            }
        }
    }

    private Run run(String contender, int round, Map<String, String> expected) throws Exception {
        PgEndpoint target = targetServer.withDatabase("bench_boot_" + contender.replace('-', '_'));
        boolean ours = contender.startsWith("ours");
        recreateTarget(target, compressed && !ours);
        if (ours) {
            dropSlot(); // one an interrupted run left
        }
        long self = ProcessHandle.current().pid();
        // Servers with their backends; the tool: this JVM with its reaped children (tsmigrate's JVM and its pg_dump
        // and psql, pgcopydb, pg_dump and pg_restore).
        double source0 = Cpu.seconds(Cpu.pid(runDir, "source"), true);
        double target0 = Cpu.seconds(Cpu.pid(runDir, "target"), true);
        double tool0 = Cpu.seconds(self, true);
        long t0 = System.nanoTime();
        switch (contender) {
            case "ours" -> ours(target, true);
            // Ours with a TimescaleDB source's compressed chunks decompressed and compressed again (--decompress-chunks).
            case "ours-decompress" -> ours(target, false);
            // pgcopydb's way for a big table: copied in parts by several jobs (the issue's command line).
            case "pgcopydb-split" -> tool(List.of(pgBin.resolve("pgcopydb").toString(), "clone", "--source", uri(source), "--target", uri(target),
                    "--table-jobs", "2", "--index-jobs", "2", "--split-tables-larger-than", "1GB", "--dir", "/tmp/bench-pgcopydb"), "pgcopydb");
            case "pgcopydb" -> {
                if (compressed) {
                    // pgcopydb 0.18 has no TimescaleDB support; in TimescaleDB's restore mode the catalog and every
                    // chunk table copy over as plain tables, as with pg_restore below.
                    tool(List.of(pgBin.resolve("psql").toString(), "-q", "-d", uri(target), "-c", "SELECT timescaledb_pre_restore()"), "psql pre_restore");
                }
                tool(List.of(pgBin.resolve("pgcopydb").toString(), "clone", "--source", uri(source), "--target", uri(target),
                        "--table-jobs", "2", "--index-jobs", "2", "--dir", "/tmp/bench-pgcopydb"), "pgcopydb");
                if (compressed) {
                    tool(List.of(pgBin.resolve("psql").toString(), "-q", "-d", uri(target), "-c", "SELECT timescaledb_post_restore()"), "psql post_restore");
                }
            }
            case "pgdump" -> {
                deleteInChroot("/tmp/bench-dump");
                tool(List.of(pgBin.resolve("pg_dump").toString(), "-Fd", "-j2", "-f", "/tmp/bench-dump", "-d", uri(source)), "pg_dump");
                if (compressed) {
                    // TimescaleDB's documented restore: its catalog and chunks come over as dumped, compressed chunks compressed.
                    tool(List.of(pgBin.resolve("psql").toString(), "-q", "-d", uri(target), "-c", "SELECT timescaledb_pre_restore()"), "psql pre_restore");
                }
                // TimescaleDB's catalog tables reference each other: restored in parallel, a chunk_constraint row can come
                // before its dimension_slice (the restore then fails); TimescaleDB's migration guide restores in one session.
                tool(List.of(pgBin.resolve("pg_restore").toString(), compressed ? "-j1" : "-j2", "-d", uri(target), "/tmp/bench-dump"), "pg_restore");
                if (compressed) {
                    tool(List.of(pgBin.resolve("psql").toString(), "-q", "-d", uri(target), "-c", "SELECT timescaledb_post_restore()"), "psql post_restore");
                }
                tool(List.of(pgBin.resolve("psql").toString(), "-q", "-d", uri(target), "-c", "ANALYZE"), "psql ANALYZE");
            }
            default -> throw new IllegalArgumentException("unknown contender " + contender + ": use ours, ours-decompress, pgcopydb, pgcopydb-split, pgdump");
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double sourceCpu = Cpu.seconds(Cpu.pid(runDir, "source"), true) - source0;
        double targetCpu = Cpu.seconds(Cpu.pid(runDir, "target"), true) - target0;
        double toolCpu = Cpu.seconds(self, true) - tool0;
        if (ours) {
            dropSlot();
        }
        Map<String, String> got = digests(target);
        if (compressed) {
            got.put("compressed chunks of metrics", compressedChunks(target));
        }
        boolean equal = got.equals(expected);
        System.out.printf(Locale.ROOT, "round %d %-9s %7.1f s  CPU s: source %.1f, target %.1f, tool %.1f  %s%n", round, contender, seconds,
                sourceCpu, targetCpu, toolCpu, equal ? "digests equal" : "DIGESTS DIFFER " + got);
        return new Run(contender, round, seconds, sourceCpu, targetCpu, toolCpu, equal);
    }

    /**
     * Ours as a user runs it: the {@code tsmigrate bootstrap} command in a JVM of its own (the shipped launcher, the
     * JVM's defaults), into a target database created empty (the bootstrap makes the extension itself).
     */
    private void ours(PgEndpoint target, boolean compressedCopy) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of("deploy/cli/tsmigrate").toAbsolutePath().toString(), "bootstrap",
                "--source-url", source.jdbcUrl(), "--target-url", target.jdbcUrl(), "--jobs", "2", "--index-jobs", "2",
                "--pg-bin", pgBin.toString(), "--slot", "bench_boot", "--publication", "bench_boot", "--json"));
        if (!compressed) {
            // A TimescaleDB source's hypertables are found by the bootstrap itself.
            command.addAll(List.of("--hypertable", "public.metrics:ts:1day"));
        }
        if (!compressedCopy) {
            command.add("--decompress-chunks");
        }
        tool(command, "tsmigrate bootstrap");
    }

    /** How many chunks of metrics are compressed (or an error's text, which then differs from the source's count). */
    static String compressedChunks(PgEndpoint db) {
        try (Connection c = Services.open(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT count(*) FROM timescaledb_information.chunks WHERE hypertable_name = 'metrics' AND is_compressed")) {
            rs.next();
            return rs.getString(1);
        } catch (Exception e) {
            return "unknown: " + e.getMessage();
        }
    }

    private void recreateTarget(PgEndpoint target, boolean timescale) throws Exception {
        try (Connection c = Services.open(target.withDatabase("postgres")); Statement st = c.createStatement()) {
            st.execute("DROP DATABASE IF EXISTS " + target.database() + " WITH (FORCE)");
            st.execute("CREATE DATABASE " + target.database());
        }
        if (timescale) {
            try (Connection c = Services.open(target); Statement st = c.createStatement()) {
                st.execute("CREATE EXTENSION timescaledb");
            }
        }
        deleteInChroot("/tmp/bench-pgcopydb");
    }

    private void dropSlot() throws Exception {
        try (Connection c = Services.open(source); Statement st = c.createStatement()) {
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'tsmigrate-snapshot-keeper%'");
            Thread.sleep(500);
            st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'bench_boot'");
            st.execute("DROP PUBLICATION IF EXISTS bench_boot");
        }
    }

    private void deleteInChroot(String path) throws Exception {
        Path p = chroot.resolve(path.substring(1));
        if (Files.exists(p)) {
            new ProcessBuilder("rm", "-rf", p.toString()).inheritIO().start().waitFor();
        }
    }

    private static String uri(PgEndpoint e) {
        return "postgresql://" + e.user() + "@" + e.host() + ":" + e.port() + "/" + e.database();
    }

    private static void tool(List<String> command, String what) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(Path.of("bench/target/" + what.replace(' ', '-') + ".log").toFile())
                .start();
        if (!p.waitFor(2, TimeUnit.HOURS) || p.exitValue() != 0) {
            throw new IllegalStateException(what + " failed (exit " + p.exitValue() + "); see bench/target/" + what.replace(' ', '-') + ".log");
        }
    }

    /**
     * Each user table's row count and the sum of its rows' 64-bit md5 prefixes: a content digest of the whole table
     * (every column of every row) that needs no sort, so 2 GB are digested in seconds. The tables all have keys,
     * so their rows are a set and order adds nothing.
     */
    static Map<String, String> digests(PgEndpoint db) throws Exception {
        Map<String, String> out = new TreeMap<>();
        try (Connection c = Services.open(db); Statement st = c.createStatement()) {
            List<String> tables = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SELECT format('%I.%I', table_schema, table_name) FROM information_schema.tables "
                    + "WHERE table_type = 'BASE TABLE' AND table_schema = 'public' ORDER BY 1")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String t : tables) {
                try (ResultSet rs = st.executeQuery("SELECT count(*) || ':' || coalesce(sum(('x' || left(md5(x::text), 16))::bit(64)::bigint::numeric), 0) FROM "
                        + t + " x")) {
                    rs.next();
                    out.put(t, rs.getString(1));
                }
            }
        }
        return out;
    }

    private Map<String, Double> medians(List<String> contenders) {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String c : contenders) {
            m.put(c, Stats.median(runs.stream().filter(r -> r.contender().equals(c)).map(Run::seconds).toList()));
        }
        return m;
    }

    private String report(List<String> contenders) {
        StringBuilder sb = new StringBuilder("| contender | runs (s) | median (s) | vs ours | CPU s, medians: source / target / tool | digests |\n"
                + "|---|---|---|---|---|---|\n");
        Map<String, Double> med = medians(contenders);
        double ours = med.getOrDefault("ours", Double.NaN);
        for (String c : contenders) {
            List<Run> rs = runs.stream().filter(r -> r.contender().equals(c)).toList();
            sb.append(String.format(Locale.ROOT, "| %s | %s | %.1f | %.2f× | %.1f / %.1f / %.1f | %s |%n", c,
                    String.join(", ", rs.stream().map(r -> String.format(Locale.ROOT, "%.1f", r.seconds())).toList()), med.get(c), med.get(c) / ours,
                    Stats.median(rs.stream().map(Run::sourceCpu).toList()), Stats.median(rs.stream().map(Run::targetCpu).toList()),
                    Stats.median(rs.stream().map(Run::toolCpu).toList()), rs.stream().allMatch(Run::equal) ? "equal" : "DIFFERENT"));
        }
        return sb.toString();
    }
}

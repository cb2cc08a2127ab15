package io.tsmigrate.bench;

import io.tsmigrate.common.SinkState;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The sustained-rate benchmark: the whole pipeline as a user runs it ({@code tsmigrate bootstrap} and
 * {@code tsmigrate start} from the built jar, Debezium, Kafka, the sink, TimescaleDB; every service on this machine)
 * under a source write load stepped through rates (default 5k, 10k, 20k, 40k rows/s, 60 s each): batched inserts
 * every 100 ms plus updates of 10% as many earlier rows. Once a second it records the slot's lag (bytes not yet
 * confirmed by Debezium), the Kafka lag (records in the change topic the sink has not committed) and the sink lag
 * (now minus the source commit time of the newest change committed in the target); per step it reports the rates,
 * the lags' p50/p99 and the CPU each process used. A step "holds" when the load ran at its rate and the sink lag
 * stayed bounded (p99 of the step's second half under 10 s, not growing). At the end the target's content digest
 * must equal the source's.
 *
 * <p>With {@code --tables N} the load spreads its rows over N tables of the same shape ({@code ticks}, {@code ticks_2},
 * ...), one transaction for all of them; with {@code --sources K} the migration streams them through K source streams
 * ({@code tsmigrate bootstrap --sources K}: K slots, publications and Debezium connectors). Lags are then the largest
 * of the slots' and the sum over the topics. With {@code --deletes P} every transaction also deletes P% as many rows
 * as it inserts, from rows written two transactions before (the updates take the last one's). With {@code --split true}
 * every table is spread over all K streams by key ({@code bootstrap --split-table}); {@code --identity full} gives
 * the tables {@code REPLICA IDENTITY FULL} (which splitting a table with a text column needs), also for a run with
 * one stream to compare with.
 *
 * <p>Per step it also reports the row changes per second the source made (inserts, updates and deletes) and the
 * Connect worker's core-seconds per million of them: Kafka records are not the measure there, since Debezium may
 * send a delete as two (the delete and its tombstone).
 *
 * <p>Run: see docs/benchmarks.md. Arguments: {@code --rates 5000,10000,20000,40000 --step-seconds 60 --tables 1 --sources 1
 * --sink-tasks 1 --deletes 0 --split false --identity default}.
 */
public final class RateBenchmark {

    private static final String DB = "bench_rate";
    private static final String NAME = "rate";

    private final Services services;
    private final PgEndpoint source;
    private final PgEndpoint target;
    private final Migration migration;
    private final Path runDir;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong updated = new AtomicLong();
    private final AtomicLong deleted = new AtomicLong();
    private volatile int rate;
    private volatile boolean loading = true;
    private final int tables;
    private final int sources;
    private final int sinkTasks;
    private final int deletes;
    private final boolean split;
    private final boolean fullIdentity;

    record Sample(double t, int rate, long written, long slotLagBytes, long kafkaLag, long applied, double sinkLagSeconds) {
    }

    record Step(int rate, double writeRate, double changeRate, double applyRate, double slotLagEndMb, long kafkaLagEnd, double sinkP50, double sinkP99,
                Map<String, Double> cores, boolean holds) {
    }

    private RateBenchmark(Services services, int tables, int sources, int sinkTasks, int deletes, boolean split, boolean fullIdentity) {
        this.services = services;
        this.split = split;
        this.fullIdentity = fullIdentity;
        this.deletes = deletes;
        this.sinkTasks = sinkTasks;
        this.tables = tables;
        this.sources = sources;
        this.source = services.source().withDatabase(DB);
        this.target = services.target().withDatabase(DB);
        this.migration = new Migration(services, source, target, NAME);
        this.runDir = services.natives().orElseThrow(() -> new IllegalStateException("the benchmark needs the native services")).runDir();
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = Args.parse(Map.of("--rates", "5000,10000,20000,40000", "--step-seconds", "60", "--out", "bench/target/results",
                "--tables", "1", "--sources", "1", "--sink-tasks", "1", "--deletes", "0", "--split", "false", "--identity", "default"), args);
        RateBenchmark b = new RateBenchmark(Services.get(), Integer.parseInt(opts.get("--tables")), Integer.parseInt(opts.get("--sources")),
                Integer.parseInt(opts.get("--sink-tasks")), Integer.parseInt(opts.get("--deletes")), Boolean.parseBoolean(opts.get("--split")),
                "full".equals(opts.get("--identity")));
        b.prepare();
        List<Integer> rates = java.util.Arrays.stream(opts.get("--rates").split(",")).map(Integer::parseInt).toList();
        int stepSeconds = Integer.parseInt(opts.get("--step-seconds"));
        List<Sample> samples = new ArrayList<>();
        List<Step> steps = b.measure(rates, stepSeconds, samples);
        boolean equal = b.drainAndCompare();
        Path out = Path.of(opts.get("--out"));
        Files.createDirectories(out);
        String report = b.report(steps, equal);
        Files.writeString(out.resolve("rate-benchmark.md"), report);
        StringBuilder csv = new StringBuilder("t,rate,written,slot_lag_bytes,kafka_lag,applied,sink_lag_s\n");
        samples.forEach(s -> csv.append(String.format(Locale.ROOT, "%.1f,%d,%d,%d,%d,%d,%.2f%n", s.t(), s.rate(), s.written(), s.slotLagBytes(),
                s.kafkaLag(), s.applied(), s.sinkLagSeconds())));
        Files.writeString(out.resolve("rate-benchmark.csv"), csv);
        Charts.rate(samples, out.resolve("rate-benchmark.png"));
        System.out.println(report);
        b.migration.cli("clean", "--yes");
        System.exit(equal ? 0 : 1);
    }

    /** Fresh databases, the table, then bootstrap and start through the tsmigrate jar. */
    private void prepare() throws Exception {
        migration.freshDatabases();
        try (Connection c = Services.open(target); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION timescaledb");
        }
        List<String> bootstrap = new ArrayList<>(List.of("--sources", Integer.toString(sources), "--pg-bin",
                services.pgBin().orElseThrow().toString()));
        try (Connection c = Services.open(source); Statement st = c.createStatement()) {
            for (String table : tableNames()) {
                st.execute("CREATE TABLE " + table + " (device int NOT NULL, ts timestamptz NOT NULL, value double precision NOT NULL, tag text NOT NULL, "
                        + "PRIMARY KEY (device, ts))");
                bootstrap.addAll(List.of("--hypertable", "public." + table + ":ts:1hour"));
                if (fullIdentity) {
                    st.execute("ALTER TABLE " + table + " REPLICA IDENTITY FULL");
                }
                if (split) {
                    bootstrap.addAll(List.of("--split-table", "public." + table));
                }
            }
        }
        migration.cli("bootstrap", bootstrap.toArray(String[]::new));
        migration.cli("start", "--kafka", services.kafkaBootstrap(), "--sink-tasks", Integer.toString(sinkTasks));
    }

    private List<String> tableNames() {
        List<String> names = new ArrayList<>();
        for (int i = 1; i <= tables; i++) {
            names.add(i == 1 ? "ticks" : "ticks_" + i);
        }
        return names;
    }

    /** The source streams' slots ({@code rate}, {@code rate_2}, ...), as the CLI names them. */
    private String slotList() {
        List<String> slots = new ArrayList<>();
        for (int i = 1; i <= sources; i++) {
            slots.add("'" + (i == 1 ? NAME : NAME + "_" + i) + "'");
        }
        return String.join(", ", slots);
    }


    private List<Step> measure(List<Integer> rates, int stepSeconds, List<Sample> samples) throws Exception {
        Thread load = new Thread(this::load, "load");
        rate = rates.get(0);
        load.start();
        List<Step> steps = new ArrayList<>();
        Properties kp = new Properties();
        kp.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, services.kafkaBootstrap());
        long t0 = System.nanoTime();
        try (Admin admin = Admin.create(kp); Connection s = Services.open(source); Connection t = Services.open(target)) {
            for (int r : rates) {
                rate = r;
                Map<String, Double> cpu0 = cpu();
                long w0 = written.get();
                long c0 = changes();
                List<Sample> step = new ArrayList<>();
                long stepStart = System.nanoTime();
                for (int sec = 1; sec <= stepSeconds; sec++) {
                    long next = stepStart + sec * 1_000_000_000L;
                    Thread.sleep(Math.max(0, (next - System.nanoTime()) / 1_000_000));
                    Sample sample = sample(admin, s, t, (System.nanoTime() - t0) / 1e9, r);
                    step.add(sample);
                    samples.add(sample);
                    System.out.printf(Locale.ROOT, "%6.0f s  rate %6d  written %9d  slot lag %7.1f MB  kafka lag %8d  sink lag %6.1f s%n", sample.t(), r,
                            sample.written(), sample.slotLagBytes() / 1e6, sample.kafkaLag(), sample.sinkLagSeconds());
                }
                double seconds = (System.nanoTime() - stepStart) / 1e9;
                Map<String, Double> cpu1 = cpu();
                Map<String, Double> cores = new LinkedHashMap<>();
                cpu1.forEach((k, v) -> cores.put(k, (v - cpu0.get(k)) / seconds));
                steps.add(summarise(r, step, (written.get() - w0) / seconds, (changes() - c0) / seconds, cores));
            }
        } finally {
            loading = false;
            load.join();
        }
        return steps;
    }

    /** Row changes the load made: inserts, updates and deletes. */
    private long changes() {
        return written.get() + updated.get() + deleted.get();
    }

    private static Step summarise(int r, List<Sample> step, double writeRate, double changeRate, Map<String, Double> cores) {
        List<Sample> secondHalf = step.subList(step.size() / 2, step.size());
        double p50 = percentile(secondHalf.stream().map(Sample::sinkLagSeconds).toList(), 50);
        double p99 = percentile(secondHalf.stream().map(Sample::sinkLagSeconds).toList(), 99);
        Sample first = step.get(0);
        Sample last = step.get(step.size() - 1);
        double applyRate = (last.applied() - first.applied()) / Math.max(1, last.t() - first.t());
        // Bounded: the load kept its rate, the lag stayed small and did not grow through the step.
        // Growing: the lag at the end of the step is above the lag at its middle by more than a few seconds (bursts of a
        // few seconds come and go; a pipeline that cannot keep up falls behind by the whole step).
        double lagMiddle = secondHalf.get(0).sinkLagSeconds();
        boolean holds = writeRate >= 0.95 * r && p99 < 10 && last.sinkLagSeconds() <= lagMiddle + 3;
        return new Step(r, writeRate, changeRate, applyRate, last.slotLagBytes() / 1e6, last.kafkaLag(), p50, p99, cores, holds);
    }

    private static double percentile(List<Double> values, int p) {
        List<Double> sorted = new ArrayList<>(values);
        java.util.Collections.sort(sorted);
        if (sorted.isEmpty()) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }

    private Sample sample(Admin admin, Connection s, Connection t, double now, int r) throws Exception {
        long slotLag;
        try (Statement st = s.createStatement(); ResultSet rs = st.executeQuery("SELECT max(pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn))::bigint "
                + "FROM pg_replication_slots WHERE slot_name IN (" + slotList() + ")")) {
            rs.next();
            slotLag = rs.getLong(1);
        }
        // The tables' change topics, whichever of this run's source streams carries each: <name>[_k].public.ticks[_n]
        // (not those of an earlier run with more streams on the same services, which nothing reads any more).
        String streams = sources == 1 ? "" : "(_(" + java.util.stream.IntStream.rangeClosed(2, sources).mapToObj(Integer::toString)
                .collect(java.util.stream.Collectors.joining("|")) + "))?";
        java.util.regex.Pattern changeTopic = java.util.regex.Pattern.compile(NAME + streams + "\\.public\\.ticks(_\\d+)?");
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (String topic : admin.listTopics().names().get()) {
            if (changeTopic.matcher(topic).matches()) {
                request.put(new TopicPartition(topic, 0), OffsetSpec.latest());
            }
        }
        long end = 0;
        if (!request.isEmpty()) {
            for (var info : admin.listOffsets(request).all().get().values()) {
                end += info.offset();
            }
        }
        long applied = 0;
        double sinkLag = 0;
        try (Statement st = t.createStatement(); ResultSet rs = st.executeQuery("SELECT topic, max(kafka_offset) + 1, "
                + "extract(epoch FROM clock_timestamp()) - max(source_ts_ms) / 1000.0 FROM " + SinkState.TABLE + " GROUP BY topic")) {
            while (rs.next()) {
                if (changeTopic.matcher(rs.getString(1)).matches()) {
                    applied += rs.getLong(2);
                    sinkLag = Math.max(sinkLag, rs.getDouble(3));
                }
            }
        } catch (java.sql.SQLException noTableYet) {
            // the sink has not committed yet
        }
        if (applied == 0) {
            sinkLag = now;
        }
        return new Sample(now, r, written.get(), slotLag, Math.max(0, end - applied), applied, sinkLag);
    }

    /**
     * Every 100 ms one transaction: rate/10 new rows over the tables, an update of a tenth as many rows written in the
     * transaction before, and (with --deletes) a delete of that share of the rows written in the one before that.
     */
    private void load() {
        try (Connection c = Services.open(source)) {
            try (Statement st = c.createStatement()) {
                // A plan per execution: a generic plan cached while the table is small joins the update's rows by
                // scanning the whole table, whose growth then slowed the load itself until autovacuum's first ANALYZE
                // (about a minute in; the UPDATE's backend took 0.37 cores by then, measured, and the load wrote 21-28k
                // rows/s of its 30k).
                st.execute("SET plan_cache_mode = force_custom_plan");
            }
            c.setAutoCommit(false);
            List<PreparedStatement> inserts = new ArrayList<>();
            List<PreparedStatement> updates = new ArrayList<>();
            List<PreparedStatement> removals = new ArrayList<>();
            for (String table : tableNames()) {
                inserts.add(c.prepareStatement("INSERT INTO " + table + " SELECT i % 1000, '2026-01-01'::timestamptz + i * INTERVAL '1 millisecond', "
                        + "random() * 100, 'tag-' || (i % 100) FROM generate_series(?::bigint, ?::bigint) i"));
                updates.add(c.prepareStatement("UPDATE " + table + " SET value = value + 1 WHERE " + numbered(10)));
                removals.add(c.prepareStatement("DELETE FROM " + table + " WHERE " + numbered(Math.max(1, 100 / Math.max(1, deletes)))));
            }
            long next = System.nanoTime();
            long i = 0;
            while (loading) {
                // Each table gets its share of the rows, numbered alike in every table.
                int n = Math.max(1, rate / 10 / tables);
                for (int k = 0; k < tables; k++) {
                    inserts.get(k).setLong(1, i);
                    inserts.get(k).setLong(2, i + n - 1);
                    inserts.get(k).executeUpdate();
                    if (i > 0) {
                        long from = Math.max(0, i - n);
                        updates.get(k).setLong(1, from);
                        updates.get(k).setLong(2, i - 1);
                        updated.addAndGet(updates.get(k).executeUpdate());
                    }
                    if (deletes > 0 && i >= 2L * n) {
                        removals.get(k).setLong(1, i - 2L * n);
                        removals.get(k).setLong(2, i - n - 1);
                        deleted.addAndGet(removals.get(k).executeUpdate());
                    }
                }
                c.commit();
                i += n;
                written.addAndGet((long) n * tables);
                next += 100_000_000L;
                long sleep = next - System.nanoTime();
                if (sleep > 0) {
                    Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                } else if (sleep < -1_000_000_000L) {
                    next = System.nanoTime(); // far behind: do not try to catch up in a burst
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException("the load failed", e);
        }
    }

    /** The rows numbered from the first parameter to the second, every {@code step}-th, as the inserts number them. */
    private static String numbered(int step) {
        return "(device, ts) IN (SELECT i % 1000, '2026-01-01'::timestamptz + i * INTERVAL '1 millisecond' FROM generate_series(?::bigint, ?::bigint, "
                + step + ") i)";
    }

    private Map<String, Double> cpu() throws Exception {
        Map<String, Double> m = new LinkedHashMap<>();
        for (String svc : List.of("source", "target", "kafka", "connect")) {
            long pid = Cpu.pid(runDir, svc);
            m.put(svc, Cpu.seconds(pid, svc.equals("source") || svc.equals("target")));
        }
        m.put("load generator", Cpu.seconds(ProcessHandle.current().pid(), false));
        return m;
    }

    /** Waits until the sink has applied everything, then compares the contents. */
    private boolean drainAndCompare() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
        Properties kp = new Properties();
        kp.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, services.kafkaBootstrap());
        try (Admin admin = Admin.create(kp); Connection s = Services.open(source); Connection t = Services.open(target); Statement st = s.createStatement()) {
            String marker;
            try (ResultSet rs = st.executeQuery("SELECT pg_logical_emit_message(true, 'bench', 'end')::text")) {
                rs.next();
                marker = rs.getString(1);
            }
            // Drained: Debezium has confirmed the end marker and the sink has committed everything in the topic.
            while (System.nanoTime() < deadline) {
                boolean read;
                try (ResultSet rs = st.executeQuery("SELECT bool_and(confirmed_flush_lsn >= '" + marker + "'::pg_lsn) FROM pg_replication_slots "
                        + "WHERE slot_name IN (" + slotList() + ")")) {
                    rs.next();
                    read = rs.getBoolean(1);
                }
                if (read && sample(admin, s, t, 0, 0).kafkaLag() == 0) {
                    break;
                }
                Thread.sleep(1000);
            }
            Thread.sleep(3000);
        }
        Map<String, String> a = BootstrapBenchmark.digests(source);
        Map<String, String> b = BootstrapBenchmark.digests(target);
        System.out.println("source " + a + "\ntarget " + b);
        return a.equals(b);
    }

    private String report(List<Step> steps, boolean equal) {
        StringBuilder sb = new StringBuilder("| target rows/s | written rows/s | row changes/s | applied records/s | slot lag at end (MB) | Kafka lag at end (records) | "
                + "sink lag p50 / p99 (s) | CPU cores: source, target, Kafka, Connect, load | Connect core-s per million changes | holds |\n"
                + "|---|---|---|---|---|---|---|---|---|---|\n");
        for (Step s : steps) {
            sb.append(String.format(Locale.ROOT, "| %d | %.0f | %.0f | %.0f | %.1f | %d | %.1f / %.1f | %s | %.1f | %s |%n", s.rate(), s.writeRate(), s.changeRate(), s.applyRate(),
                    s.slotLagEndMb(), s.kafkaLagEnd(), s.sinkP50(), s.sinkP99(),
                    String.join(", ", s.cores().values().stream().map(v -> String.format(Locale.ROOT, "%.2f", v)).toList()),
                    s.cores().get("connect") / s.changeRate() * 1e6, s.holds() ? "yes" : "no"));
        }
        int best = steps.stream().filter(Step::holds).mapToInt(Step::rate).max().orElse(0);
        sb.append(String.format(Locale.ROOT, "%nHighest rate held: %d rows/s (plus 10%% updates%s). Target content after draining: %s.%n", best,
                deletes > 0 ? ", " + deletes + "% deletes" : "", equal ? "digest equal to the source" : "DIFFERENT from the source"));
        return sb.toString();
    }
}

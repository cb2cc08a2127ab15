package io.tsmigrate.bench;

import io.tsmigrate.common.SinkState;
import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.common.TopicPartition;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The soak benchmark: a live migration on a two-worker Connect cluster (change topics of keyed tables in two
 * partitions, three sink tasks) under a fixed-rate mixed load for a long time, with a fault every few minutes, taken
 * in turn from: a worker killed with SIGKILL (started again 15 s later), the source connector restarted, the source's
 * walsender terminated, the target restarted, the Kafka broker stopped for 8 s, the sink's target connections
 * terminated. Once a second it records the retained WAL of the slot, the slot's unconfirmed WAL, the Kafka lag
 * (records the sink has not committed, over every change topic) and the sink lag (now minus the source commit time of
 * the newest change in the target). At the end the load stops, the pipeline drains and every table's content digest
 * must equal the source's. The load, every 100 ms, in one transaction: rate/10 new rows of a time series (a hypertable
 * with key), updates of a few accounts and a key change of one whose large document stays unchanged; every 10 s a
 * COPY into a table without a key and a multi-row insert with deletes into a keyed one; beside it, transactions
 * that stay open while the short ones commit ({@link #longTransactions}).
 *
 * <p>Run: see docs/benchmarks.md. Arguments: {@code --minutes 30 --rate 2000 --fault-every 180 --seed N}.
 */
public final class SoakBenchmark {

    private static final String DB = "bench_soak";
    private static final String NAME = "soak";
    private static final List<String> FAULTS = List.of("worker killed", "source connector restarted", "walsender terminated", "target restarted",
            "broker stopped 8 s", "sink connections terminated");

    private final Services services;
    private final NativeServices natives;
    private final PgEndpoint source;
    private final PgEndpoint target;
    private final Migration migration;
    private final AtomicLong written = new AtomicLong();
    /** Transactions of {@link #longTransactions} committed. */
    private final AtomicLong longCommitted = new AtomicLong();
    private volatile boolean loading = true;
    private volatile Exception loadFailure;

    record Sample(double t, long retainedBytes, long slotLagBytes, long kafkaLag, double sinkLagSeconds, String fault) {
    }

    private SoakBenchmark(Services services) {
        this.services = services;
        this.natives = services.natives().orElseThrow(() -> new IllegalStateException("the benchmark needs the native services"));
        this.source = services.source().withDatabase(DB);
        this.target = services.target().withDatabase(DB);
        this.migration = new Migration(services, source, target, NAME);
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = Args.parse(Map.of("--minutes", "30", "--rate", "2000", "--fault-every", "180", "--seed",
                Long.toString(System.nanoTime()), "--out", "bench/target/results"), args);
        long seed = Long.parseLong(opts.get("--seed"));
        System.out.println("[soak] seed " + seed + " (replay with --seed " + seed + ")");
        SoakBenchmark b = new SoakBenchmark(Services.get());
        int port = URI.create(b.services.connectUrl()).getPort() + 10;
        b.natives.startWorker("connect2", port);
        try {
            b.prepare();
            List<Sample> samples = new ArrayList<>();
            b.run(Integer.parseInt(opts.get("--minutes")) * 60, Integer.parseInt(opts.get("--rate")), Integer.parseInt(opts.get("--fault-every")),
                    new Random(seed), port, samples);
            double drained = b.drain();
            Map<String, String> a = BootstrapBenchmark.digests(b.source);
            Map<String, String> t = BootstrapBenchmark.digests(b.target);
            boolean equal = a.equals(t);
            System.out.println("source " + a + "\ntarget " + t);
            Path out = Path.of(opts.get("--out"));
            Files.createDirectories(out);
            StringBuilder csv = new StringBuilder("t,retained_wal_bytes,slot_lag_bytes,kafka_lag,sink_lag_s,fault\n");
            samples.forEach(s -> csv.append(String.format(Locale.ROOT, "%.1f,%d,%d,%d,%.2f,%s%n", s.t(), s.retainedBytes(), s.slotLagBytes(),
                    s.kafkaLag(), s.sinkLagSeconds(), s.fault() == null ? "" : s.fault())));
            Files.writeString(out.resolve("soak-benchmark.csv"), csv);
            Charts.soak(samples, out.resolve("soak-benchmark.png"));
            String report = report(samples, opts, seed, b.written.get(), b.longCommitted.get(), drained, equal, b.loadFailure);
            Files.writeString(out.resolve("soak-benchmark.md"), report);
            System.out.println(report);
            b.migration.cli("clean", "--yes");
            System.exit(equal && b.loadFailure == null ? 0 : 1);
        } finally {
            b.natives.stopWorker("connect2");
        }
    }

    /** Fresh databases, the tables, then bootstrap and start through the tsmigrate jar. */
    private void prepare() throws Exception {
        migration.freshDatabases();
        try (Connection c = Services.open(source); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE ticks (dev int NOT NULL, ts timestamptz NOT NULL, val double precision, PRIMARY KEY (dev, ts))");
            st.execute("CREATE TABLE accounts (id bigint PRIMARY KEY, balance numeric(14,2) NOT NULL DEFAULT 0, note text DEFAULT 'new', doc text)");
            st.execute("ALTER TABLE accounts ALTER doc SET STORAGE EXTERNAL");
            st.execute("CREATE TABLE audit (at timestamptz NOT NULL, who int, what text)");
            st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, account bigint, amount numeric(12,2), status text)");
            st.execute("INSERT INTO accounts SELECT i, i, NULL, CASE WHEN i % 3 = 0 THEN repeat(md5(i::text), 100) END FROM generate_series(1, 20000) i");
            st.execute("INSERT INTO ticks SELECT i % 50, '2026-01-01'::timestamptz + i * INTERVAL '1 second', i FROM generate_series(1, 200000) i");
        }
        migration.cli("bootstrap", "--hypertable", "public.ticks:ts:1hour", "--pg-bin", services.pgBin().orElseThrow().toString());
        migration.cli("start", "--kafka", services.kafkaBootstrap(), "--topic-partitions", "2", "--sink-tasks", "3");
    }


    private void run(int seconds, int rate, int faultEvery, Random random, int workerPort, List<Sample> samples) throws Exception {
        Thread load = new Thread(() -> load(rate, new Random(random.nextLong())), "load");
        load.start();
        Thread longer = new Thread(() -> longTransactions(new Random(random.nextLong())), "long-transactions");
        longer.start();
        Properties kp = new Properties();
        kp.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, services.kafkaBootstrap());
        long t0 = System.nanoTime();
        int nextFault = 0;
        long restartWorkerAt = -1;
        try (Admin admin = Admin.create(kp)) {
            for (int sec = 1; sec <= seconds; sec++) {
                Thread.sleep(Math.max(0, (t0 + sec * 1_000_000_000L - System.nanoTime()) / 1_000_000));
                String fault = null;
                if (sec % faultEvery == faultEvery / 2) {
                    fault = FAULTS.get(nextFault++ % FAULTS.size());
                    System.out.println("[soak] " + sec + " s: " + fault);
                    if (fault.equals("worker killed")) {
                        restartWorkerAt = sec + 15;
                    }
                    inject(fault, random);
                }
                if (sec == restartWorkerAt) {
                    natives.startWorker("connect2", workerPort);
                    System.out.println("[soak] " + sec + " s: worker started again");
                }
                Sample s = sample(admin, (System.nanoTime() - t0) / 1e9, fault);
                samples.add(s);
                if (sec % 10 == 0) {
                    System.out.printf(Locale.ROOT, "%6.0f s  written %9d  retained WAL %7.1f MB  slot lag %7.1f MB  kafka lag %8d  sink lag %6.1f s%n",
                            s.t(), written.get(), s.retainedBytes() / 1e6, s.slotLagBytes() / 1e6, s.kafkaLag(), s.sinkLagSeconds());
                }
            }
        } finally {
            loading = false;
            load.join();
            longer.join();
        }
    }

    private void inject(String fault, Random random) throws Exception {
        switch (fault) {
            case "worker killed" -> natives.kill("connect2");
            case "source connector restarted" -> services.connect().restart(NAME + "-source");
            case "walsender terminated" -> sql(services.source(), "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = '"
                    + NAME + "' AND active_pid IS NOT NULL");
            case "target restarted" -> {
                natives.stop("target");
                Thread.sleep(2000 + random.nextInt(3000));
                natives.start("target");
            }
            case "broker stopped 8 s" -> {
                natives.stop("kafka");
                Thread.sleep(8000);
                natives.start("kafka");
            }
            case "sink connections terminated" -> sql(services.target(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name "
                    + "LIKE 'tsmigrate-sink%'");
            default -> throw new IllegalArgumentException(fault);
        }
    }

    private static void sql(PgEndpoint db, String statement) throws Exception {
        try (Connection c = Services.open(db.withDatabase("postgres")); Statement st = c.createStatement()) {
            st.execute(statement);
        }
    }

    private Sample sample(Admin admin, double now, String fault) {
        long retained = -1;
        long slotLag = -1;
        try (Connection s = Services.open(source); Statement st = s.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::bigint, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::bigint "
                        + "FROM pg_replication_slots WHERE slot_name = '" + NAME + "'")) {
            if (rs.next()) {
                retained = rs.getLong(1);
                slotLag = rs.getLong(2);
            }
        } catch (Exception e) {
            // a fault on the source: the sample says -1
        }
        long kafkaLag = -1;
        double sinkLag = -1;
        try (Connection t = Services.open(target); Statement st = t.createStatement()) {
            Map<TopicPartition, Long> applied = new HashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT topic, kafka_partition, kafka_offset FROM " + SinkState.TABLE + " WHERE topic LIKE '" + NAME
                    + ".%'")) {
                while (rs.next()) {
                    applied.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3) + 1);
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT extract(epoch FROM clock_timestamp()) - max(source_ts_ms) / 1000.0 FROM " + SinkState.TABLE + " "
                    + "WHERE topic LIKE '" + NAME + ".public.%'")) {
                rs.next();
                sinkLag = rs.getDouble(1);
            }
            Map<TopicPartition, OffsetSpec> ask = new HashMap<>();
            for (String topic : admin.listTopics().names().get(10, TimeUnit.SECONDS)) {
                if (topic.startsWith(NAME + ".public.")) {
                    admin.describeTopics(List.of(topic)).allTopicNames().get(10, TimeUnit.SECONDS).get(topic).partitions()
                            .forEach(p -> ask.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
                }
            }
            long lag = 0;
            for (var e : admin.listOffsets(ask).all().get(10, TimeUnit.SECONDS).entrySet()) {
                lag += Math.max(0, e.getValue().offset() - applied.getOrDefault(e.getKey(), 0L));
            }
            kafkaLag = lag;
        } catch (Exception e) {
            // a fault on the target or the broker: the sample says -1
        }
        return new Sample(now, retained, slotLag, kafkaLag, sinkLag, fault);
    }

    /**
     * Beside the load, transactions that stay open while the load's short ones commit: every 5-10 s one opens, inserts
     * 3,000 rows into the keyless table, waits 1-3 s, inserts 3,000 more and commits. Debezium sends it after the short
     * ones, whose COMMIT positions can then be the positions of its changes (sink-timescale/DESIGN.md, "Where the
     * source resumes"): a source fault in that window is the case Debezium alone loses rows in.
     */
    private void longTransactions(Random random) {
        long n = 0;
        while (loading) {
            try (Connection c = Services.open(source); Statement st = c.createStatement()) {
                while (loading) {
                    Thread.sleep(5000 + random.nextInt(5000));
                    c.setAutoCommit(false);
                    st.execute("INSERT INTO audit SELECT '2027-02-01'::timestamptz + g * INTERVAL '1 ms', -1, 'long " + n + "' FROM generate_series(1, 3000) g");
                    Thread.sleep(1000 + random.nextInt(2000));
                    st.execute("INSERT INTO audit SELECT '2027-02-01'::timestamptz + g * INTERVAL '1 ms', -2, 'long " + n + "' FROM generate_series(1, 3000) g");
                    c.commit();
                    c.setAutoCommit(true);
                    longCommitted.incrementAndGet();
                    n++;
                }
            } catch (java.sql.SQLException e) {
                // Cut off by a fault before its commit: not committed, nothing counted; a new connection, same load.
                try {
                    Thread.sleep(500);
                } catch (InterruptedException stop) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Every 100 ms one transaction of rate/10 time-series rows, account updates and a key change; every 10 s a COPY and a batch of orders. */
    private void load(int rate, Random random) {
        long next = System.nanoTime();
        long i = 0;
        long round = 0;
        long nextKey = 1_000_000;
        while (loading) {
            try (Connection c = Services.open(source); Statement st = c.createStatement()) {
                while (loading) {
                    int n = Math.max(1, rate / 10);
                    long from = nextKey;
                    st.execute("BEGIN; INSERT INTO ticks SELECT g % 50, '2027-01-01'::timestamptz + g * INTERVAL '1 millisecond', random() FROM "
                            + "generate_series(" + i + ", " + (i + n - 1) + ") g; "
                            + "UPDATE accounts SET balance = balance + 1, note = CASE WHEN id % 7 = 0 THEN NULL ELSE note END WHERE id IN ("
                            + (1 + random.nextInt(20000)) + ", " + (1 + random.nextInt(20000)) + ", " + (1 + random.nextInt(20000)) + "); "
                            + "UPDATE accounts SET id = " + from + " WHERE id = (SELECT id FROM accounts WHERE doc IS NOT NULL ORDER BY id LIMIT 1 OFFSET "
                            + random.nextInt(100) + "); COMMIT");
                    nextKey++;
                    i += n;
                    written.addAndGet(n);
                    if (++round % 100 == 0) {
                        StringBuilder copy = new StringBuilder();
                        for (int k = 0; k < 2000; k++) {
                            copy.append("2027-01-01 00:00:00+00\t").append(k % 31).append("\tround ").append(round).append('\n');
                        }
                        new org.postgresql.copy.CopyManager(c.unwrap(org.postgresql.core.BaseConnection.class))
                                .copyIn("COPY audit FROM STDIN", new java.io.StringReader(copy.toString()));
                        st.execute("BEGIN; INSERT INTO orders SELECT g, g % 20000, g * 0.01, 'open' FROM generate_series(" + (round * 1000) + ", "
                                + (round * 1000 + 999) + ") g; DELETE FROM orders WHERE id % 11 = 0 AND id < " + (round * 1000) + "; "
                                + "UPDATE orders SET status = 'paid' WHERE id % 5 = 0 AND id < " + (round * 1000) + "; COMMIT");
                    }
                    next += 100_000_000L;
                    long sleep = next - System.nanoTime();
                    if (sleep > 0) {
                        Thread.sleep(sleep / 1_000_000, (int) (sleep % 1_000_000));
                    } else if (sleep < -1_000_000_000L) {
                        next = System.nanoTime();
                    }
                }
            } catch (java.sql.SQLException e) {
                // The source restarted or refused for a moment (a fault): a new connection, same load. A transaction cut off
                // here did not commit, so nothing of it is counted.
                try {
                    Thread.sleep(500);
                } catch (InterruptedException stop) {
                    return;
                }
            } catch (Exception e) {
                loadFailure = e;
                return;
            }
        }
    }

    /** Waits until Debezium has confirmed a marker written after the load and the sink has committed every record; returns the seconds. */
    private double drain() throws Exception {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.MINUTES.toNanos(15);
        Properties kp = new Properties();
        kp.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, services.kafkaBootstrap());
        try (Admin admin = Admin.create(kp); Connection s = Services.open(source); Statement st = s.createStatement()) {
            String marker;
            try (ResultSet rs = st.executeQuery("SELECT pg_logical_emit_message(true, 'bench', 'end')::text")) {
                rs.next();
                marker = rs.getString(1);
            }
            while (System.nanoTime() < deadline) {
                boolean read;
                try (ResultSet rs = st.executeQuery("SELECT confirmed_flush_lsn >= '" + marker + "'::pg_lsn FROM pg_replication_slots WHERE slot_name = '"
                        + NAME + "'")) {
                    read = rs.next() && rs.getBoolean(1);
                }
                if (read && sample(admin, 0, null).kafkaLag() == 0) {
                    break;
                }
                Thread.sleep(1000);
            }
            Thread.sleep(3000);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    private static String report(List<Sample> samples, Map<String, String> opts, long seed, long written, long longTransactions, double drained,
            boolean equal, Exception failure) {
        List<Double> lags = samples.stream().map(Sample::sinkLagSeconds).filter(v -> v >= 0).sorted().toList();
        double p50 = lags.isEmpty() ? Double.NaN : lags.get(lags.size() / 2);
        double p99 = lags.isEmpty() ? Double.NaN : lags.get(Math.min(lags.size() - 1, (int) Math.ceil(lags.size() * 0.99) - 1));
        double maxLag = lags.isEmpty() ? Double.NaN : lags.get(lags.size() - 1);
        long maxRetained = samples.stream().mapToLong(Sample::retainedBytes).max().orElse(-1);
        long lastRetained = samples.isEmpty() ? -1 : samples.get(samples.size() - 1).retainedBytes();
        long maxKafka = samples.stream().mapToLong(Sample::kafkaLag).max().orElse(-1);
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "Soak: %s min at %s time-series rows/s (plus updates, key changes, COPYs), a fault every %s s, seed %d%n%n",
                opts.get("--minutes"), opts.get("--rate"), opts.get("--fault-every"), seed));
        sb.append("| fault | at (s) | sink lag 60 s later (s) | Kafka lag 60 s later (records) |\n|---|---|---|---|\n");
        for (int i = 0; i < samples.size(); i++) {
            Sample s = samples.get(i);
            if (s.fault() != null) {
                Sample later = samples.get(Math.min(samples.size() - 1, i + 60));
                sb.append(String.format(Locale.ROOT, "| %s | %.0f | %.1f | %d |%n", s.fault(), s.t(), later.sinkLagSeconds(), later.kafkaLag()));
            }
        }
        sb.append(String.format(Locale.ROOT, "%nRows of the time series written: %d; transactions left open beside the load (6,000 rows each): %d. Sink lag p50 %.1f s, p99 %.1f s, max %.1f s; Kafka lag max %d "
                        + "records; retained WAL max %.1f MB, at the end %.1f MB; drained %.0f s after the load stopped.%n"
                        + "Target content after draining: %s.%s%n", written, longTransactions, p50, p99, maxLag, maxKafka, maxRetained / 1e6, lastRetained / 1e6, drained,
                equal ? "every table's digest equal to the source's" : "DIFFERENT from the source",
                failure == null ? "" : " The load failed: " + failure));
        return sb.toString();
    }
}

package io.tsmigrate.sink;

import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.Seed;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import io.tsmigrate.testkit.WriteLoad;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.URI;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A distributed Connect cluster of two workers on loopback, the sink with two tasks over the change topics (each
 * table's topic in one task): a worker killed with kill -9 while its tasks hold buffered and in-flight batches (its
 * tasks, possibly Debezium's, move to the survivor after the group's session timeout and the rebalance delay), then
 * a worker joining mid-stream (a rebalance without a fault) and a graceful leave. The write load runs COPYs into a
 * keyless table, multi-row inserts, updates, key changes of rows with large values and transactions larger than a
 * batch throughout. Every table's content digest ends equal; a seed makes a run repeatable.
 */
@ExtendWith(ServicesExtension.class)
class ClusterFaultsIT {

    private static final String[] TABLES = {"orders", "notes", "loose", "series"};

    @Test
    @DisplayName("two workers, two sink tasks: a worker killed, one joining, one leaving, during a mixed load: equal, nothing doubled")
    void worker_faults_during_a_mixed_load(TestDatabases dbs) throws Exception {
        assertThat(dbs.services().natives()).as("cluster tests need the native services (the test kit starts them when no service is configured; see README)").isPresent();
        NativeServices natives = dbs.services().natives().orElseThrow();
        long seed = Seed.of("ClusterFaultsIT");
        Random random = new Random(seed);
        int port = URI.create(dbs.services().connectUrl()).getPort() + 7;
        natives.startWorker("connect2", port);
        try {
            Pipeline p = pipeline(dbs);
            WriteLoad load = WriteLoad.run("rounds", running -> load(p, new Random(seed), 8));
            Thread.sleep(1500 + random.nextInt(3000));
            natives.kill("connect2");
            System.out.println("[ClusterFaultsIT] killed connect2");
            Thread.sleep(4000 + random.nextInt(4000));
            natives.startWorker("connect2", port);
            System.out.println("[ClusterFaultsIT] connect2 joined again");
            Thread.sleep(2000 + random.nextInt(3000));
            natives.stopWorker("connect2");
            System.out.println("[ClusterFaultsIT] connect2 left");
            finish(load, p, dbs);
            p.awaitEqual(Duration.ofSeconds(240), TABLES);
            p.stop();
        } finally {
            natives.stopWorker("connect2");
        }
    }

    /**
     * The keyed tables' topics in three partitions (as {@code tsmigrate start --topic-partitions 3} sets them up), three sink
     * tasks on two workers: key changes of rows with large unchanged values move rows between partitions (the new row
     * waits for the old one's stash when its partition is ahead), a TRUNCATE of a spread table reaches every partition,
     * a worker is killed and Debezium restarted. Equal; every stash taken; the topics really have three partitions.
     */
    @Test
    @DisplayName("topics in three partitions, three sink tasks: key changes across partitions keep their large values, a TRUNCATE waits for every partition, a worker killed: equal")
    void spread_over_partitions(TestDatabases dbs) throws Exception {
        assertThat(dbs.services().natives()).as("cluster tests need the native services (the test kit starts them when no service is configured; see README)").isPresent();
        NativeServices natives = dbs.services().natives().orElseThrow();
        long seed = Seed.of("ClusterFaultsIT spread");
        Random random = new Random(seed);
        int port = URI.create(dbs.services().connectUrl()).getPort() + 8;
        natives.startWorker("connect3", port);
        try {
            Pipeline p = new Pipeline(dbs, "spread");
            create(p);
            Map<String, String> source = p.sourceConfig();
            source.put("snapshot.mode", "no_data");
            String keyed = java.util.stream.Stream.of("orders", "notes", "series").map(t -> java.util.regex.Pattern.quote(p.prefix) + "\\.public\\." + t)
                    .collect(java.util.stream.Collectors.joining("|"));
            source.put("topic.creation.groups", "spread");
            source.put("topic.creation.spread.include", keyed.replace("|", ","));
            source.put("topic.creation.spread.partitions", "3");
            source.put("topic.creation.spread.replication.factor", "1");
            source.put("tsmigrate.spread.topics", "(?:" + keyed + ")");
            source.put("tsmigrate.spread.partitions", "3");
            p.startSource(source);
            Map<String, String> sink = p.sinkConfig();
            sink.put("tasks.max", "3");
            sink.put("batch.size", "1000");
            p.startSink(sink);
            WriteLoad load = WriteLoad.run("rounds", running -> load(p, new Random(seed), 8));
            Thread.sleep(2000 + random.nextInt(3000));
            natives.kill("connect3");
            System.out.println("[ClusterFaultsIT] killed connect3");
            Thread.sleep(2000 + random.nextInt(3000));
            dbs.services().connect().restart(p.sourceName);
            System.out.println("[ClusterFaultsIT] restarted the source connector");
            Thread.sleep(2000 + random.nextInt(2000));
            natives.startWorker("connect3", port);
            System.out.println("[ClusterFaultsIT] connect3 joined again");
            finish(load, p, dbs);
            p.awaitEqual(Duration.ofSeconds(300), TABLES);
            p.assertSinkNotFailed();
            try (Connection t = p.dbs.openTarget()) {
                assertThat(Pipeline.one(t, "SELECT count(*) FROM tsmigrate.key_moves")).as("stashed old rows left untaken").isEqualTo("0");
                assertThat(Integer.parseInt(Pipeline.one(t, "SELECT count(DISTINCT kafka_partition) FROM tsmigrate.sink_offsets WHERE topic = '"
                        + p.prefix + ".public.orders' AND kafka_offset >= 0"))).as("orders' partitions that carried changes").isEqualTo(3);
                assertThat(Pipeline.one(t, "SELECT count(*) FROM tsmigrate.truncate_barriers WHERE kafka_partition = -1 AND topic = '"
                        + p.prefix + ".public.notes'")).as("TRUNCATEs of notes done").isNotEqualTo("0");
            }
            p.stop();
        } finally {
            natives.stopWorker("connect3");
        }
    }

    private static void create(Pipeline p) throws Exception {
        p.both("CREATE TABLE IF NOT EXISTS orders (id int PRIMARY KEY, status text DEFAULT 'new', amount numeric(12,2), big text)",
                "CREATE TABLE IF NOT EXISTS notes (id int PRIMARY KEY, body text, tags text[])",
                "CREATE TABLE IF NOT EXISTS loose (n int, label text)",
                "CREATE TABLE IF NOT EXISTS series (ts timestamptz NOT NULL, dev int NOT NULL, val float8, PRIMARY KEY (dev, ts))");
        p.target("SELECT create_hypertable('series', by_range('ts', INTERVAL '1 day'), if_not_exists => true)");
        p.source("ALTER TABLE orders ALTER big SET STORAGE EXTERNAL", "TRUNCATE " + String.join(", ", TABLES));
        p.target("TRUNCATE " + String.join(", ", TABLES));
    }

    private static Pipeline pipeline(TestDatabases dbs) throws Exception {
        Pipeline p = new Pipeline(dbs, "cluster");
        create(p);
        Map<String, String> source = p.sourceConfig();
        source.put("snapshot.mode", "no_data");
        p.startSource(source);
        Map<String, String> sink = p.sinkConfig();
        sink.put("tasks.max", "2");
        sink.put("batch.size", "1000");
        p.startSink(sink);
        return p;
    }

    /** Waits for the write load to end and for both connectors to run. */
    private static void finish(WriteLoad load, Pipeline p, TestDatabases dbs) throws InterruptedException {
        load.awaitEnd(Duration.ofSeconds(600));
        dbs.services().connect().awaitRunning(p.sinkName, Duration.ofSeconds(120));
        dbs.services().connect().awaitRunning(p.sourceName, Duration.ofSeconds(120));
    }

    /** Rounds of production-shaped changes, each a few seconds of work for the pipeline. */
    private static void load(Pipeline p, Random random, int rounds) throws Exception {
        for (int r = 0; r < rounds; r++) {
            int base = r * 100_000;
            StringBuilder copy = new StringBuilder();
            for (int i = 0; i < 8000 + random.nextInt(4000); i++) {
                copy.append(i % 97).append("\tround ").append(r).append('\n');
            }
            try (Connection c = p.dbs.openSource()) {
                new org.postgresql.copy.CopyManager(c.unwrap(org.postgresql.core.BaseConnection.class))
                        .copyIn("COPY loose FROM STDIN", new java.io.StringReader(copy.toString()));
            }
            p.source("INSERT INTO orders SELECT i, CASE WHEN i % 5 = 0 THEN NULL ELSE 'open' END, i * 1.25, "
                            + "CASE WHEN i % 10 = 0 THEN repeat(md5(i::text), 300) END FROM generate_series(" + (base + 1) + ", " + (base + 3000) + ") i",
                    "INSERT INTO notes SELECT i, 'note ' || i, ARRAY['a', 'b' || i] FROM generate_series(" + (base + 1) + ", " + (base + 2000) + ") i",
                    // Larger than a batch: one transaction of 2,500 updates, inserts and deletes.
                    "BEGIN; UPDATE orders SET status = 'paid' WHERE id BETWEEN " + (base + 1) + " AND " + (base + 1500) + "; "
                            + "INSERT INTO series SELECT '2026-01-01'::timestamptz + (i + " + base + ") * INTERVAL '1 minute', i % 9, i FROM generate_series(1, 1000) i; "
                            + "DELETE FROM notes WHERE id % 7 = 0 AND id > " + base + "; COMMIT",
                    // Key changes of rows whose large values stay unchanged.
                    "UPDATE orders SET id = id + 50000 WHERE id % 10 = 0 AND id BETWEEN " + (base + 1) + " AND " + (base + 3000),
                    "UPDATE series SET ts = ts + INTERVAL '2 days' WHERE dev = " + (r % 9) + " AND ts >= '2026-01-01'::timestamptz + " + base + " * INTERVAL '1 minute'",
                    // Keys moving back and forth, some rows' large values unchanged, others changed in the same statement.
                    "UPDATE orders SET id = -id, big = CASE WHEN id % 20 = 0 THEN big ELSE big || 'x' END WHERE id % 10 = 0 AND id BETWEEN "
                            + (base + 50001) + " AND " + (base + 53000),
                    "UPDATE orders SET id = -id WHERE id < 0 AND id % 30 = 0");
            if (r % 3 == 2) {
                // A TRUNCATE between inserts, on a table spread over partitions when the test spreads them.
                p.source("BEGIN; INSERT INTO notes SELECT i, 'before', NULL FROM generate_series(" + (base + 90001) + ", " + (base + 90100) + ") i; "
                        + "TRUNCATE notes; INSERT INTO notes SELECT i, 'after', ARRAY['t'] FROM generate_series(" + (base + 91001) + ", " + (base + 91500)
                        + ") i; COMMIT");
            }
            Thread.sleep(300 + random.nextInt(700));
        }
    }
}

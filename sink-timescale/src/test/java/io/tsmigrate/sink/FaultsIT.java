package io.tsmigrate.sink;

import io.tsmigrate.sink.sql.Sql;

import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import io.tsmigrate.testkit.WriteLoad;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;


/**
 * Faults while the sink writes: the Connect worker killed with SIGKILL and restarted, the target database
 * restarted, the source's walsender terminated, the Kafka broker stopped and started. In the end every table, including one without a key, equals the source: nothing lost, nothing
 * doubled.
 */
@ExtendWith(ServicesExtension.class)
class FaultsIT {

    @Test
    @DisplayName("kill -9 of the Connect worker while the sink writes, then a restart: equal, no duplicate even without a key")
    void connect_worker_killed(TestDatabases dbs) throws Exception {
        NativeServices natives = natives(dbs);
        try (Pipeline p = pipeline(dbs, "kill")) {
            try (WriteLoad w = writer(p)) {
                Thread.sleep(4000);
                natives.kill("connect");
                Thread.sleep(2000);
                natives.start("connect");
                dbs.services().connect().awaitRunning(p.sinkName, Duration.ofSeconds(120));
                Thread.sleep(4000);
            }
            p.awaitEqual(Duration.ofSeconds(120), "accounts", "events");
        }
    }

    @Test
    @DisplayName("the target database restarted mid-run: the task recovers by itself, equal in the end")
    void target_restarted(TestDatabases dbs) throws Exception {
        NativeServices natives = natives(dbs);
        try (Pipeline p = pipeline(dbs, "tgt")) {
            try (WriteLoad w = writer(p)) {
                Thread.sleep(3000);
                natives.stop("target");
                Thread.sleep(3000);
                natives.start("target");
                Thread.sleep(4000);
            }
            p.awaitEqual(Duration.ofSeconds(120), "accounts", "events");
            p.assertSinkNotFailed();
        }
    }

    @Test
    @DisplayName("the source's walsender terminated four times at random points during large inserts and transactions: Debezium reconnects, equal")
    void walsender_terminated(TestDatabases dbs) throws Exception {
        long seed = Long.getLong("tsmigrate.it.seed", System.nanoTime());
        System.out.println("[FaultsIT] walsender seed " + seed + " (replay: -Dtsmigrate.it.seed=" + seed + ")");
        java.util.Random random = new java.util.Random(seed);
        try (Pipeline p = pipeline(dbs, "wals")) {
            String slot = "slot_" + p.prefix.replaceAll("[^a-z0-9_]", "_");
            int terminated = 0;
            try (WriteLoad w = writer(p); Connection c = p.dbs.openSource(); Statement st = c.createStatement()) {
                String active = "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND active_pid IS NOT NULL";
                for (int i = 0; i < 4; i++) {
                    // One statement, one WAL record per page of rows: many changes at one position.
                    st.execute("INSERT INTO events SELECT '2027-01-01'::timestamptz + g * INTERVAL '1 ms' + " + i + " * INTERVAL '1 day', -1, g "
                            + "FROM generate_series(1, 20000) g");
                    Thread.sleep(100 + random.nextInt(2000));
                    // Debezium reconnects after its retriable.restart.connector.wait.ms (10 s): wait for its walsender. A
                    // walsender terminated while Debezium is still starting its stream costs more: Debezium retries
                    // starting the copy for about a minute before it restarts (seen in CI: 70 s), so wait up to 3 minutes.
                    for (int wait = 0; wait < 1800; wait++) {
                        if ("1".equals(Pipeline.one(c, active)) && !"0".equals(Pipeline.one(c, "SELECT count(pg_terminate_backend(active_pid)) "
                                + "FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND active_pid IS NOT NULL"))) {
                            terminated++;
                            System.out.println("[FaultsIT] terminated the walsender of " + slot);
                            break;
                        }
                        Thread.sleep(100);
                    }
                }
                Thread.sleep(3000);
            }
            org.assertj.core.api.Assertions.assertThat(terminated).as("walsenders terminated").isEqualTo(4);
            p.awaitEqual(Duration.ofSeconds(180), "accounts", "events");
            p.assertSourceNotFailed();
            p.assertSinkNotFailed();
        }
    }

    @Test
    @DisplayName("the Kafka broker stopped for 8 s while both connectors run: they recover by themselves, equal in the end")
    void broker_restarted(TestDatabases dbs) throws Exception {
        NativeServices natives = natives(dbs);
        try (Pipeline p = pipeline(dbs, "broker")) {
            try (WriteLoad w = writer(p)) {
                Thread.sleep(3000);
                natives.stop("kafka");
                Thread.sleep(8000);
                natives.start("kafka");
                Thread.sleep(5000);
            }
            p.awaitEqual(Duration.ofSeconds(240), "accounts", "events");
            p.assertSourceNotFailed();
            p.assertSinkNotFailed();
        }
    }

    /**
     * An ambiguous commit, aimed at precisely: the target waits, after each commit is durable, for a synchronous
     * standby that does not exist (synchronous_commit on for the sink's database, synchronous_standby_names naming
     * nobody), so every sink COMMIT is written and then hangs in SyncRep. Terminating that backend then is the moment
     * a client cannot know whether its transaction committed: it did, and the task only sees its connection die.
     * The retry must find its own rows and offsets in the target and apply nothing twice.
     */
    @Test
    @DisplayName("the sink's connection killed three times while its COMMIT is durable but unacknowledged: the retry applies nothing twice, equal")
    void ambiguous_commit(TestDatabases dbs) throws Exception {
        natives(dbs);
        try (Pipeline p = new Pipeline(dbs, "ambig")) {
            p.both("CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, balance bigint NOT NULL, touched int NOT NULL DEFAULT 0)",
                    "CREATE TABLE IF NOT EXISTS events (ts timestamptz NOT NULL, account int, amount bigint)");
            p.target("SELECT create_hypertable('events', by_range('ts', INTERVAL '1 hour'), if_not_exists => true)");
            p.source("TRUNCATE accounts, events", "INSERT INTO accounts SELECT i, 1000 FROM generate_series(1, 200) i");
            p.target("TRUNCATE accounts, events");
            String database;
            try (Connection c = dbs.openTarget()) {
                database = Pipeline.one(c, "SELECT current_database()");
            }
            String app = "tsmigrate-sink " + p.sinkName;
            int terminated = 0;
            try {
                p.target("ALTER DATABASE " + Sql.ident(database) + " SET synchronous_commit = on",
                        "ALTER SYSTEM SET synchronous_standby_names = 'tsmigrate_no_such_standby'", "SELECT pg_reload_conf()");
                p.start();
                try (WriteLoad w = writer(p); Connection c = dbs.openTarget(); Statement st = c.createStatement()) {
                    // A backend of the sink waiting in SyncRep has written its commit record: terminate exactly then.
                    String waiting = "SELECT pid FROM pg_stat_activity WHERE application_name = '" + app + "' AND wait_event = 'SyncRep'";
                    for (int wait = 0; wait < 1200 && terminated < 3; wait++) {
                        String pid = Pipeline.one(c, waiting);
                        if (pid != null && "t".equals(Pipeline.one(c, "SELECT pg_terminate_backend(" + pid + ")"))) {
                            terminated++;
                            System.out.println("[FaultsIT] terminated sink backend " + pid + " waiting in SyncRep after its commit record");
                            Thread.sleep(1500);
                        }
                        Thread.sleep(50);
                    }
                }
            } finally {
                p.target("ALTER SYSTEM RESET synchronous_standby_names", "SELECT pg_reload_conf()",
                        "ALTER DATABASE " + Sql.ident(database) + " RESET synchronous_commit");
            }
            org.assertj.core.api.Assertions.assertThat(terminated).as("sink backends terminated inside their commit").isEqualTo(3);
            p.awaitEqual(Duration.ofSeconds(180), "accounts", "events");
            p.assertSinkNotFailed();
        }
    }

    private static NativeServices natives(TestDatabases dbs) {
        org.assertj.core.api.Assertions.assertThat(dbs.services().natives()).as("fault tests need the native services (the test kit starts them when no service is configured; see README)").isPresent();
        return dbs.services().natives().orElseThrow();
    }

    private static Pipeline pipeline(TestDatabases dbs, String name) throws Exception {
        Pipeline p = new Pipeline(dbs, name);
        p.both("CREATE TABLE IF NOT EXISTS accounts (id int PRIMARY KEY, balance bigint NOT NULL, touched int NOT NULL DEFAULT 0)",
                "CREATE TABLE IF NOT EXISTS events (ts timestamptz NOT NULL, account int, amount bigint)");
        p.target("SELECT create_hypertable('events', by_range('ts', INTERVAL '1 hour'), if_not_exists => true)");
        p.source("TRUNCATE accounts, events", "INSERT INTO accounts SELECT i, 1000 FROM generate_series(1, 200) i");
        p.target("TRUNCATE accounts, events");
        p.start();
        return p;
    }

    /** Keeps transferring money between accounts and logging events on the source until closed. */
    private static WriteLoad writer(Pipeline p) {
        return WriteLoad.repeat("transfers", p.dbs::openSource, 5, (st, n) -> {
            int from = ThreadLocalRandom.current().nextInt(1, 201);
            int to = ThreadLocalRandom.current().nextInt(1, 201);
            st.execute("BEGIN; UPDATE accounts SET balance = balance - 7, touched = touched + 1 WHERE id = " + from
                    + "; UPDATE accounts SET balance = balance + 7, touched = touched + 1 WHERE id = " + to
                    + "; INSERT INTO events SELECT '2026-01-01'::timestamptz + " + n + " * INTERVAL '1 s', " + from + ", g FROM generate_series(1, 5) g; COMMIT");
            if ((n + 1) % 20 == 0) {
                st.execute("DELETE FROM accounts WHERE id = (SELECT max(id) FROM accounts); INSERT INTO accounts VALUES ("
                        + (1000 + n + 1) + ", 5, 0)");
            }
            return true;
        });
    }
}

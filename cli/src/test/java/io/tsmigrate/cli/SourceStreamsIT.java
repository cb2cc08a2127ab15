package io.tsmigrate.cli;

import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.NativeServices;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.Seed;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import io.tsmigrate.testkit.WriteLoad;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Random;

import static io.tsmigrate.cli.CliIT.args;
import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A migration with two source streams ({@code --sources 2}): the tables split over two publications, slots and
 * Debezium connectors. The application writes the whole time, also while the bootstrap makes the second stream's slot
 * before the snapshot's and moves it to the snapshot's point: no change may be lost or applied twice on either stream
 * (a keyless table shows a doubled insert, a key changed on a wide row shows a lost one), also when one stream's
 * connector is restarted and then the Connect worker killed at random moments (seed printed).
 */
@ExtendWith(ServicesExtension.class)
class SourceStreamsIT {

    private static final String[][] TABLES = {{"public", "orders"}, {"public", "metrics"}, {"app", "Straße Log"}, {"app", "accounts"}};

    @Test
    @DisplayName("two source streams under writes: each table in one stream, both from the snapshot's point; cutover equal; status and clean see both")
    void two_source_streams(TestDatabases dbs) throws Exception {
        long seed = Seed.of("SourceStreamsIT");
        Random random = new Random(seed);
        PgEndpoint[] pair = CliIT.freshPair(dbs, "lanes");
        try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA app");
            st.execute("CREATE TABLE orders (id bigint PRIMARY KEY, status text DEFAULT 'new', total numeric(12,2), big text)");
            st.execute("INSERT INTO orders SELECT i, CASE WHEN i % 7 = 0 THEN NULL ELSE 'open' END, i * 1.5, "
                    + "CASE WHEN i % 50 = 0 THEN repeat(md5(i::text), 400) END FROM generate_series(1, 20000) i");
            st.execute("CREATE TABLE metrics (ts timestamptz NOT NULL, device int NOT NULL, value double precision, PRIMARY KEY (device, ts))");
            st.execute("INSERT INTO metrics SELECT '2026-01-01'::timestamptz + i * INTERVAL '1 minute', i % 20, i FROM generate_series(1, 30000) i");
            // Keyless: only inserts reach it, as COPY and multi-row statements; a doubled or lost insert changes its digest.
            st.execute("CREATE TABLE app.\"Straße Log\" (at timestamptz DEFAULT now(), line text, n int)");
            st.execute("INSERT INTO app.\"Straße Log\" (line, n) SELECT 'line ' || i, i % 3 FROM generate_series(1, 8000) i");
            st.execute("CREATE TABLE app.accounts (id int, owner text, balance bigint, tags text[], note text)");
            st.execute("ALTER TABLE app.accounts REPLICA IDENTITY FULL");
            st.execute("INSERT INTO app.accounts SELECT i, 'owner ' || i, 0, ARRAY['a', 'b' || i], CASE WHEN i % 10 = 0 THEN repeat('n', 5000) END "
                    + "FROM generate_series(1, 3000) i");
            st.execute("ANALYZE");
        }
        List<String> ep = List.of("--source-url", pair[0].jdbcUrl(), "--target-url", pair[1].jdbcUrl(), "--connect", dbs.services().connectUrl(),
                "--kafka", dbs.services().kafkaBootstrap(), "--name", "lanes");
        try {
            CliIT.Run migrate;
            try (WriteLoad writer = WriteLoad.repeat("two-streams", () -> Services.open(pair[0]), 3, (st, n) -> {
                long id = 100_000 + n;
                st.execute("BEGIN; INSERT INTO orders (id, status, total) VALUES (" + id + ", " + (n % 4 == 0 ? "NULL" : "DEFAULT") + ", " + n + "), ("
                        + (id + 500_000) + ", 'multi', NULL); "
                        + "UPDATE orders SET total = total + 1 WHERE id = " + (1 + random.nextInt(20000)) + "; "
                        + "INSERT INTO app.\"Straße Log\" (line, n) SELECT 'live ' || " + n + ", g FROM generate_series(1, 3) g; "
                        + "UPDATE app.accounts SET balance = balance + 1 WHERE id = " + (1 + random.nextInt(3000)) + "; COMMIT");
                st.execute("INSERT INTO metrics VALUES ('2027-01-01'::timestamptz + " + n + " * INTERVAL '1 s', " + (n % 20) + ", " + n + ")");
                if (n % 40 == 0) {
                    // A key change on a wide row whose large value stays unchanged.
                    st.execute("UPDATE orders SET id = -id WHERE id = " + (50 * (1 + random.nextInt(400))));
                }
                return true;
            })) {
                migrate = tsmigrate(args(ep, "migrate", "--sources", "2", "--hypertable", "public.metrics:ts:1day", "--jobs", "2",
                        "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
                System.out.println(migrate.out());
                assertThat(migrate.code()).as(migrate.out()).isZero();
                assertThat(migrate.out()).contains("2 source streams, all from").contains("lanes_2").contains("READY for cutover");
                long before = writer.rounds();
                restartStreamThenKillWorker(dbs, new Random(seed ^ 0x5eed), "lanes");
                Thread.sleep(2000);
                assertThat(writer.rounds()).as("writes go on while both streams run").isGreaterThan(before);
            }
            // After the worker's restart both streams take their slots again. A killed worker's WAL senders can hold a
            // slot until the server notices the connection is gone; the new task then retries: status is asked again
            // until it shows both slots taken (or the deadline passes and the assertion below says what it saw).
            CliIT.Run status = tsmigrate(args(ep, "status"));
            for (long end = System.nanoTime() + 120_000_000_000L; System.nanoTime() < end
                    && !(status.out().contains("lanes (active)") && status.out().contains("lanes_2 (active)")); ) {
                Thread.sleep(1000);
                status = tsmigrate(args(ep, "status"));
            }
            System.out.println(status.out());
            assertThat(status.out()).contains("connector lanes-source-2").contains("slot of stream 2").contains("lanes_2 (active)");
            assertThat(status.out()).doesNotContain("WARNING");
            try (Connection s = Services.open(pair[0]); Statement st = s.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pubname, count(*) FROM pg_publication_tables WHERE pubname IN ('lanes', 'lanes_2') GROUP BY 1 ORDER BY 1")) {
                int publications = 0;
                while (rs.next()) {
                    publications++;
                    assertThat(rs.getInt(2)).as("tables of " + rs.getString(1)).isPositive();
                }
                assertThat(publications).as("both streams have tables").isEqualTo(2);
            }
            CliIT.Run cutover = tsmigrate(args(ep, "cutover", "--timeout", "180"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            assertThat(cutover.out()).contains("target ready: 4 tables equal").contains("lanes-source-2");
            try (Connection s = Services.open(pair[0]); Connection t = Services.open(pair[1])) {
                for (String[] table : TABLES) {
                    assertThat(Digest.table(t, table[0], table[1])).as(table[1]).isEqualTo(Digest.table(s, table[0], table[1]));
                }
            }
            CliIT.Run clean = tsmigrate(args(ep, "clean", "--yes"));
            assertThat(clean.code()).as(clean.out()).isZero();
            try (Connection s = Services.open(pair[0]); Statement st = s.createStatement();
                 ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM pg_replication_slots WHERE slot_name IN ('lanes', 'lanes_2')) "
                         + "+ (SELECT count(*) FROM pg_publication WHERE pubname IN ('lanes', 'lanes_2'))")) {
                rs.next();
                assertThat(rs.getInt(1)).as("slots and publications of both streams left after clean").isZero();
            }
        } finally {
            tsmigrate(args(ep, "clean", "--yes"));
            CliIT.dropPair(pair);
        }
    }

    /**
     * Faults while both streams of migration {@code name} run, at random moments: stream 2's connector restarted, then
     * the whole worker killed (kill -9) and started again; returns once every connector runs again.
     */
    static void restartStreamThenKillWorker(TestDatabases dbs, Random faults, String name) throws Exception {
        Thread.sleep(500 + faults.nextInt(2000));
        dbs.services().connect().restart(name + "-source-2");
        System.out.println("[" + name + "] restarted " + name + "-source-2");
        Thread.sleep(500 + faults.nextInt(2000));
        if (dbs.services().natives().isPresent()) {
            NativeServices natives = dbs.services().natives().orElseThrow();
            natives.kill("connect");
            System.out.println("[" + name + "] killed the Connect worker (kill -9)");
            Thread.sleep(500 + faults.nextInt(2000));
            natives.start("connect");
        }
        for (String connector : List.of(name + "-source", name + "-source-2", name + "-sink")) {
            dbs.services().connect().awaitRunning(connector, java.time.Duration.ofSeconds(120));
        }
    }
}

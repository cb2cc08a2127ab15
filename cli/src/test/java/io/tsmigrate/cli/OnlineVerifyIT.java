package io.tsmigrate.cli;

import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import io.tsmigrate.testkit.WriteLoad;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Online verification while writes go on, the sink's change ledger, cutover comparing only what changed since,
 * and repair: a keyed table (by key range), a hypertable (by time range), a keyless REPLICA IDENTITY FULL table
 * (one range) and a table with a unicode name, on the shipped templates through {@code migrate}.
 */
@ExtendWith(ServicesExtension.class)
class OnlineVerifyIT {

    private static final List<String[]> TABLES = List.of(new String[] {"app", "accounts"}, new String[] {"app", "metrics"},
            new String[] {"app", "notes"}, new String[] {"app", "Straße Items"});

    @Test
    @DisplayName("verify --online under writes; a corrupted target range found by --full and named; cutover compares only changed ranges; repair fixes only the bad range")
    void online_verification_ledger_cutover_and_repair(TestDatabases dbs) throws Exception {
        PgEndpoint[] pair = CliIT.freshPair(dbs, "onv");
        PgEndpoint srcDb = pair[0];
        PgEndpoint tgtDb = pair[1];
        long seed = Long.getLong("it.seed", System.nanoTime());
        System.out.println("OnlineVerifyIT seed " + seed + " (-Dit.seed=" + seed + " replays it)");
        try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
            st.execute("CREATE SCHEMA app");
            st.execute("CREATE TABLE app.accounts (id bigint PRIMARY KEY, balance int NOT NULL, status text DEFAULT 'new', filler text)");
            st.execute("INSERT INTO app.accounts SELECT i, i % 1000, CASE WHEN i % 10 = 0 THEN NULL ELSE 'open' END, repeat('f', 80) "
                    + "FROM generate_series(1, 200000) i");
            st.execute("CREATE TABLE app.metrics (device int NOT NULL, ts timestamptz NOT NULL, v double precision, PRIMARY KEY (device, ts))");
            st.execute("INSERT INTO app.metrics SELECT i % 50, TIMESTAMPTZ '2026-11-01 00:00:00+00' + i * INTERVAL '7 seconds', i * 0.5 "
                    + "FROM generate_series(1, 100000) i");
            st.execute("CREATE TABLE app.notes (a text, b int)");
            st.execute("ALTER TABLE app.notes REPLICA IDENTITY FULL");
            // Keyless: split on its integer column b, whose NULLs are a range of their own.
            st.execute("INSERT INTO app.notes SELECT 'n' || i, CASE WHEN i % 100 = 0 THEN NULL ELSE i END FROM generate_series(1, 3000) i");
            st.execute("CREATE TABLE app.\"Straße Items\" (\"Id\" int PRIMARY KEY, label text)");
            st.execute("INSERT INTO app.\"Straße Items\" SELECT i, 'l' || i FROM generate_series(1, 5000) i");
            st.execute("ANALYZE");
        }
        Path config = Path.of("target", "online-verify-it.yaml").toAbsolutePath();
        Files.createDirectories(config.getParent());
        Files.writeString(config, String.join("\n", "source-url: " + srcDb.jdbcUrl(), "target-url: " + tgtDb.jdbcUrl(),
                "connect: " + dbs.services().connectUrl(), "kafka: " + dbs.services().kafkaBootstrap(), "name: onv",
                "pg-bin: " + dbs.services().pgBin().orElseThrow(), ""));
        String cfg = "--config=" + config;
        Random random = new Random(seed);
        try {
            CliIT.Run migrate = tsmigrate("migrate", cfg, "--hypertable", "app.metrics:ts:1day");
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE app.late (id int PRIMARY KEY)");
            }
            CliIT.Run first;
            try (WriteLoad writer = WriteLoad.repeat("accounts-metrics-notes", () -> Services.open(srcDb), 15, (st, n) -> {
                long id = 1 + random.nextInt(200000);
                st.execute("UPDATE app.accounts SET balance = balance + 1, status = NULL WHERE id = " + id);
                st.execute("INSERT INTO app.metrics VALUES (" + random.nextInt(50) + ", TIMESTAMPTZ '2026-11-01 00:00:00+00' + "
                        + random.nextInt(700000) + " * INTERVAL '1 second' + INTERVAL '0.5 seconds', 1) ON CONFLICT DO NOTHING");
                st.execute("UPDATE app.notes SET b = b + 1 WHERE a = 'n" + (1 + random.nextInt(3000)) + "'");
                return true;
            })) {
                first = tsmigrate("verify", cfg, "--online", "--full", "--rate", "0");
                System.out.println(first.out());
                assertThat(first.code()).as(first.out()).isZero();
                assertThat(first.out()).contains("All 4 tables equal.").contains("NOT MIGRATED app.late: created on the source after the bootstrap");
                assertThat(writer.rounds()).as("writes went on during the pass").isGreaterThan(20);
            }

            // What changed during the first pass is in the ledger: the second pass compares only that.
            CliIT.Run second = tsmigrate("verify", cfg, "--online");
            System.out.println(second.out());
            assertThat(second.code()).as(second.out()).isZero();
            assertThat(ranges(second.out())).isPositive().isLessThan(ranges(first.out()));
            CliIT.Run third = tsmigrate("verify", cfg, "--online");
            System.out.println(third.out());
            // Only the writes still streaming when the second pass read the ledger can be left.
            assertThat(ranges(third.out())).isLessThan(ranges(second.out()));

            // A target row changed behind the sink's back: not in the ledger, so a full pass finds it, by its range.
            try (Connection t = Services.open(tgtDb); Statement st = t.createStatement()) {
                st.execute("UPDATE app.accounts SET balance = -1 WHERE id = 123456");
                st.execute("DELETE FROM app.metrics WHERE ts = (SELECT min(ts) FROM app.metrics WHERE ts >= '2026-11-03 05:00:00+00')");
                st.execute("UPDATE app.notes SET a = 'corrupt' WHERE a = 'n1500'");
            }
            CliIT.Run full = tsmigrate("verify", cfg, "--online", "--full", "--rate", "0");
            System.out.println(full.out());
            assertThat(full.code()).isEqualTo(1);
            assertThat(full.out()).contains("id 123440 to 123459: same count, different rows")
                    .contains("ts from 2026-11-03T05:00:00Z to 2026-11-03T05:05:00Z: rows").contains("b IS NULL: same count, different rows")
                    .contains("3 of 4 tables differ.");

            // A change after the last pass: cutover compares that range and the three that differ, nothing else.
            try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
                st.execute("UPDATE app.accounts SET balance = 0 WHERE id BETWEEN 5000 AND 5010");
            }
            CliIT.Run refused = tsmigrate("cutover", cfg, "--timeout", "120");
            System.out.println(refused.out());
            assertThat(refused.code()).isEqualTo(1);
            assertThat(refused.out()).contains("Verified online before: 4 tables; compared again 4 ranges").contains("id 123440 to 123459");

            String outside = outsideDigest(tgtDb);
            CliIT.Run repair = tsmigrate("verify", cfg, "--repair");
            System.out.println(repair.out());
            assertThat(repair.code()).as(repair.out()).isZero();
            assertThat(repair.out()).contains("REPAIRED app.accounts, id 123440 to 123459: 20 target rows deleted, 20 rows copied")
                    .contains("REPAIRED app.metrics, ts from 2026-11-03T05:00:00Z").contains("REPAIRED app.notes, b IS NULL: 30 target rows deleted, 30 rows copied")
                    .contains("All 4 tables equal.");
            assertThat(outsideDigest(tgtDb)).as("repair touched nothing outside the bad ranges").isEqualTo(outside);

            // A follower (its own process, as a user runs it) compares what changes, pass after pass; once writes stop
            // and it has passed over them, cutover has nothing left to compare, and the follower ends with the stream.
            Path followLog = Path.of("target", "online-verify-follow.log").toAbsolutePath();
            Process follower = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                    Path.of("target", "tsmigrate.jar").toAbsolutePath().toString(), "verify", cfg, "--online", "--follow")
                    .redirectErrorStream(true).redirectOutput(followLog.toFile()).start();
            try {
                try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
                    for (int i = 0; i < 30; i++) {
                        st.execute("UPDATE app.accounts SET balance = balance + 1 WHERE id = " + (1 + random.nextInt(200000)));
                        st.execute("UPDATE app.notes SET b = NULL WHERE a = 'n" + (1 + random.nextInt(3000)) + "'");
                        Thread.sleep(100);
                    }
                }
                Instant stopped = Instant.now();
                // Two more passes begun after the last write: the second one starts with nothing changed.
                long until = System.currentTimeMillis() + 120_000;
                while (passesAfter(followLog, stopped) < 2 && System.currentTimeMillis() < until) {
                    Thread.sleep(500);
                }
                assertThat(passesAfter(followLog, stopped)).as(Files.readString(followLog)).isGreaterThanOrEqualTo(2);
                assertThat(Files.readString(followLog)).contains("follow: pass 2 compared").doesNotContain("DIFFERENT");
                CliIT.Run cutover = tsmigrate("cutover", cfg, "--timeout", "120");
                System.out.println(cutover.out());
                assertThat(cutover.code()).as(cutover.out()).isZero();
                assertThat(cutover.out()).contains("Verified online before: 4 tables; compared again 0 ranges");
                assertThat(follower.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as(Files.readString(followLog)).isTrue();
                assertThat(follower.exitValue()).as(Files.readString(followLog)).isZero();
                assertThat(Files.readString(followLog)).contains("follow: the stream has stopped (cutover); done");
            } finally {
                follower.destroyForcibly();
                System.out.println(Files.readString(followLog));
            }
            // After cutover (connectors paused) a full online pass compares everything once, without waiting for a stream.
            CliIT.Run after = tsmigrate("verify", cfg, "--online", "--full", "--rate", "0", "--timeout", "60");
            System.out.println(after.out());
            assertThat(after.code()).as(after.out()).isZero();
            assertThat(after.out()).contains("All 4 tables equal.");
            try (Connection s = Services.open(srcDb); Connection t = Services.open(tgtDb)) {
                for (String[] table : TABLES) {
                    assertThat(Digest.table(t, table[0], table[1])).as(table[1]).isEqualTo(Digest.table(s, table[0], table[1]));
                }
            }
        } finally {
            tsmigrate("clean", cfg, "--yes");
            CliIT.dropPair(srcDb, tgtDb);
        }
    }

    /**
     * The follower's passes that began after {@code instant}: a pass's line is printed at its end and names its
     * length; its end is taken as when this (polled twice a second) first saw the line.
     */
    private static long passesAfter(Path log, Instant instant) throws Exception {
        long n = 0;
        for (String l : Files.readAllLines(log)) {
            Matcher m = Pattern.compile("^follow: pass \\d+ .* in ([0-9.]+) s[ ;]").matcher(l);
            if (m.find()) {
                Instant end = seen.computeIfAbsent(l, k -> Instant.now());
                if (end.minusMillis((long) (Double.parseDouble(m.group(1)) * 1000) + 500).isAfter(instant)) {
                    n++;
                }
            }
        }
        return n;
    }

    private static final java.util.Map<String, Instant> seen = new java.util.concurrent.ConcurrentHashMap<>();

    private static long ranges(String out) {
        Matcher m = Pattern.compile("Compared (\\d+) ranges").matcher(out);
        assertThat(m.find()).as(out).isTrue();
        return Long.parseLong(m.group(1));
    }

    /** A digest of the target's rows outside the three corrupted ranges, independent of the code under test. */
    private static String outsideDigest(PgEndpoint db) throws Exception {
        try (Connection c = Services.open(db); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT (SELECT count(*) || ':' || coalesce(sum(hashtext(a::text)), 0) FROM app.accounts a WHERE id NOT BETWEEN 123440 AND 123459) || '/' "
                        + "|| (SELECT count(*) || ':' || coalesce(sum(hashtext(m::text)), 0) FROM app.metrics m WHERE ts < '2026-11-03 05:00:00+00' "
                        + "OR ts >= '2026-11-03 05:05:00+00') || '/' "
                        + "|| (SELECT count(*) || ':' || coalesce(sum(hashtext(n::text)), 0) FROM app.notes n WHERE b IS NOT NULL)")) {
            rs.next();
            return rs.getString(1);
        }
    }
}

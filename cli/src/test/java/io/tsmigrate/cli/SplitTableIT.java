package io.tsmigrate.cli;

import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Seed;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import io.tsmigrate.testkit.WriteLoad;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.PGConnection;

import java.io.StringReader;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

import static io.tsmigrate.cli.CliIT.args;
import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * One hot table split over two source streams by key ({@code --sources 2 --split-table}): each stream's publication
 * holds the rows whose key hashes to it. Under writes the whole time: COPY and multi-row inserts, transactions larger
 * than a sink batch, updates, deletes, key changes of wide rows whose large value stays unchanged and that move the
 * row to the other stream (a DELETE on one, an INSERT on the other), and a TRUNCATE between inserts on both streams
 * (the sink applies it once both streams reached it), each stream's topics also spread over two partitions read by two
 * sink tasks. One stream's connector is restarted and the worker killed at random moments (seed printed). Tables that
 * cannot be split exactly are refused before anything is copied.
 */
@ExtendWith(ServicesExtension.class)
class SplitTableIT {

    @Test
    @DisplayName("a hot table split over two streams by key under writes, key moves across streams and a TRUNCATE: cutover equal")
    void hot_table_over_two_streams(TestDatabases dbs) throws Exception {
        long seed = Seed.of("SplitTableIT");
        Random random = new Random(seed);
        PgEndpoint[] pair = CliIT.freshPair(dbs, "splitk");
        try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE hot (id bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT '2026-01-01', status text DEFAULT 'new', "
                    + "n int, big text)");
            st.execute("ALTER TABLE hot REPLICA IDENTITY FULL");
            st.execute("INSERT INTO hot (id, at, status, n, big) SELECT i, '2026-01-01'::timestamptz + i * INTERVAL '1 s', "
                    + "CASE WHEN i % 9 = 0 THEN NULL ELSE 'open' END, i, CASE WHEN i % 40 = 0 THEN repeat(md5(i::text), 300) END "
                    + "FROM generate_series(1, 20000) i");
            st.execute("CREATE TABLE \"Zähler\" (k text PRIMARY KEY, v bigint)");
            st.execute("INSERT INTO \"Zähler\" SELECT 'k' || i, 0 FROM generate_series(1, 200) i");
            st.execute("ANALYZE");
        }
        List<String> ep = List.of("--source-url", pair[0].jdbcUrl(), "--target-url", pair[1].jdbcUrl(), "--connect", dbs.services().connectUrl(),
                "--kafka", dbs.services().kafkaBootstrap(), "--name", "splitk");
        AtomicBoolean streaming = new AtomicBoolean();
        AtomicBoolean truncated = new AtomicBoolean();
        try {
            try (WriteLoad writer = WriteLoad.repeat("split-table", () -> Services.open(pair[0]), 3, (st, n) -> {
                long id = 1_000_000 + n * 10;
                if (n % 25 == 0) {
                    // COPY of 3,000 rows in one transaction, larger than a sink batch, some with large values.
                    StringBuilder rows = new StringBuilder();
                    for (int i = 1; i <= 3000; i++) {
                        rows.append(10_000_000 + n * 4000 + i).append('\t').append(i % 5 == 0 ? "\\N" : "copied").append('\t').append(i)
                                .append('\t').append(i % 500 == 0 ? "x".repeat(9000) : "\\N").append('\n');
                    }
                    st.getConnection().unwrap(PGConnection.class).getCopyAPI().copyIn("COPY hot (id, status, n, big) FROM STDIN",
                            new StringReader(rows.toString()));
                }
                st.execute("BEGIN; INSERT INTO hot (id, status, n, big) VALUES (" + id + ", " + (n % 4 == 0 ? "NULL" : "DEFAULT") + ", " + n
                        + ", NULL), (" + (id + 1) + ", 'multi', NULL, repeat('w', 3000)), (" + (id + 2) + ", DEFAULT, 7, NULL); "
                        + "UPDATE hot SET n = n + 1 WHERE id = " + (1 + random.nextInt(20000)) + "; "
                        + "DELETE FROM hot WHERE id = " + (1 + random.nextInt(20000)) + "; "
                        + "UPDATE \"Zähler\" SET v = v + 1 WHERE k = 'k" + (1 + random.nextInt(200)) + "'; COMMIT");
                if (n % 5 == 0) {
                    // Key changes of wide rows whose large value stays unchanged; about half move to the other stream.
                    int from = 40 * (1 + random.nextInt(500));
                    st.execute("UPDATE hot SET id = -id, n = n + 1 WHERE id IN (" + from + ", " + (from + 1) + ")");
                    st.execute("UPDATE hot SET id = id + 7 WHERE id = " + (id + 1));
                }
                if (streaming.get() && !truncated.get() && n % 7 == 3) {
                    // Rows on both streams before it, the TRUNCATE, rows on both after it; negative ids far below the key
                    // changes' (-20,000 at least), so no other write of the load (the COPYs' ids grow without bound) meets them.
                    st.execute("INSERT INTO hot (id, n) SELECT -50000000 - g, g FROM generate_series(1, 50) g");
                    st.execute("TRUNCATE hot");
                    st.execute("INSERT INTO hot (id, n, big) SELECT -60000000 - g, g, CASE WHEN g % 10 = 0 THEN repeat('t', 8000) END "
                            + "FROM generate_series(1, 400) g");
                    truncated.set(true);
                }
                return true;
            })) {
                // Each stream's topics also spread over two partitions: a TRUNCATE then has four copies (two streams, two partitions).
                CliIT.Run migrate = tsmigrate(args(ep, "migrate", "--sources", "2", "--split-table", "public.hot", "--topic-partitions", "2",
                        "--sink-tasks", "2", "--jobs", "2",
                        "--pg-bin", dbs.services().pgBin().orElseThrow().toString()));
                System.out.println(migrate.out());
                assertThat(migrate.code()).as(migrate.out()).isZero();
                assertThat(migrate.out()).contains("split over all 2 source streams").contains("spread over 2 partitions").contains("READY for cutover");
                streaming.set(true);
                SourceStreamsIT.restartStreamThenKillWorker(dbs, new Random(seed ^ 0x5eed), "splitk");
                for (long end = System.nanoTime() + 60_000_000_000L; !truncated.get() && System.nanoTime() < end; ) {
                    Thread.sleep(200);
                }
                Thread.sleep(2000);
                assertThat(truncated).as("the TRUNCATE ran while streaming").isTrue();
            }
            try (Connection s = Services.open(pair[0]); Statement st = s.createStatement();
                 ResultSet rs = st.executeQuery("SELECT pubname, rowfilter FROM pg_publication_tables WHERE tablename = 'hot' ORDER BY 1")) {
                int n = 0;
                while (rs.next()) {
                    n++;
                    assertThat(rs.getString(2)).as(rs.getString(1)).contains("hash_record").contains("% 2) = " + (n - 1));
                }
                assertThat(n).as("the hot table is in both streams' publications").isEqualTo(2);
            }
            CliIT.Run cutover = tsmigrate(args(ep, "cutover", "--timeout", "180"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            try (Connection s = Services.open(pair[0]); Connection t = Services.open(pair[1])) {
                for (String table : List.of("hot", "Zähler")) {
                    assertThat(Digest.table(t, "public", table)).as(table).isEqualTo(Digest.table(s, "public", table));
                }
                try (Statement st = t.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE id BETWEEN -50000050 AND -50000001), "
                        + "count(*) FILTER (WHERE id BETWEEN -60000400 AND -60000001) FROM hot")) {
                    rs.next();
                    assertThat(rs.getInt(1)).as("rows before the TRUNCATE").isZero();
                    assertThat(rs.getInt(2)).as("rows after the TRUNCATE").isEqualTo(400);
                }
            }
        } finally {
            tsmigrate(args(ep, "clean", "--yes"));
            CliIT.dropPair(pair);
        }
    }

    @Test
    @DisplayName("tables that cannot be split exactly are refused before anything is copied, each with its fix")
    void refusals(TestDatabases dbs) throws Exception {
        PgEndpoint[] pair = CliIT.freshPair(dbs, "splitno");
        try (Connection c = Services.open(pair[0]); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE wide (id int PRIMARY KEY, note text)");
            st.execute("CREATE TABLE twokeys (id int PRIMARY KEY, email text UNIQUE)");
            st.execute("ALTER TABLE twokeys REPLICA IDENTITY FULL");
            st.execute("CREATE TABLE keyless (n int)");
            st.execute("CREATE TABLE other (id int PRIMARY KEY)");
            st.execute("CREATE COLLATION caseless (provider = icu, locale = 'und-u-ks-level2', deterministic = false)");
            st.execute("CREATE TABLE caseless_keys (k text COLLATE caseless PRIMARY KEY, n int)");
        }
        List<String> ep = List.of("--source-url", pair[0].jdbcUrl(), "--target-url", pair[1].jdbcUrl(), "--name", "splitno");
        String pgBin = dbs.services().pgBin().orElseThrow().toString();
        try {
            CliIT.Run one = tsmigrate(args(ep, "bootstrap", "--split-table", "public.other", "--pg-bin", pgBin));
            assertThat(one.code()).as(one.out()).isNotZero();
            assertThat(one.out()).contains("give --sources 2 or more");
            CliIT.Run bad = tsmigrate(args(ep, "bootstrap", "--sources", "2", "--split-table", "wide,twokeys,keyless,caseless_keys,public.nosuch", "--pg-bin", pgBin));
            System.out.println(bad.out());
            assertThat(bad.code()).as(bad.out()).isNotZero();
            assertThat(bad.out()).contains("--split-table public.wide: ").contains("REPLICA IDENTITY FULL")
                    .contains("--split-table public.twokeys: it has unique indexes").contains("--split-table public.keyless: it has no primary key")
                    .contains("--split-table public.nosuch: no such table")
                    .contains("--split-table public.caseless_keys: its key column(s) k have no built-in hash function for the row filter, or a "
                            + "nondeterministic collation");
            try (Connection t = Services.open(pair[1]); Statement st = t.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")) {
                rs.next();
                assertThat(rs.getInt(1)).as("nothing copied to the target").isZero();
            }
            try (Connection s = Services.open(pair[0]); Statement st = s.createStatement();
                 ResultSet rs = st.executeQuery("SELECT (SELECT count(*) FROM pg_publication) + (SELECT count(*) FROM pg_replication_slots "
                         + "WHERE database = current_database())")) {
                rs.next();
                assertThat(rs.getInt(1)).as("no publication or slot made").isZero();
            }
        } finally {
            CliIT.dropPair(pair);
        }
    }
}

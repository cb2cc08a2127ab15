package io.tsmigrate.bootstrap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import io.tsmigrate.common.Db;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The bootstrap killed (SIGKILL) in the middle of the copy: a rerun resumes from the copied pieces against the
 * same snapshot and ends equal; with the snapshot gone, a rerun refuses and --restart starts over.
 */
@ExtendWith(ServicesExtension.class)
class BootstrapResumeIT {

    /** Both tests bootstrap the same pair of databases: each starts from empty ones (no tables, slots, keepers or state). */
    @BeforeEach
    void clean(TestDatabases dbs) throws Exception {
        try (Connection s = dbs.openSource(); Statement st = s.createStatement()) {
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND (application_name LIKE 'tsmigrate-snapshot-keeper%' OR application_name LIKE 'tsmigrate-bootstrap%')");
            Thread.sleep(200);
            st.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active AND database = current_database()");
            st.execute("DO $$ DECLARE r record; BEGIN FOR r IN SELECT pubname FROM pg_publication LOOP EXECUTE format('DROP PUBLICATION %I', r.pubname); END LOOP; "
                    + "FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP EXECUTE format('DROP TABLE public.%I CASCADE', r.tablename); "
                    + "END LOOP; END $$");
        }
        try (Connection t = dbs.openTarget(); Statement st = t.createStatement()) {
            st.execute("DROP SCHEMA IF EXISTS tsmigrate CASCADE");
            st.execute("DO $$ DECLARE r record; BEGIN FOR r IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP "
                    + "EXECUTE format('DROP TABLE public.%I CASCADE', r.tablename); END LOOP; END $$");
        }
    }

    @Test
    @DisplayName("kill -9 mid-copy, rerun resumes and ends equal; with the snapshot gone it refuses, and --restart starts over")
    void resume_after_kill(TestDatabases dbs) throws Exception {
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE big (id bigint PRIMARY KEY, payload text, n int)");
            st.execute("INSERT INTO big SELECT i, md5(i::text) || repeat('p', 200), i % 100 FROM generate_series(1, 150000) i");
            st.execute("CREATE TABLE other (id int PRIMARY KEY, v text)");
            st.execute("INSERT INTO other SELECT i, 'v' || i FROM generate_series(1, 20000) i");
            st.execute("ANALYZE");
        }
        Path planFile = planFile(dbs, "resume_slot");

        // First run: killed once some pieces are in.
        Process first = start(planFile, false);
        waitForPieces(dbs, 3, first);
        first.destroyForcibly().waitFor();
        int doneAtKill = pieces(dbs);
        assertThat(doneAtKill).isGreaterThanOrEqualTo(3);

        // Rerun: resumes on the same snapshot.
        Result second = run(planFile, false);
        assertThat(second.code).as(second.output).isZero();
        assertThat(second.output).contains("Resuming the copy: ").contains("Bootstrap complete");
        BootstrapIT.awaitEqual(dbs, Duration.ofSeconds(5));

        // Again, but the snapshot's holder is gone before the rerun.
        try (Connection t = dbs.openTarget(); Statement st = t.createStatement()) {
            st.execute("DROP TABLE big, other");
            st.execute("DROP SCHEMA tsmigrate CASCADE");
        }
        try (Connection s = dbs.openSource(); Statement st = s.createStatement()) {
            st.execute("SELECT pg_drop_replication_slot('resume_slot')");
            st.execute("DROP PUBLICATION resume_slot");
        }
        Process third = start(planFile, false);
        waitForPieces(dbs, 2, third);
        third.destroyForcibly().waitFor();
        try (Connection s = dbs.openSource(); Statement st = s.createStatement()) {
            st.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'tsmigrate-snapshot-keeper%'");
        }
        Thread.sleep(500);
        Result refused = run(planFile, false);
        assertThat(refused.code).isEqualTo(2);
        assertThat(refused.output).contains("snapshot").contains("is gone").contains("--restart");
        Result restarted = run(planFile, true);
        assertThat(restarted.code).as(restarted.output).isZero();
        BootstrapIT.awaitEqual(dbs, Duration.ofSeconds(5));

        // Stopped after the copy, while building indexes: one key built, the other not yet. The rerun builds what is missing.
        try (Connection t = dbs.openTarget(); Statement st = t.createStatement()) {
            st.execute("UPDATE tsmigrate.bootstrap_state SET phase = 'COPIED'");
            st.execute("ALTER TABLE other DROP CONSTRAINT other_pkey");
            st.execute("DELETE FROM tsmigrate.bootstrap_post_data WHERE statement LIKE '%other_pkey%'");
        }
        Result afterIndexes = run(planFile, false);
        assertThat(afterIndexes.code).as(afterIndexes.output).isZero();
        assertThat(afterIndexes.output).contains("Bootstrap complete");
        try (Connection t = dbs.openTarget(); Statement st = t.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT count(*) FROM pg_constraint WHERE conname IN ('big_pkey', 'other_pkey')")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(2);
        }
        BootstrapIT.awaitEqual(dbs, Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("kill -9 after one table's keys and indexes were built while another table was still copying: the rerun resumes the "
            + "copy, skips what is built, builds the rest and ends equal")
    void resume_after_kill_with_keys_built_during_the_copy(TestDatabases dbs) throws Exception {
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE large (id bigint PRIMARY KEY, payload text, n int)");
            st.execute("CREATE INDEX large_n ON large (n)");
            st.execute("INSERT INTO large SELECT i, md5(i::text) || repeat('p', 200), i % 100 FROM generate_series(1, 150000) i");
            st.execute("CREATE TABLE tail (id int PRIMARY KEY, v text)");
            st.execute("INSERT INTO tail SELECT i, 'v' || i FROM generate_series(1, 20000) i");
            st.execute("ANALYZE");
        }
        Path planFile = planFile(dbs, "resume_keys");
        try (Connection lock = dbs.openTarget()) {
            Process first = start(planFile, false);
            // The small table is copied last (pieces go largest first): held by a lock, it is still copying once the large one
            // is in and its keys are built.
            Instant deadline = Instant.now().plusSeconds(120);
            while (Db.one(lock, "SELECT to_regclass('public.tail')") == null) {
                assertThat(Instant.now()).as("the schema copy made table tail").isBefore(deadline);
                assertThat(first.isAlive()).as("the bootstrap runs").isTrue();
                Thread.sleep(10);
            }
            lock.setAutoCommit(false);
            try (Statement st = lock.createStatement()) {
                st.execute("LOCK TABLE tail IN ACCESS EXCLUSIVE MODE");
            }
            while (built(dbs) < 2) {
                assertThat(Instant.now()).as("large's key and index built while tail copies: " + Files.readString(logs.get(first))).isBefore(deadline);
                Thread.sleep(20);
            }
            first.destroyForcibly().waitFor();
            lock.rollback();
        }
        try (Connection t = dbs.openTarget()) {
            assertThat(Db.one(t, "SELECT phase FROM tsmigrate.bootstrap_state")).isEqualTo("COPYING");
            assertThat(Db.one(t, "SELECT count(*) FROM tsmigrate.bootstrap_post_data")).isEqualTo("2");
        }
        Result second = run(planFile, false);
        assertThat(second.code).as(second.output).isZero();
        assertThat(second.output).contains("Resuming the copy: ").contains("Bootstrap complete");
        try (Connection t = dbs.openTarget()) {
            assertThat(Db.one(t, "SELECT string_agg(relname, ',' ORDER BY relname) FROM pg_class WHERE relkind = 'i' AND relnamespace = 'public'::regnamespace"))
                    .isEqualTo("large_n,large_pkey,tail_pkey");
            assertThat(Db.one(t, "SELECT count(*) FROM tsmigrate.bootstrap_post_data")).isEqualTo("3");
        }
        BootstrapIT.awaitEqual(dbs, Duration.ofSeconds(5));
    }

    @Test
    @DisplayName("kill -9 while a hypertable's chunks get their keys and indexes in the copy: the rerun builds the rest, the hypertable's "
            + "own last, each chunk has each once; a rerun after the copy builds only the hypertable's; one chunk without its key is refused")
    void resume_after_kill_with_keys_built_in_chunks(TestDatabases dbs) throws Exception {
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE series (ts timestamptz NOT NULL, dev int NOT NULL, v text, PRIMARY KEY (dev, ts))");
            st.execute("CREATE INDEX series_ts ON series (ts)");
            st.execute("INSERT INTO series SELECT '2026-01-01'::timestamptz + i * INTERVAL '20 seconds', i % 5, md5(i::text) || repeat('s', 100) "
                    + "FROM generate_series(1, 150000) i");
            st.execute("ANALYZE");
        }
        Path planFile = planFile(dbs, "resume_chunks", List.of(new BootstrapPlan.HypertableSpec("series", "ts", "1 day", null, null, null)));
        Process first = start(planFile, false);
        waitForPieces(dbs, 3, first);
        first.destroyForcibly().waitFor();
        try (Connection t = dbs.openTarget()) {
            // Killed in a piece (its chunk made, empty, without its key) or between a piece's commit and its chunk's ANALYZE.
            assertThat(Integer.parseInt(Db.one(t, "SELECT count(DISTINCT chunk_id) FROM _timescaledb_catalog.chunk_index WHERE hypertable_index_name = 'series_pkey'")))
                    .as("chunks with their key when killed").isPositive()
                    .isLessThanOrEqualTo(Integer.parseInt(Db.one(t, "SELECT count(*) FROM show_chunks('series')")));
        }
        Result second = run(planFile, false);
        assertThat(second.code).as(second.output).isZero();
        assertThat(second.output).contains("Resuming the copy: ").contains("Bootstrap complete");
        BootstrapIT.awaitEqual(dbs, Duration.ofSeconds(5));
        assertOneKeyAndIndexPerChunk(dbs);
        try (Connection t = dbs.openTarget()) {
            assertThat(Db.one(t, "SELECT count(*) FROM show_chunks('series') c WHERE NOT EXISTS (SELECT FROM pg_statistic WHERE starelid = c)"))
                    .as("chunks without statistics after the resumed bootstrap").isEqualTo("0");
        }

        // Stopped after the copy, before the hypertable's own key: the rerun makes it alone, the chunks keep theirs.
        backToBeforeTheHypertablesKey(dbs);
        Result third = run(planFile, false);
        assertThat(third.code).as(third.output).isZero();
        assertOneKeyAndIndexPerChunk(dbs);
        try (Connection t = dbs.openTarget(); Statement st = t.createStatement()) {
            assertThat(Db.one(t, "SELECT count(*) FROM pg_constraint WHERE conrelid = 'series'::regclass AND contype = 'p'")).isEqualTo("1");
            st.execute("INSERT INTO series SELECT ts, dev, 'again' FROM series WHERE v LIKE 'c4ca%' ON CONFLICT (dev, ts) DO UPDATE SET v = 'updated'");
            assertThat(Db.one(t, "SELECT count(*) FROM series WHERE v = 'updated'")).isNotEqualTo("0");
        }

        // A chunk without the hypertable's key (an inconsistency nothing here makes): refused, nothing built twice.
        backToBeforeTheHypertablesKey(dbs);
        try (Connection t = dbs.openTarget(); Statement st = t.createStatement()) {
            st.execute("DELETE FROM _timescaledb_catalog.chunk_index WHERE hypertable_index_name = 'series_pkey' "
                    + "AND chunk_id = (SELECT min(chunk_id) FROM _timescaledb_catalog.chunk_index)");
        }
        Result refused = run(planFile, false);
        assertThat(refused.code).as(refused.output).isNotZero();
        assertThat(refused.output).contains("series_pkey of public.series is built on").contains("--restart");
    }

    /** The target as a bootstrap stopped after the copy leaves it, before series' own key (its chunks have theirs). */
    private static void backToBeforeTheHypertablesKey(TestDatabases dbs) throws Exception {
        try (Connection t = dbs.openTarget(); Statement st = t.createStatement()) {
            st.execute("UPDATE tsmigrate.bootstrap_state SET phase = 'COPIED'");
            t.setAutoCommit(false);
            st.execute("SELECT set_config('timescaledb.restoring', 'on', true)");
            st.execute("ALTER TABLE series DROP CONSTRAINT series_pkey");
            st.execute("DELETE FROM tsmigrate.bootstrap_post_data WHERE statement LIKE '%series_pkey%'");
            t.commit();
        }
    }

    /** Every chunk of series has the key and the index once, each known to TimescaleDB's catalog. */
    private static void assertOneKeyAndIndexPerChunk(TestDatabases dbs) throws Exception {
        try (Connection t = dbs.openTarget()) {
            assertThat(Db.one(t, "SELECT string_agg(DISTINCT n::text, ',') FROM (SELECT count(*) n FROM pg_index WHERE indrelid IN (SELECT show_chunks('series')) "
                    + "GROUP BY indrelid) x")).as("indexes per chunk").isEqualTo("2");
            assertThat(Db.one(t, "SELECT string_agg(DISTINCT n::text, ',') FROM (SELECT count(*) n FROM _timescaledb_catalog.chunk_index x "
                    + "JOIN pg_class i ON i.relname = x.index_name WHERE x.hypertable_index_name IN ('series_pkey', 'series_ts') GROUP BY x.chunk_id) x"))
                    .as("catalog rows per chunk").isEqualTo("2");
            assertThat(Db.one(t, "SELECT count(*) FROM show_chunks('series')"))
                    .isEqualTo(Db.one(t, "SELECT count(DISTINCT chunk_id) FROM _timescaledb_catalog.chunk_constraint WHERE hypertable_constraint_name = 'series_pkey'"));
        }
    }

    /** Post-data entries recorded done on the target. */
    private static int built(TestDatabases dbs) throws Exception {
        try (Connection t = dbs.openTarget()) {
            if (Db.one(t, "SELECT to_regclass('tsmigrate.bootstrap_post_data')") == null) {
                return 0;
            }
            return Integer.parseInt(Db.one(t, "SELECT count(*) FROM tsmigrate.bootstrap_post_data"));
        }
    }

    private record Result(int code, String output) {
    }

    private static Process start(Path plan, boolean restart) throws Exception {
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder pb = restart
                ? new ProcessBuilder(java, "-Dtsmigrate.bootstrap.min-piece-bytes=262144", "-cp", System.getProperty("java.class.path"),
                BootstrapMain.class.getName(), plan.toString(), "--restart")
                : new ProcessBuilder(java, "-Dtsmigrate.bootstrap.min-piece-bytes=262144", "-cp", System.getProperty("java.class.path"),
                BootstrapMain.class.getName(), plan.toString());
        File log = Files.createTempFile("bootstrap", ".log").toFile();
        pb.redirectErrorStream(true).redirectOutput(log);
        Process p = pb.start();
        logs.put(p, log.toPath());
        return p;
    }

    private static final java.util.Map<Process, Path> logs = new java.util.concurrent.ConcurrentHashMap<>();

    private static Result run(Path plan, boolean restart) throws Exception {
        Process p = start(plan, restart);
        assertThat(p.waitFor(180, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), Files.readString(logs.get(p), StandardCharsets.UTF_8));
    }

    /** The bootstrap plan of every table, with this slot, in a file for the CLI. */
    private static Path planFile(TestDatabases dbs, String slot) throws Exception {
        return planFile(dbs, slot, List.of());
    }

    private static Path planFile(TestDatabases dbs, String slot, List<BootstrapPlan.HypertableSpec> hypertables) throws Exception {
        Path planFile = Files.createTempFile("plan", ".json");
        new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .writeValue(planFile.toFile(), BootstrapIT.plan(dbs, slot, hypertables, false));
        return planFile;
    }

    private static void waitForPieces(TestDatabases dbs, int n, Process p) throws Exception {
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            if (pieces(dbs) >= n) {
                return;
            }
            if (!p.isAlive()) {
                throw new AssertionError("the bootstrap ended before the copy was under way: " + Files.readString(logs.get(p)));
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no pieces copied within 2 minutes: " + Files.readString(logs.get(p)));
    }

    private static int pieces(TestDatabases dbs) throws Exception {
        try (Connection t = dbs.openTarget(); Statement st = t.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass('tsmigrate.bootstrap_pieces') IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return 0;
                }
            }
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM tsmigrate.bootstrap_pieces")) {
                rs.next();
                return rs.getInt(1);
            }
        } catch (java.sql.SQLException droppedMeanwhile) {
            return 0;
        }
    }
}

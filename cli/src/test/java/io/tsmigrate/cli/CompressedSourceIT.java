package io.tsmigrate.cli;

import io.tsmigrate.common.Db;
import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.PgEndpoint;
import io.tsmigrate.testkit.Services;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;

import static io.tsmigrate.cli.CliIT.args;
import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A TimescaleDB source (Community edition) with compressed chunks, migrated with the shipped TimescaleDB template,
 * while the application writes into compressed chunks and compression runs on the source: {@code compress_chunk},
 * {@code decompress_chunk}, inserts, updates and deletes of compressed rows, on a hypertable with a key and on one
 * without. Cutover's verify and the test's own digests must find both sides equal.
 */
@ExtendWith(ServicesExtension.class)
class CompressedSourceIT {

    private static final String JOBS = "SELECT string_agg(proc_name || ' ' || coalesce(hypertable_name, '-') || ' ' || scheduled, ', ' "
            + "ORDER BY proc_name, hypertable_name) FROM timescaledb_information.jobs WHERE job_id >= 1000";

    @Test
    @DisplayName("compressed chunks and compression during the migration: the target ends equal, nothing doubled or lost")
    void compressed_source_migrates_exactly(TestDatabases dbs) throws Exception {
        PgEndpoint[] pair = CliIT.freshPair(dbs, "cmp");
        PgEndpoint srcDb = pair[0];
        PgEndpoint tgtDb = pair[1];
        assumeCommunity(srcDb);
        try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE metrics (ts timestamptz NOT NULL, device int NOT NULL, value double precision, note text, PRIMARY KEY (device, ts))");
            st.execute("SELECT create_hypertable('metrics', by_range('ts', INTERVAL '1 day'))");
            // A foreign key: TimescaleDB adds one only before compressed data exists, so readings' compressed chunks are copied
            // decompressed and compressed again; metrics' are copied as they are.
            st.execute("CREATE TABLE sensors (id int PRIMARY KEY)");
            st.execute("INSERT INTO sensors SELECT generate_series(0, 99)");
            st.execute("CREATE TABLE readings (ts timestamptz NOT NULL, sensor int REFERENCES sensors (id), value double precision)");
            st.execute("SELECT create_hypertable('readings', by_range('ts', INTERVAL '1 day'))");
            st.execute("INSERT INTO metrics SELECT '2026-03-01'::timestamptz + i * INTERVAL '1 minute', i % 20, i, 'm' || i FROM generate_series(1, 14400) i");
            st.execute("INSERT INTO readings SELECT '2026-03-01'::timestamptz + i * INTERVAL '1 minute', i % 7, i FROM generate_series(1, 14400) i");
            // One large keyless chunk: its decompression and recompression during the migration are long row moves
            // for the source connector to be restarted inside.
            st.execute("CREATE TABLE bulk (ts timestamptz NOT NULL, sensor int, value double precision)");
            st.execute("SELECT create_hypertable('bulk', by_range('ts', INTERVAL '30 days'))");
            st.execute("INSERT INTO bulk SELECT '2026-03-01'::timestamptz + i * INTERVAL '1 second', i % 11, i FROM generate_series(1, 200000) i");
            st.execute("ALTER TABLE bulk SET (timescaledb.compress, timescaledb.compress_segmentby = 'sensor')");
            st.execute("SELECT compress_chunk(c) FROM show_chunks('bulk') c");
            st.execute("ALTER TABLE metrics SET (timescaledb.compress, timescaledb.compress_segmentby = 'device', timescaledb.compress_orderby = 'ts')");
            st.execute("ALTER TABLE readings SET (timescaledb.compress, timescaledb.compress_segmentby = 'sensor')");
            // Seven of the ten days of each compressed.
            st.execute("SELECT compress_chunk(c) FROM show_chunks('metrics', older_than => '2026-03-08'::timestamptz) c");
            st.execute("SELECT compress_chunk(c) FROM show_chunks('readings', older_than => '2026-03-08'::timestamptz) c");
            // A partially compressed chunk: a row inserted after its compression stays in the chunk's own table.
            st.execute("INSERT INTO metrics VALUES ('2026-03-03 00:00:30+00', 1, 1, 'after compression')");
            // Policies (far off, so they do not run during the test): recreated paused, switched on by cutover.
            st.execute("SELECT add_compression_policy('metrics', compress_after => INTERVAL '100 years')");
            st.execute("SELECT add_retention_policy('readings', drop_after => INTERVAL '100 years')");
            // A reorder policy, a user-defined job, and a policy paused on the source (it stays paused on the target).
            st.execute("SELECT add_reorder_policy('metrics', 'metrics_pkey')");
            st.execute("CREATE PROCEDURE touch_job(job_id int, config jsonb) LANGUAGE plpgsql AS $$ BEGIN PERFORM 1; END $$");
            st.execute("SELECT add_job('touch_job', INTERVAL '100 years', config => '{\"note\": \"it''s mine\"}', initial_start => now() + INTERVAL '100 years')");
            st.execute("SELECT alter_job(add_retention_policy('bulk', drop_after => INTERVAL '100 years'), scheduled => false)");
        }
        // An Apache-licensed target is refused, per feature, before anything is copied.
        io.tsmigrate.testkit.NativeServices natives = dbs.services().natives().orElseThrow();
        PgEndpoint apache = natives.startExtraPostgres("cmpapache", dbs.services().source().port() + 13, "timescaledb.license=apache");
        try {
            CliIT.Run check = tsmigrate("check", "--source-url", srcDb.jdbcUrl(), "--target-url", apache.jdbcUrl(), "--connect", dbs.services().connectUrl());
            assertThat(check.code()).as(check.out()).isEqualTo(1);
            assertThat(check.out()).contains("FAIL target   needs Community edition      compression settings of public.metrics")
                    .contains("7 compressed chunks of public.readings").contains("retention policy of public.readings");
        } finally {
            natives.stopExtraPostgres("cmpapache");
        }
        List<String> ep = List.of("--source-url", srcDb.jdbcUrl(), "--target-url", tgtDb.jdbcUrl(), "--connect", dbs.services().connectUrl(),
                "--kafka", dbs.services().kafkaBootstrap(), "--name", "cmp");
        try {
            CliIT.Run migrate = tsmigrate(args(ep, "migrate", "--flavour", "timescaledb", "--jobs", "2", "--pg-bin",
                    dbs.services().pgBin().orElseThrow().toString()));
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            assertThat(migrate.out()).contains("Recreated 7 compressed chunks of public.metrics").contains("Recreated 7 compressed chunks of public.readings")
                    .contains("Hypertable public.metrics: 7 compressed chunks are copied compressed, as they are")
                    .contains("Hypertable public.bulk: 1 compressed chunks are copied compressed, as they are")
                    .contains("Hypertable public.readings: 7 compressed chunks are copied decompressed and compressed again on the target (it has a "
                            + "foreign key");
            try (Connection s = Services.open(srcDb); Connection t = Services.open(tgtDb)) {
                String settings = "SELECT string_agg(hypertable_name || ' ' || attname || ' ' || coalesce(segmentby_column_index, 0) || ' ' "
                        + "|| coalesce(orderby_column_index, 0) || ' ' || coalesce(orderby_asc::text, ''), ', ' ORDER BY 1) FROM timescaledb_information.compression_settings";
                String compressed = "SELECT string_agg(hypertable_name || ' ' || range_start, ', ' ORDER BY hypertable_name, range_start) "
                        + "FROM timescaledb_information.chunks WHERE is_compressed";
                for (String q : List.of(settings, compressed)) {
                    assertThat(one(t, q)).as(q).isEqualTo(one(s, q)).isNotNull();
                }
                assertThat(one(t, JOBS)).isEqualTo("policy_compression metrics false, policy_reorder metrics false, policy_retention bulk false, "
                        + "policy_retention readings false, touch_job - false");
                assertThat(one(t, "SELECT config::text FROM timescaledb_information.jobs WHERE proc_name = 'touch_job'")).isEqualTo("{\"note\": \"it's mine\"}");
                // The partially compressed chunk is partial on the target too: the row after compression in its own table.
                String chunk = "SELECT format('%I.%I', chunk_schema, chunk_name) FROM timescaledb_information.chunks WHERE hypertable_name = 'metrics' "
                        + "AND range_start = '2026-03-03 00:00+00'";
                for (Connection c : List.of(s, t)) {
                    assertThat(one(c, "SELECT count(*) FROM ONLY " + one(c, chunk))).as("rows in the partial chunk's own table").isEqualTo("1");
                }

            }
            try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
                // DML on compressed rows: TimescaleDB decompresses the batches it touches (rows moved between tables).
                st.execute("INSERT INTO metrics VALUES ('2026-03-02 00:00:30+00', 3, -1, 'into a compressed chunk')");
                st.execute("UPDATE metrics SET value = value * 10, note = 'updated' WHERE device = 5 AND ts < '2026-03-03'");
                st.execute("DELETE FROM metrics WHERE device = 6 AND ts < '2026-03-04'");
                st.execute("INSERT INTO readings SELECT '2026-03-02'::timestamptz + i * INTERVAL '7 second', 99, i FROM generate_series(1, 300) i");
                // Compression running during the migration: newer chunks compressed, an old one decompressed, a
                // partially compressed chunk recompressed.
                st.execute("SELECT compress_chunk(c) FROM show_chunks('metrics', older_than => '2026-03-10'::timestamptz) c");
                st.execute("SELECT decompress_chunk(c) FROM show_chunks('readings', older_than => '2026-03-03'::timestamptz) c");
                st.execute("SELECT compress_chunk(c, if_not_compressed => true) FROM show_chunks('readings', older_than => '2026-03-09'::timestamptz) c");
                // Retention on the source: dropping chunks writes no row changes; cutover drops the same on the target.
                st.execute("SELECT drop_chunks('metrics', older_than => '2026-03-02 12:00+00'::timestamptz)");
                st.execute("INSERT INTO metrics SELECT '2026-03-11'::timestamptz + i * INTERVAL '1 minute', i % 20, i, 'new' FROM generate_series(1, 500) i");
                st.execute("BEGIN; UPDATE metrics SET note = 'in one transaction' WHERE device = 7 AND ts < '2026-03-05'; "
                        + "SELECT compress_chunk(c, if_not_compressed => true) FROM show_chunks('metrics', older_than => '2026-03-10'::timestamptz) c; COMMIT");
                // The source connector restarted gracefully while it streams a decompression and a recompression of
                // 200,000 rows: the restart resumes before the start marker, so the moves stay dropped.
                long seed = Long.getLong("tsmigrate.it.seed", System.nanoTime());
                System.out.println("[CompressedSourceIT] restart seed " + seed + " (replay: -Dtsmigrate.it.seed=" + seed + ")");
                java.util.Random random = new java.util.Random(seed);
                st.execute("SELECT decompress_chunk(c) FROM show_chunks('bulk') c");
                restartSourceAfter(dbs, random, 3);
                st.execute("SELECT compress_chunk(c) FROM show_chunks('bulk') c");
                restartSourceAfter(dbs, random, 2);
                st.execute("INSERT INTO bulk VALUES ('2026-03-05', 5, -5)");
            }
            CliIT.Run cutover = tsmigrate(args(ep, "cutover", "--timeout", "180"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            assertThat(cutover.out()).contains("Dropped on the target as on the source: hypertable public.metrics: 1 chunks and 0 more rows before");
            assertThat(cutover.out()).contains("Enabled compression policy of public.metrics").contains("Enabled retention policy of public.readings")
                    .contains("Enabled reorder policy of public.metrics").contains("Enabled job touch_job").doesNotContain("policy of public.bulk");
            try (Connection s = Services.open(srcDb); Connection t = Services.open(tgtDb)) {
                for (String table : List.of("metrics", "readings", "bulk")) {
                    assertThat(Digest.table(t, "public", table)).as(table).isEqualTo(Digest.table(s, "public", table));
                }
                assertThat(one(t, JOBS)).isEqualTo("policy_compression metrics true, policy_reorder metrics true, policy_retention bulk false, "
                        + "policy_retention readings true, touch_job - true");
                // Each job continues the source's schedule (the user job's next run is a century away on both).
                String next = "SELECT next_start FROM timescaledb_information.jobs WHERE proc_name = 'touch_job'";
                assertThat(one(t, next)).isNotNull().isEqualTo(one(s, next));
            }
            // A rollback makes the source the database in use again: the jobs cutover switched on pause on the target,
            // and the next cutover switches them on again.
            CliIT.Run rollback = tsmigrate(args(ep, "cutover", "--rollback"));
            assertThat(rollback.code()).as(rollback.out()).isZero();
            assertThat(rollback.out()).contains("Paused again on the target compression policy of public.metrics").contains("job touch_job")
                    .doesNotContain("policy of public.bulk");
            try (Connection t = Services.open(tgtDb)) {
                assertThat(one(t, JOBS)).isEqualTo("policy_compression metrics false, policy_reorder metrics false, policy_retention bulk false, "
                        + "policy_retention readings false, touch_job - false");
            }
            CliIT.Run again = tsmigrate(args(ep, "cutover", "--timeout", "180"));
            assertThat(again.code()).as(again.out()).isZero();
            assertThat(again.out()).contains("Enabled retention policy of public.readings").contains("Enabled job touch_job");
            try (Connection t = Services.open(tgtDb)) {
                assertThat(one(t, JOBS)).isEqualTo("policy_compression metrics true, policy_reorder metrics true, policy_retention bulk false, "
                        + "policy_retention readings true, touch_job - true");
            }
        } finally {
            tsmigrate(args(ep, "clean", "--yes"));
            CliIT.dropPair(srcDb, tgtDb);
        }
    }

    /** Restarts the migration's Debezium connector {@code times} times, each after a random wait of 0.3 to 2.5 s. */
    private static void restartSourceAfter(TestDatabases dbs, java.util.Random random, int times) throws InterruptedException {
        for (int i = 0; i < times; i++) {
            Thread.sleep(300 + random.nextInt(2200));
            dbs.services().connect().restart("cmp-source");
            System.out.println("[CompressedSourceIT] restarted cmp-source");
            dbs.services().connect().awaitRunning("cmp-source", java.time.Duration.ofSeconds(60));
        }
    }

    /** Creates the extension in the source database and skips the test unless it is TimescaleDB's Community edition. */
    static void assumeCommunity(PgEndpoint source) throws java.sql.SQLException {
        try (Connection c = Services.open(source); Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
            String license = one(c, "SELECT current_setting('timescaledb.license', true)");
            assumeTrue("timescale".equals(license), "not run: the test kit's TimescaleDB is the Apache build (license " + license
                    + "); provisioning builds the Community edition when TSMIGRATE_TIMESCALEDB_COMMUNITY or ../shared/timescaledb has it");
        }
    }

    static String one(Connection c, String sql) throws java.sql.SQLException {
        return Db.one(c, sql);
    }
}

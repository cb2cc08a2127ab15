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
import java.sql.Statement;
import java.util.List;

import static io.tsmigrate.cli.CliIT.args;
import static io.tsmigrate.cli.CliIT.tsmigrate;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A TimescaleDB source (Community edition) with continuous aggregates whose history outlives the raw rows (retention
 * dropped them), a materialized-only one and a real-time one, while the application changes raw rows beneath and
 * above the watermark and the source refreshes an aggregate during the migration. After cutover both aggregates
 * give the same rows on both sides, and after one more refresh on each side still do: the target refreshes what the
 * source would have.
 */
@ExtendWith(ServicesExtension.class)
class ContinuousAggregateIT {

    private static final List<String> VIEWS = List.of("metrics_hourly", "metrics_daily", "devices_daily");

    @Test
    @DisplayName("continuous aggregates (one on another) with history beyond retention, refreshed during the migration: equal after cutover and after a refresh")
    void continuous_aggregates_migrate_with_their_history(TestDatabases dbs) throws Exception {
        PgEndpoint[] pair = CliIT.freshPair(dbs, "cagg");
        PgEndpoint srcDb = pair[0];
        PgEndpoint tgtDb = pair[1];
        CompressedSourceIT.assumeCommunity(srcDb);
        try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE metrics (ts timestamptz NOT NULL, device int NOT NULL, value int, PRIMARY KEY (device, ts))");
            st.execute("SELECT create_hypertable('metrics', by_range('ts', INTERVAL '1 day'))");
            st.execute("INSERT INTO metrics SELECT '2026-03-01'::timestamptz + i * INTERVAL '1 minute', i % 20, i FROM generate_series(1, 14400) i");
            // Aggregates of integers only: their values do not depend on the order rows are summed in.
            st.execute("CREATE MATERIALIZED VIEW metrics_hourly WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS "
                    + "SELECT time_bucket('1 hour', ts) AS bucket, device, count(*) AS n, sum(value) AS total, min(value) AS low, max(value) AS high "
                    + "FROM metrics GROUP BY 1, 2 WITH NO DATA");
            st.execute("CREATE MATERIALIZED VIEW metrics_daily WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS "
                    + "SELECT time_bucket('1 day', ts) AS day, count(*) AS n, sum(value) AS total, avg(value) AS mean FROM metrics GROUP BY 1 WITH NO DATA");
            // An aggregate on an aggregate: created after the one it reads.
            st.execute("CREATE MATERIALIZED VIEW devices_daily WITH (timescaledb.continuous, timescaledb.materialized_only = true) AS "
                    + "SELECT time_bucket('1 day', bucket) AS day, device, sum(n) AS n, sum(total) AS total FROM metrics_hourly GROUP BY 1, 2 WITH NO DATA");
            st.execute("CALL refresh_continuous_aggregate('metrics_hourly', NULL, '2026-03-08')");
            st.execute("CALL refresh_continuous_aggregate('metrics_daily', NULL, '2026-03-08')");
            st.execute("CALL refresh_continuous_aggregate('devices_daily', NULL, '2026-03-08')");
            // Retention dropped the raw rows of the first days; the aggregates keep them.
            st.execute("SELECT drop_chunks('metrics', older_than => '2026-03-03'::timestamptz)");
            st.execute("SELECT add_continuous_aggregate_policy('metrics_hourly', start_offset => INTERVAL '100 years', end_offset => INTERVAL '1 day', "
                    + "schedule_interval => INTERVAL '100 years')");
            // A hypertable that retention will empty during the migration.
            st.execute("CREATE TABLE old_events (ts timestamptz NOT NULL, v int)");
            st.execute("SELECT create_hypertable('old_events', by_range('ts', INTERVAL '1 day'))");
            st.execute("INSERT INTO old_events SELECT '2025-01-01'::timestamptz + i * INTERVAL '1 hour', i FROM generate_series(1, 100) i");
        }
        List<String> ep = List.of("--source-url", srcDb.jdbcUrl(), "--target-url", tgtDb.jdbcUrl(), "--connect", dbs.services().connectUrl(),
                "--kafka", dbs.services().kafkaBootstrap(), "--name", "cagg");
        try {
            CliIT.Run check = tsmigrate(args(ep, "check", "--flavour", "timescaledb"));
            assertThat(check.out()).contains("WARN source   continuous aggregates").contains("public.metrics_daily");
            CliIT.Run migrate = tsmigrate(args(ep, "migrate", "--flavour", "timescaledb", "--jobs", "2", "--pg-bin",
                    dbs.services().pgBin().orElseThrow().toString()));
            System.out.println(migrate.out());
            assertThat(migrate.code()).as(migrate.out()).isZero();
            assertThat(migrate.out()).contains("Continuous aggregate public.metrics_hourly created without data")
                    .contains("Set REPLICA IDENTITY FULL on the source's _timescaledb_internal._materialized_hypertable_")
                    .doesNotContain("WARN could not recreate");
            try (Connection s = Services.open(srcDb); Connection t = Services.open(tgtDb)) {
                // The materialized history arrived with the bootstrap, also where the raw rows are gone.
                assertThat(Digest.table(t, "public", "metrics_hourly")).isEqualTo(Digest.table(s, "public", "metrics_hourly"));
            }
            try (Connection c = Services.open(srcDb); Statement st = c.createStatement()) {
                st.execute("INSERT INTO metrics SELECT '2026-03-05'::timestamptz + i * INTERVAL '1 minute' + INTERVAL '20 second', 99, i FROM generate_series(1, 300) i");
                st.execute("UPDATE metrics SET value = value * 3 WHERE device = 4 AND ts BETWEEN '2026-03-06' AND '2026-03-07'");
                st.execute("DELETE FROM metrics WHERE device = 5 AND ts BETWEEN '2026-03-04' AND '2026-03-05'");
                st.execute("INSERT INTO metrics SELECT '2026-03-11'::timestamptz + i * INTERVAL '1 minute', i % 20, -i FROM generate_series(1, 500) i");
                // The source refreshes during the migration: its materialization's deletes and inserts stream.
                st.execute("CALL refresh_continuous_aggregate('metrics_hourly', '2026-03-04', '2026-03-07')");
                st.execute("CALL refresh_continuous_aggregate('devices_daily', '2026-03-04', '2026-03-07')");
                // Retention on an aggregate itself and on a whole hypertable: chunks dropped, no row change streams.
                // (The aggregate's chunks span ten days of buckets: this drops the first one, with buckets up to March 6.)
                st.execute("SELECT drop_chunks('metrics_hourly', older_than => '2026-03-08'::timestamptz)");
                st.execute("SELECT drop_chunks('old_events', older_than => '2100-01-01'::timestamptz)");
                // Changed after that refresh: pending invalidations on the source, refreshed later on the target.
                st.execute("UPDATE metrics SET value = 0 WHERE device = 6 AND ts BETWEEN '2026-03-05' AND '2026-03-06'");
                st.execute("INSERT INTO metrics SELECT '2026-03-06 12:00'::timestamptz + i * INTERVAL '1 minute' + INTERVAL '30 second', 77, i FROM generate_series(1, 200) i");
            }
            CliIT.Run cutover = tsmigrate(args(ep, "cutover", "--timeout", "180"));
            System.out.println(cutover.out());
            assertThat(cutover.code()).as(cutover.out()).isZero();
            assertThat(cutover.out()).contains("Continuous aggregates: watermark, invalidation threshold and pending invalidations of 3 aggregates")
                    .contains("Enabled refresh continuous aggregate policy of public.metrics_hourly")
                    .contains("Dropped on the target as on the source: aggregate public.metrics_hourly")
                    .contains("Dropped on the target as on the source: hypertable public.old_events: 100 rows (the source has no chunk left)")
                    // The raw hypertables and the three aggregates' materializations.
                    .contains("OK   target ready: 5 tables equal");
            try (Connection s = Services.open(srcDb); Connection t = Services.open(tgtDb)) {
                // The target's refresh job continues the source's schedule: enabled, it does not run at once.
                String next = "SELECT next_start FROM timescaledb_information.jobs WHERE proc_name = 'policy_refresh_continuous_aggregate'";
                assertThat(Db.one(t, next)).isNotNull().isEqualTo(Db.one(s, next));
            }
            CliIT.Run verify = tsmigrate(args(ep, "verify"));
            assertThat(verify.code()).as(verify.out()).isZero();
            assertThat(verify.out()).contains("public.metrics_hourly (materialized)").contains("public.metrics_daily (materialized)");
            try (Connection s = Services.open(srcDb); Connection t = Services.open(tgtDb)) {
                assertThat(Digest.table(t, "public", "metrics")).isEqualTo(Digest.table(s, "public", "metrics"));
                assertThat(Digest.table(t, "public", "old_events")).isEqualTo(Digest.table(s, "public", "old_events"));
                for (String view : VIEWS) {
                    assertThat(Digest.table(t, "public", view)).as(view + " after cutover").isEqualTo(Digest.table(s, "public", view));
                }
                // One more refresh on each side: the target recomputes exactly what the source does.
                for (Connection c : List.of(s, t)) {
                    try (Statement st = c.createStatement()) {
                        for (String view : VIEWS) {
                            st.execute("CALL refresh_continuous_aggregate('" + view + "', NULL, '2026-03-12')");
                        }
                    }
                }
                for (String view : VIEWS) {
                    assertThat(Digest.table(t, "public", view)).as(view + " after a refresh on both sides").isEqualTo(Digest.table(s, "public", view));
                }
                assertThat(Db.one(s, "SELECT count(*) FROM metrics_hourly WHERE device = 6 AND bucket = '2026-03-05 10:00+00' AND total = 0")).isEqualTo("1");
            }
            CliIT.Run clean = tsmigrate(args(ep, "clean", "--yes"));
            assertThat(clean.out()).contains("Set REPLICA IDENTITY DEFAULT again on the source's _timescaledb_internal._materialized_hypertable_");
        } finally {
            tsmigrate(args(ep, "clean", "--yes"));
            CliIT.dropPair(srcDb, tgtDb);
        }
    }
}

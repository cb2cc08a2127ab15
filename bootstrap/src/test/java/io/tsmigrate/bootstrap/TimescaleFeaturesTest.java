package io.tsmigrate.bootstrap;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TimescaleFeaturesTest {

    @Test
    void compression_settings_keep_segment_and_order_columns_quoted_and_in_order() {
        var c = new TimescaleFeatures.Compression("public", "My Metrics", List.of("\"device\"", "\"Site\""), List.of("\"ts\" DESC NULLS FIRST"));
        assertThat(c.item().sql()).isEqualTo("ALTER TABLE \"public\".\"My Metrics\" SET (timescaledb.compress, "
                + "timescaledb.compress_segmentby = '\"device\", \"Site\"', timescaledb.compress_orderby = '\"ts\" DESC NULLS FIRST')");
        assertThat(new TimescaleFeatures.Compression("s", "t", List.of(), List.of()).item().sql())
                .isEqualTo("ALTER TABLE \"s\".\"t\" SET (timescaledb.compress)");
    }

    @Test
    void policies_take_their_intervals_or_integers_from_the_stored_config() {
        String enable = "INSERT INTO tsmigrate.jobs_to_enable (job_id, source_job_id) SELECT (alter_job(";
        var retention = new TimescaleFeatures.Policy("policy_retention", "public", "metrics",
                TimescaleFeatures.parseFlatJson("{\"drop_after\": \"90 days\", \"hypertable_id\": 1}"));
        assertThat(retention.item().sql()).isEqualTo(enable + "add_retention_policy('\"public\".\"metrics\"'::regclass, drop_after => INTERVAL '90 days', "
                + "drop_created_before => NULL), scheduled => false)).job_id, NULL");
        var compression = new TimescaleFeatures.Policy("policy_compression", "public", "counts",
                TimescaleFeatures.parseFlatJson("{\"hypertable_id\": 2, \"compress_after\": 100000}"));
        assertThat(compression.item().sql()).isEqualTo(enable + "add_compression_policy('\"public\".\"counts\"'::regclass, compress_after => 100000, "
                + "compress_created_before => NULL), scheduled => false)).job_id, NULL");
        var refresh = new TimescaleFeatures.Policy("policy_refresh_continuous_aggregate", "public", "daily",
                Map.of("start_offset", "30 days", "end_offset", "1 hour", "schedule_interval", "01:00:00"));
        assertThat(refresh.item().sql()).isEqualTo(enable + "add_continuous_aggregate_policy('\"public\".\"daily\"'::regclass, start_offset => "
                + "INTERVAL '30 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '01:00:00'), scheduled => false, "
                + "schedule_interval => INTERVAL '01:00:00')).job_id, NULL");
        // What a person runs on a target that allows it: the policy itself.
        assertThat(retention.item().manual()).isEqualTo("SELECT add_retention_policy('\"public\".\"metrics\"'::regclass, drop_after => INTERVAL "
                + "'90 days', drop_created_before => NULL)");
        assertThat(TimescaleFeatures.parseFlatJson("{\"start_offset\": null, \"end_offset\": \"1 day\"}")).containsEntry("start_offset", null);
        assertThat(new TimescaleFeatures.Policy("policy_refresh_continuous_aggregate", "s", "v",
                TimescaleFeatures.parseFlatJson("{\"start_offset\": null, \"end_offset\": \"1 day\"}")).item().sql()).contains("start_offset => NULL");
    }

    @Test
    void reorder_policies_and_user_jobs_keep_their_settings_and_a_job_paused_on_the_source_stays_paused() {
        java.util.Map<String, String> settings = new java.util.LinkedHashMap<>();
        settings.put("config", "{\"hypertable_id\": 3, \"index_name\": \"metrics_ts_idx\"}");
        settings.put("schedule_interval", "4 days");
        settings.put("max_runtime", "00:00:00");
        settings.put("max_retries", "-1");
        settings.put("retry_period", "00:05:00");
        settings.put("scheduled", "t");
        settings.put("job_id", "1004");
        var reorder = new TimescaleFeatures.Policy("policy_reorder", "public", "metrics", settings.get("config"), settings);
        assertThat(reorder.item().sql()).isEqualTo("INSERT INTO tsmigrate.jobs_to_enable (job_id, source_job_id) SELECT (alter_job(add_reorder_policy("
                + "'\"public\".\"metrics\"'::regclass, index_name => 'metrics_ts_idx'), scheduled => false, schedule_interval => INTERVAL '4 days', "
                + "max_runtime => INTERVAL '00:00:00', retry_period => INTERVAL '00:05:00', max_retries => -1)).job_id, 1004");
        java.util.Map<String, String> user = new java.util.LinkedHashMap<>();
        user.put("config", "{\"table\": \"o'clock\"}");
        user.put("schedule_interval", "01:00:00");
        user.put("scheduled", "f");
        user.put("fixed_schedule", "f");
        var job = new TimescaleFeatures.Policy("\"ops\".\"prune\"", null, null, user.get("config"), user);
        assertThat(job.item().sql()).isEqualTo("SELECT alter_job(add_job('\"ops\".\"prune\"'::regproc, INTERVAL '01:00:00', config => "
                + "'{\"table\": \"o''clock\"}'::jsonb, fixed_schedule => false, scheduled => false), scheduled => false, schedule_interval => "
                + "INTERVAL '01:00:00')");
        assertThat(job.item().what()).isEqualTo("job \"ops\".\"prune\" (paused, as on the source)");
    }

    @Test
    void a_continuous_aggregate_is_created_empty_from_its_definition() {
        var cagg = new TimescaleFeatures.ContinuousAggregate("public", "daily", " SELECT time_bucket('1 day', ts) AS day, avg(v) FROM metrics GROUP BY 1;", true);
        assertThat(cagg.item().sql()).isEqualTo("CREATE MATERIALIZED VIEW \"public\".\"daily\" WITH (timescaledb.continuous, timescaledb.materialized_only = true) "
                + "AS SELECT time_bucket('1 day', ts) AS day, avg(v) FROM metrics GROUP BY 1 WITH NO DATA");
    }
}

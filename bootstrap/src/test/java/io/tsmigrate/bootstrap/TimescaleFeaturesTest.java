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
        var retention = new TimescaleFeatures.Policy("policy_retention", "public", "metrics",
                TimescaleFeatures.parseFlatJson("{\"drop_after\": \"90 days\", \"hypertable_id\": 1}"));
        assertThat(retention.item().sql()).isEqualTo("SELECT alter_job(add_retention_policy('\"public\".\"metrics\"'::regclass, drop_after => INTERVAL '90 days'), "
                + "scheduled => false)");
        var compression = new TimescaleFeatures.Policy("policy_compression", "public", "counts",
                TimescaleFeatures.parseFlatJson("{\"hypertable_id\": 2, \"compress_after\": 100000}"));
        assertThat(compression.item().sql()).isEqualTo("SELECT alter_job(add_compression_policy('\"public\".\"counts\"'::regclass, compress_after => 100000), "
                + "scheduled => false)");
        var refresh = new TimescaleFeatures.Policy("policy_refresh_continuous_aggregate", "public", "daily",
                Map.of("start_offset", "30 days", "end_offset", "1 hour", "schedule_interval", "01:00:00"));
        assertThat(refresh.item().sql()).isEqualTo("SELECT alter_job(add_continuous_aggregate_policy('\"public\".\"daily\"'::regclass, start_offset => "
                + "INTERVAL '30 days', end_offset => INTERVAL '1 hour', schedule_interval => INTERVAL '01:00:00'), scheduled => false)");
        assertThat(TimescaleFeatures.parseFlatJson("{\"start_offset\": null, \"end_offset\": \"1 day\"}")).containsEntry("start_offset", null);
        assertThat(new TimescaleFeatures.Policy("policy_refresh_continuous_aggregate", "s", "v",
                TimescaleFeatures.parseFlatJson("{\"start_offset\": null, \"end_offset\": \"1 day\"}")).item().sql()).contains("start_offset => NULL");
    }

    @Test
    void a_continuous_aggregate_is_created_empty_from_its_definition() {
        var cagg = new TimescaleFeatures.ContinuousAggregate("public", "daily", " SELECT time_bucket('1 day', ts) AS day, avg(v) FROM metrics GROUP BY 1;", true);
        assertThat(cagg.item().sql()).isEqualTo("CREATE MATERIALIZED VIEW \"public\".\"daily\" WITH (timescaledb.continuous, timescaledb.materialized_only = true) "
                + "AS SELECT time_bucket('1 day', ts) AS day, avg(v) FROM metrics GROUP BY 1 WITH NO DATA");
    }
}

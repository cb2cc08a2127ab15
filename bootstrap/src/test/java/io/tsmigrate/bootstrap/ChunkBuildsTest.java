package io.tsmigrate.bootstrap;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ChunkBuildsTest {

    @Test
    void keys_and_indexes_as_pg_dump_writes_them_are_built_chunk_by_chunk() {
        assertThat(ChunkBuilds.parse("ALTER TABLE public.metrics\n    ADD CONSTRAINT metrics_pkey PRIMARY KEY (device_id, ts);"))
                .isEqualTo(new ChunkBuilds.Build(true, false, "metrics_pkey", "PRIMARY KEY (device_id, ts)"));
        assertThat(ChunkBuilds.parse("ALTER TABLE ONLY public.\"Mess\"\"wert ü\"\n    ADD CONSTRAINT \"Mess\"\"wert ü_key\" UNIQUE NULLS NOT DISTINCT (id, \"Zeit ü\");"))
                .isEqualTo(new ChunkBuilds.Build(true, false, "Mess\"wert ü_key", "UNIQUE NULLS NOT DISTINCT (id, \"Zeit ü\")"));
        assertThat(ChunkBuilds.parse("CREATE UNIQUE INDEX days_v ON public.days USING btree (upper(v), d) WHERE (v IS NOT NULL);"))
                .isEqualTo(new ChunkBuilds.Build(false, true, "days_v", "USING btree (upper(v), d) WHERE (v IS NOT NULL)"));
        assertThat(ChunkBuilds.parse("CREATE INDEX \"Zeit\" ON s.\"t\"\"x\" USING brin (ts) WITH (pages_per_range='16');"))
                .isEqualTo(new ChunkBuilds.Build(false, false, "Zeit", "USING brin (ts) WITH (pages_per_range='16')"));
    }

    @Test
    void what_is_not_a_plain_key_or_index_is_left_to_timescaledb() {
        assertThat(ChunkBuilds.parse("ALTER TABLE public.t\n    ADD CONSTRAINT t_fk FOREIGN KEY (a) REFERENCES public.u(a);")).isNull();
        assertThat(ChunkBuilds.parse("ALTER TABLE public.t\n    ADD CONSTRAINT t_ex EXCLUDE USING gist (r WITH &&);")).isNull();
        assertThat(ChunkBuilds.parse("ALTER TABLE public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (a) USING INDEX TABLESPACE fast;")).isNull();
        assertThat(ChunkBuilds.parse("SET default_tablespace = fast;\n\nCREATE INDEX t_a ON public.t USING btree (a);")).isNull();
        assertThat(ChunkBuilds.parse("CREATE INDEX t_a ON public.t USING btree (a) WHERE (b <> 'x;y'::text);")).as("two statements, maybe").isNull();
        assertThat(ChunkBuilds.parse("ALTER TABLE public.t\n    ADD CONSTRAINT " + "k".repeat(42) + " PRIMARY KEY (a);"))
                .as("no room for TimescaleDB's prefix of chunk id and number").isNull();
    }

    @Test
    void index_names_are_shortened_as_postgresql_shortens_them() {
        assertThat(ChunkBuilds.objectName("_hyper_1_2_chunk", "metrics_ts", null)).isEqualTo("_hyper_1_2_chunk_metrics_ts");
        assertThat(ChunkBuilds.objectName("_hyper_1_2_chunk", "metrics_ts", "1")).isEqualTo("_hyper_1_2_chunk_metrics_ts_1");
        String longName = "a_very_long_index_name_that_does_not_fit_beside_the_chunk_name_at_all";
        String name = ChunkBuilds.objectName("_hyper_12_345_chunk", longName, null);
        assertThat(name).startsWith("_hyper_12_345_chunk_a_very_long").hasSize(63);
        // Bytes, not characters, and never half a character.
        String umlauts = "ü".repeat(40);
        String clipped = ChunkBuilds.objectName("_hyper_1_1_chunk", umlauts, null);
        assertThat(clipped.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(63);
        assertThat(clipped).isEqualTo("_hyper_1_1_chunk_" + "ü".repeat(23));
    }
}

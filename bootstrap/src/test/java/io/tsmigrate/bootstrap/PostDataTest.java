package io.tsmigrate.bootstrap;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The post-data SQL the bootstrap runs on the target, from a pg_dump post-data section (src/test/resources/golden:
 * the dump and the statements, for a reviewer to read): hypertables lose {@code ONLY} and get their time column in
 * every primary key and unique constraint or index, TimescaleDB's own triggers and publications are left out, the
 * rest runs as dumped.
 */
class PostDataTest {

    @Test
    void post_data_statements_match_the_golden_file() throws IOException {
        String dump = resource("post-data.dump.sql");
        var entries = PostData.adapt(PostData.parse(dump),
                Map.of("public.metrics", "ts", "\"Sales\".\"Événements\"", "\"Zeit\""), Set.of("public.metrics", "\"Sales\".\"Événements\""), w -> { });
        StringBuilder actual = new StringBuilder();
        for (PostData.Entry e : entries) {
            actual.append("-- ").append(e.type()).append(": ").append(e.name()).append(e.parallel() ? " (parallel)" : "").append('\n')
                    .append(e.sql()).append("\n\n");
        }
        String golden = resource("post-data.sql");
        if (!actual.toString().equals(golden)) {
            // For review: the new text next to the golden file's.
            Files.writeString(Path.of("target", "post-data.sql.actual"), actual);
        }
        assertThat(actual.toString()).isEqualTo(golden);
    }

    @Test
    void a_hypertables_trigger_states_are_left_out_as_timescaledb_refuses_them() {
        String dump = """
                --
                -- Name: m m_always; Type: TRIGGER; Schema: public; Owner: postgres
                --

                CREATE TRIGGER m_always AFTER INSERT ON public.m FOR EACH ROW EXECUTE FUNCTION public.f();

                ALTER TABLE public.m ENABLE ALWAYS TRIGGER m_always;


                --
                -- Name: m m_off; Type: TRIGGER; Schema: public; Owner: postgres
                --

                CREATE TRIGGER m_off AFTER UPDATE ON public.m FOR EACH ROW EXECUTE FUNCTION public.f();

                ALTER TABLE public.m DISABLE TRIGGER m_off;


                --
                -- Name: plain p_always; Type: TRIGGER; Schema: public; Owner: postgres
                --

                CREATE TRIGGER p_always AFTER INSERT ON public.plain FOR EACH ROW EXECUTE FUNCTION public.f();

                ALTER TABLE public.plain ENABLE ALWAYS TRIGGER p_always;
                """;
        java.util.List<String> warned = new java.util.ArrayList<>();
        var entries = PostData.adapt(PostData.parse(dump), Map.of("public.m", "ts"), Set.of(), warned::add);
        assertThat(entries).extracting(PostData.Entry::name).containsExactly("m m_always", "plain p_always");
        assertThat(entries.get(0).sql()).contains("CREATE TRIGGER m_always").doesNotContain("ENABLE ALWAYS");
        assertThat(entries.get(1).sql()).contains("ALTER TABLE public.plain ENABLE ALWAYS TRIGGER p_always;");
        assertThat(warned).hasSize(2);
        assertThat(warned.get(1)).contains("m m_off is disabled").contains("CREATE TRIGGER m_off AFTER UPDATE ON public.m FOR EACH ROW");
    }

    @Test
    void each_entry_sets_its_own_tablespace_for_its_transaction() {
        // pg_dump 17's text: the SET before an entry's header belongs to that entry, not to the one before it.
        String dump = """
                SET default_tablespace = fast;

                --
                -- Name: a a_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: fast
                --

                ALTER TABLE ONLY public.a
                    ADD CONSTRAINT a_pkey PRIMARY KEY (id);


                SET default_tablespace = '';

                --
                -- Name: b b_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres
                --

                ALTER TABLE ONLY public.b
                    ADD CONSTRAINT b_pkey PRIMARY KEY (id);


                SET default_tablespace = "Fast Disk";

                --
                -- Name: a_v; Type: INDEX; Schema: public; Owner: postgres; Tablespace: Fast Disk
                --

                CREATE INDEX a_v ON public.a USING btree (v);
                """;
        assertThat(PostData.parse(dump)).extracting(PostData.Entry::sql).containsExactly(
                "SET LOCAL default_tablespace = \"fast\";\nALTER TABLE ONLY public.a\n    ADD CONSTRAINT a_pkey PRIMARY KEY (id);",
                "ALTER TABLE ONLY public.b\n    ADD CONSTRAINT b_pkey PRIMARY KEY (id);",
                "SET LOCAL default_tablespace = \"Fast Disk\";\nCREATE INDEX a_v ON public.a USING btree (v);");
    }

    @Test
    void a_key_that_holds_the_time_column_already_is_left_alone() {
        assertThat(PostData.widen("ALTER TABLE public.m ADD CONSTRAINT m_pkey PRIMARY KEY (id, ts);", "ts"))
                .isEqualTo("ALTER TABLE public.m ADD CONSTRAINT m_pkey PRIMARY KEY (id, ts);");
        assertThat(PostData.widen("CREATE UNIQUE INDEX u ON public.m USING btree (\"Ts\", id);", "\"Ts\""))
                .isEqualTo("CREATE UNIQUE INDEX u ON public.m USING btree (\"Ts\", id);");
        assertThat(PostData.table("CREATE INDEX i ON ONLY \"A\"\"b\".\"c.d\" USING btree (x);")).isEqualTo("\"A\"\"b\".\"c.d\"");
    }

    private static String resource(String name) throws IOException {
        try (InputStream in = PostDataTest.class.getResourceAsStream("/golden/" + name)) {
            return in == null ? "" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}

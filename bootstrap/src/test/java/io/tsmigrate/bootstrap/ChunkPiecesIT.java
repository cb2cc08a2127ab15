package io.tsmigrate.bootstrap;

import io.tsmigrate.testkit.Digest;
import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tables that become hypertables are copied straight into their chunks ({@link ChunkPieces}): the target must hold
 * exactly the source's rows, in the chunks TimescaleDB's own routing would have made, and no others.
 */
@ExtendWith(ServicesExtension.class)
class ChunkPiecesIT {

    /** Each time type TimescaleDB partitions by, sparse data (years apart, before 1970 too), quoted and unicode names. */
    static final String SCHEMA = """
            CREATE TABLE "Mess""wert ü" (id bigserial, "Zeit ü" timestamptz NOT NULL, payload text, PRIMARY KEY (id, "Zeit ü"));
            CREATE INDEX ON "Mess""wert ü" ("Zeit ü");
            INSERT INTO "Mess""wert ü" ("Zeit ü", payload)
              SELECT t, CASE WHEN i % 500 = 0 THEN repeat(md5(i::text), 400) ELSE 'p' || i END
              FROM (SELECT i, CASE i % 4 WHEN 0 THEN '1965-06-01 03:00:00+02'::timestamptz WHEN 1 THEN '2020-02-29 23:30:00-05'::timestamptz
                                        ELSE '2026-03-28 22:00:00+00'::timestamptz END + (i % 97) * INTERVAL '37 minutes 0.000001 s' t
                    FROM generate_series(1, 20000) i) x;
            CREATE TABLE local_ts (ts timestamp NOT NULL, v int);
            CREATE INDEX ON local_ts (ts);
            INSERT INTO local_ts SELECT '2026-03-29 01:30:00'::timestamp + i * INTERVAL '7 minutes', i FROM generate_series(-3000, 3000) i;
            CREATE TABLE days (d date NOT NULL, v text);
            CREATE INDEX ON days (d);
            CREATE INDEX days_upper ON days (upper(v));
            INSERT INTO days SELECT '1969-12-01'::date + i * 3, 'd' || i FROM generate_series(0, 400) i;
            CREATE TABLE counters (n bigint NOT NULL, v int);
            CREATE INDEX ON counters (n);
            CREATE STATISTICS counters_nv ON n, v FROM counters;
            INSERT INTO counters SELECT i * 37, i FROM generate_series(-2000, 2000) i;
            INSERT INTO counters VALUES (-1, 0), (999, 0), (1000, 0), (-1000, 0), (-1001, 0), (5000000, 1);
            CREATE TABLE small_ids (n int NOT NULL, v int);
            CREATE INDEX ON small_ids (n);
            INSERT INTO small_ids SELECT i, i FROM generate_series(-5000, 5000, 13) i;
            CREATE TABLE "Gerät daten" ("Zeit" timestamptz NOT NULL, note text, "Gerät" int NOT NULL, v float8 DEFAULT 1.5, PRIMARY KEY ("Gerät", "Zeit"));
            CREATE INDEX ON "Gerät daten" ("Zeit");
            INSERT INTO "Gerät daten" SELECT '2026-05-01 00:00:00+00'::timestamptz + i * INTERVAL '10 minutes', CASE WHEN i % 5 = 0 THEN NULL ELSE 'n' || i END,
              d, CASE WHEN i % 3 = 0 THEN NULL ELSE i * 0.25 END FROM generate_series(0, 4 * 144 - 1) i, unnest(ARRAY[9, -2, 0, 5]) d;
            UPDATE "Gerät daten" SET note = repeat(md5('x'), 40000) WHERE "Gerät" = 5 AND "Zeit" = '2026-05-02 12:00:00+00';
            INSERT INTO "Gerät daten" VALUES ('2026-05-03 00:05:00+00', 'late', 9, 2), ('2026-05-03 00:05:00+00', 'late', -2, NULL);
            CREATE TABLE plain_rows (id int PRIMARY KEY, v text);
            CREATE INDEX ON plain_rows (v);
            INSERT INTO plain_rows SELECT i, 'v' || (i % 77) FROM generate_series(1, 5000) i;
            """;

    static final List<BootstrapPlan.HypertableSpec> HYPERTABLES = List.of(
            new BootstrapPlan.HypertableSpec("Mess\"wert ü", "Zeit ü", "6 hours", null, null, null),
            new BootstrapPlan.HypertableSpec("local_ts", "ts", "1 day", null, null, null),
            new BootstrapPlan.HypertableSpec("days", "d", "7 days", null, null, null),
            new BootstrapPlan.HypertableSpec("counters", "n", "1000", null, null, null),
            new BootstrapPlan.HypertableSpec("small_ids", "n", "700", null, null, null),
            new BootstrapPlan.HypertableSpec("Gerät daten", "Zeit", "1 day", null, null, null));

    @Test
    @DisplayName("hypertables of every time type are copied into the chunks TimescaleDB's routing would make: rows equal, no empty chunk, "
            + "nothing in the parent, every chunk analyzed")
    void copies_into_the_chunks_routing_would_make(TestDatabases dbs) throws Exception {
        try (Connection c = dbs.openSource(); Statement st = c.createStatement()) {
            st.execute(SCHEMA);
        }
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        HandOver h = new Bootstrap(BootstrapIT.plan(dbs, "chunk_pieces", HYPERTABLES, false), false, new PrintStream(log, true, StandardCharsets.UTF_8),
                ProgressMode.PLAIN).run();
        assertThat(h.rowsCopied()).isEqualTo(20000 + 6001 + 401 + 4007 + 770 + 2306 + 5000);
        try (Connection s = dbs.openSource(); Connection t = dbs.openTarget()) {
            assertThat(count(t, "SELECT count(DISTINCT p->>'table') FROM tsmigrate.bootstrap_state, jsonb_array_elements(pieces) p "
                    + "WHERE jsonb_typeof(p->'span') = 'object'")).as("hypertables whose pieces went straight into chunks").isEqualTo(HYPERTABLES.size());
            Map<String, String> source = Digest.database(s);
            assertThat(Digest.database(t)).as("every table's digest").isEqualTo(source);
            for (BootstrapPlan.HypertableSpec spec : HYPERTABLES) {
                String table = io.tsmigrate.common.Ident.quote(spec.tableName());
                String interval = spec.chunkInterval().matches("\\d+") ? spec.chunkInterval() : "INTERVAL '" + spec.chunkInterval() + "'";
                String oid = io.tsmigrate.common.Ident.literal(table) + "::regclass";
                // The same rows routed by TimescaleDB into a scratch hypertable with the same interval: the chunks must match.
                try (Statement st = t.createStatement()) {
                    st.execute("CREATE TABLE routed (LIKE " + table + ")");
                    st.execute("SELECT create_hypertable('routed', by_range(" + io.tsmigrate.common.Ident.literal(spec.timeColumn()) + ", " + interval
                            + "), create_default_indexes => false)");
                    st.execute("INSERT INTO routed SELECT * FROM " + table);
                }
                assertThat(slices(t, spec.tableName())).as("chunks of %s", spec.table()).isEqualTo(slices(t, "routed")).isNotEmpty();
                // Keys and indexes built chunk by chunk in the copy: each chunk has what TimescaleDB's own build of the
                // hypertable's gives the routed copy's, and TimescaleDB's catalog knows them.
                for (String sql : lines(t, "SELECT CASE WHEN c.oid IS NULL THEN 'CREATE ' || CASE WHEN i.indisunique THEN 'UNIQUE ' ELSE '' END "
                        + "|| 'INDEX ON routed' || substring(pg_get_indexdef(i.indexrelid) FROM ' USING .*$') "
                        + "ELSE format('ALTER TABLE routed ADD CONSTRAINT %I %s', 'r_' || c.conname, pg_get_constraintdef(c.oid)) END "
                        + "FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid WHERE i.indrelid = " + oid)) {
                    try (Statement st = t.createStatement()) {
                        st.execute(sql);
                    }
                }
                assertThat(chunkIndexes(t, spec.tableName())).as("keys and indexes of the chunks of %s", spec.table())
                        .isEqualTo(chunkIndexes(t, "routed")).isNotEmpty();
                assertThat(count(t, "SELECT count(*) FROM _timescaledb_catalog.chunk_index x JOIN _timescaledb_catalog.chunk c ON c.id = x.chunk_id "
                        + "JOIN pg_class i ON i.relname = x.index_name AND i.relnamespace = c.schema_name::regnamespace "
                        + "WHERE c.hypertable_id = (SELECT id FROM _timescaledb_catalog.hypertable WHERE table_name = " + io.tsmigrate.common.Ident.literal(spec.tableName())
                        + ") AND i.xmin::text NOT IN (SELECT xmin::text FROM tsmigrate.bootstrap_pieces)")).as("chunk indexes of %s built outside their piece",
                        spec.table()).isZero();
                assertThat(count(t, "SELECT count(*) FROM ONLY " + table)).as("rows in the parent of %s", spec.table()).isZero();
                // ANALYZE, one statement per chunk and the hypertable's inherited statistics.
                assertThat(count(t, "SELECT count(*) FROM show_chunks(" + oid + ") c WHERE NOT EXISTS "
                        + "(SELECT FROM pg_statistic WHERE starelid = c AND NOT stainherit)")).as("chunks of %s without statistics", spec.table()).isZero();
                assertThat(count(t, "SELECT count(*) FROM pg_statistic WHERE starelid = " + oid + " AND stainherit"))
                        .as("inherited statistics of %s", spec.table()).isPositive();
                // Each chunk analyzed once, after its rows committed: autovacuum finds nothing changed since, so it does not
                // analyze them again (the backends' counts reach the statistics when they end, hence the wait).
                assertThat(awaitNone(t, "SELECT s.relname || ': ' || s.n_mod_since_analyze || ' changed, analyzed ' || s.analyze_count || '+' "
                        + "|| s.autoanalyze_count FROM pg_stat_all_tables s WHERE s.relid IN (SELECT show_chunks(" + oid + ")) "
                        + "AND (s.n_mod_since_analyze > 0 OR s.analyze_count <> 1)")).as("chunks of %s changed since their ANALYZE or analyzed twice",
                        spec.table()).isEmpty();
                // Analyzed after its expression index is built (the index's own statistics) and its extended statistics made.
                assertThat(count(t, "SELECT count(*) FROM pg_index i WHERE i.indrelid IN (SELECT show_chunks(" + oid + ")) AND i.indexprs IS NOT NULL "
                        + "AND NOT EXISTS (SELECT FROM pg_statistic WHERE starelid = i.indexrelid)")).as("chunk expression indexes of %s without statistics",
                        spec.table()).isZero();
                try (Statement st = t.createStatement()) {
                    st.execute("DROP TABLE routed");
                }
            }
            // Rows read in time order go into each chunk in its key's order (KeyOrder); a row longer than it holds (the second
            // day) ends that for the rest of its chunk, and the rows still arrive, as the digests above show.
            List<Long> inversions = new ArrayList<>();
            for (String chunk : lines(t, "SELECT format('%I.%I', c.schema_name, c.table_name) FROM _timescaledb_catalog.chunk c JOIN _timescaledb_catalog.hypertable h "
                    + "ON h.id = c.hypertable_id JOIN _timescaledb_catalog.chunk_constraint cc ON cc.chunk_id = c.id JOIN _timescaledb_catalog.dimension_slice ds "
                    + "ON ds.id = cc.dimension_slice_id WHERE h.table_name = 'Gerät daten' ORDER BY ds.range_start")) {
                inversions.add(count(t, "SELECT count(*) FROM (SELECT \"Gerät\" g, \"Zeit\" z, lag(\"Gerät\") OVER w pg, lag(\"Zeit\") OVER w pz FROM " + chunk
                        + " WINDOW w AS (ORDER BY ctid)) x WHERE (pg, pz) > (g, z)"));
            }
            assertThat(inversions).as("rows out of key order in each chunk of \"Gerät daten\", by day").hasSize(4);
            assertThat(inversions.get(0)).isZero();
            assertThat(inversions.get(1)).isPositive();
            assertThat(inversions.get(3)).isZero();
            assertThat(awaitNone(t, "SELECT relname || ': ' || n_mod_since_analyze || ' changed, analyzed ' || analyze_count FROM pg_stat_user_tables "
                    + "WHERE relname = 'plain_rows' AND (n_mod_since_analyze > 0 OR analyze_count <> 1)")).as("a table that is not a hypertable, "
                    + "analyzed once after its copy's row counts").isEmpty();
            // A chunk left without statistics (a bootstrap killed between its piece's commit and that chunk's ANALYZE) is the
            // only one the closing ANALYZE takes of a table whose chunks the copy analyzes; the others are not analyzed twice.
            TableInfo days = new TableInfo("public", "days", 1, 1, 1, List.of("d", "v"), List.of(), List.of(), 'd', List.of(), List.of(), null, null);
            String bare = lines(t, "SELECT format('\"%s\".\"%s\"', n.nspname, r.relname) FROM show_chunks('days') c JOIN pg_class r ON r.oid = c "
                    + "JOIN pg_namespace n ON n.oid = r.relnamespace LIMIT 1").get(0);
            try (Statement st = t.createStatement()) {
                st.execute("DELETE FROM pg_statistic WHERE starelid = " + io.tsmigrate.common.Ident.literal(bare) + "::regclass");
            }
            assertThat(TargetAnalyze.plan(t, List.of(days), "public.days"::equals)).extracting(TargetAnalyze.Job::relation, TargetAnalyze.Job::inheritedOnly)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple(bare, false), org.assertj.core.groups.Tuple.tuple("\"public\".\"days\"", true));
            assertThat(TargetAnalyze.plan(t, List.of(days), x -> false)).as("every chunk when the copy analyzed none")
                    .hasSize((int) count(t, "SELECT count(*) FROM show_chunks('days')") + 1);
            // What TimescaleDB does with a hypertable's keys and indexes through its catalog works on chunks built in the copy.
            try (Statement st = t.createStatement()) {
                st.execute("INSERT INTO \"Mess\"\"wert ü\" (id, \"Zeit ü\", payload) SELECT id, \"Zeit ü\", 'again' FROM \"Mess\"\"wert ü\" WHERE id <= 100 "
                        + "ON CONFLICT (id, \"Zeit ü\") DO UPDATE SET payload = 'updated'");
                assertThat(count(t, "SELECT count(*) FROM \"Mess\"\"wert ü\" WHERE payload = 'updated'")).as("rows updated through the chunks' keys").isEqualTo(100);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> st.execute("INSERT INTO \"Mess\"\"wert ü\" SELECT * FROM \"Mess\"\"wert ü\" WHERE id = 7"))
                        .hasMessageContaining("duplicate key");
                st.execute("ALTER TABLE days SET (timescaledb.compress)");
                st.execute("SELECT count(compress_chunk(c)) FROM show_chunks('days') c");
                st.execute("SELECT count(decompress_chunk(c)) FROM (SELECT c FROM show_chunks('days') c LIMIT 2) x");
                st.execute("ALTER INDEX days_upper RENAME TO days_upper_v");
                assertThat(count(t, "SELECT count(*) FROM _timescaledb_catalog.chunk_index WHERE hypertable_index_name = 'days_upper'")).isZero();
                assertThat(count(t, "SELECT count(*) FROM _timescaledb_catalog.chunk_index x JOIN pg_class c ON c.relname = x.index_name "
                        + "WHERE x.hypertable_index_name = 'days_upper_v' AND x.index_name LIKE '%days_upper_v'")).isPositive();
                st.execute("ALTER TABLE \"Mess\"\"wert ü\" DROP CONSTRAINT \"Mess\"\"wert ü_pkey\"");
                assertThat(count(t, "SELECT count(*) FROM pg_constraint WHERE contype = 'p' AND conrelid IN (SELECT show_chunks('\"Mess\"\"wert ü\"'))"))
                        .as("the chunks' keys dropped with the hypertable's").isZero();
            }
            assertThat(Digest.database(t)).as("days after compressing and decompressing").containsEntry("public.days", source.get("public.days"));
            assertThat(count(t, "SELECT count(*) FROM pg_index i WHERE i.indrelid IN (SELECT show_chunks('days')) AND i.indexprs IS NOT NULL"))
                    .as("chunk expression indexes of days").isPositive();
            assertThat(count(t, "SELECT count(*) FROM pg_statistic_ext x JOIN pg_statistic_ext_data d ON d.stxoid = x.oid WHERE x.stxname = 'counters_nv'"))
                    .as("extended statistics of counters, built").isPositive();
        }
    }

    /** The hypertable's chunks as their dimension slices, in order. */
    private static List<String> slices(Connection c, String hypertable) throws Exception {
        List<String> out = new ArrayList<>();
        try (var ps = c.prepareStatement("SELECT ds.range_start || ',' || ds.range_end FROM _timescaledb_catalog.chunk ch "
                + "JOIN _timescaledb_catalog.hypertable h ON h.id = ch.hypertable_id JOIN _timescaledb_catalog.chunk_constraint cc ON cc.chunk_id = ch.id "
                + "JOIN _timescaledb_catalog.dimension_slice ds ON ds.id = cc.dimension_slice_id WHERE h.table_name = ? AND NOT ch.dropped "
                + "ORDER BY ds.range_start")) {
            ps.setString(1, hypertable);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /**
     * Per chunk, in time order: each key and index TimescaleDB's catalog gives it for the hypertable's, by its shape
     * (not its name) and, for a key, its constraint's definition.
     */
    private static List<String> chunkIndexes(Connection c, String hypertable) throws Exception {
        return lines(c, "SELECT string_agg(concat_ws(' ', i.indisunique, i.indisprimary, i.indkey::text, i.indclass::text, i.indoption::text, "
                + "am.amname, pg_get_expr(i.indexprs, i.indrelid), pg_get_expr(i.indpred, i.indrelid), x.reloptions::text, k.contype, "
                + "pg_get_constraintdef(k.oid), k.conname ~ ('^' || ch.id || '_[0-9]+_'), x.relname = left(ch.table_name || '_' || ci.hypertable_index_name, 63) "
                + "OR k.oid IS NOT NULL), ' | ' ORDER BY i.indisprimary DESC, i.indisunique DESC, i.indkey::text, pg_get_expr(i.indexprs, i.indrelid), "
                + "pg_get_expr(i.indpred, i.indrelid)) "
                + "FROM _timescaledb_catalog.chunk ch JOIN _timescaledb_catalog.hypertable h ON h.id = ch.hypertable_id "
                + "JOIN _timescaledb_catalog.chunk_constraint cc ON cc.chunk_id = ch.id AND cc.dimension_slice_id IS NOT NULL "
                + "JOIN _timescaledb_catalog.dimension_slice ds ON ds.id = cc.dimension_slice_id "
                + "JOIN _timescaledb_catalog.chunk_index ci ON ci.chunk_id = ch.id "
                + "JOIN pg_class x ON x.relname = ci.index_name AND x.relnamespace = ch.schema_name::regnamespace JOIN pg_index i ON i.indexrelid = x.oid "
                + "JOIN pg_am am ON am.oid = x.relam LEFT JOIN pg_constraint k ON k.conindid = x.oid AND k.conrelid = i.indrelid "
                + "LEFT JOIN _timescaledb_catalog.chunk_constraint kc ON kc.chunk_id = ch.id AND kc.constraint_name = k.conname "
                + "AND kc.hypertable_constraint_name = ci.hypertable_index_name "
                + "WHERE h.table_name = " + io.tsmigrate.common.Ident.literal(hypertable) + " AND NOT ch.dropped AND (k.oid IS NULL OR kc.chunk_id IS NOT NULL) "
                + "GROUP BY ds.range_start ORDER BY ds.range_start");
    }

    private static List<String> lines(Connection c, String sql) throws Exception {
        return io.tsmigrate.common.Db.lines(c, sql);
    }

    /** The rows of {@code sql}, polled for up to ten seconds until there are none. */
    private static List<String> awaitNone(Connection c, String sql) throws Exception {
        List<String> rows = lines(c, sql);
        for (int i = 0; i < 100 && !rows.isEmpty(); i++) {
            Thread.sleep(100);
            rows = lines(c, sql);
        }
        return rows;
    }

    private static long count(Connection c, String sql) throws Exception {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}

package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * The bootstrap's closing ANALYZE. TimescaleDB runs {@code ANALYZE hypertable} as one statement over every chunk, so a
 * migration's biggest table was analyzed on one connection at the very end while the others had nothing left to do.
 * Here a hypertable's chunks (and their compressed relations, as TimescaleDB's own ANALYZE includes them) are
 * statements of their own, shared by the index jobs largest first, and the hypertable itself gets only its inherited
 * statistics: {@code ANALYZE} with TimescaleDB's utility hook off ({@code timescaledb.restoring}, for the one
 * transaction), which is PostgreSQL's ANALYZE of an inheritance parent. Setting that needs a superuser (or the
 * privilege to set it); without it a hypertable is analyzed by TimescaleDB's one statement, as before.
 */
final class TargetAnalyze {

    /** One ANALYZE; {@code inheritedOnly} for a hypertable whose chunks are analyzed by statements of their own. */
    record Job(String relation, long bytes, boolean inheritedOnly) {
    }

    private TargetAnalyze() {
    }

    /**
     * The statements, table by table: a hypertable's chunks first, its inherited statistics after them.
     *
     * @param chunksAnalyzed the tables whose chunks the copy analyzed ({@link ChunkBuilds#analyzesChunks}): of those,
     *                       only chunks without statistics are analyzed here (a bootstrap killed between a piece's commit
     *                       and its ANALYZE leaves such a chunk)
     */
    static List<Job> plan(Connection tgt, List<TableInfo> tables, Predicate<String> chunksAnalyzed) throws SQLException {
        boolean split = "t".equals(Db.one(tgt, "SELECT to_regclass('_timescaledb_catalog.chunk') IS NOT NULL "
                + "AND (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)"));
        List<Job> jobs = new ArrayList<>();
        for (TableInfo t : tables) {
            List<Chunk> chunks = split ? chunks(tgt, t) : List.of();
            if (chunks.isEmpty()) {
                jobs.add(new Job(t.qualified(), t.bytes(), false));
                continue;
            }
            boolean analyzedInCopy = chunksAnalyzed.test(t.id());
            chunks.stream().filter(c -> !(analyzedInCopy && c.hasStatistics())).forEach(c -> jobs.add(c.job()));
            // The inherited sample reads about as much as one chunk's.
            jobs.add(new Job(t.qualified(), t.bytes() / chunks.size(), true));
        }
        return jobs;
    }

    /** A chunk's ANALYZE and whether PostgreSQL holds statistics of it already. */
    private record Chunk(Job job, boolean hasStatistics) {
    }

    static void run(Connection c, Job job) throws SQLException {
        if (!job.inheritedOnly()) {
            try (Statement st = c.createStatement()) {
                st.execute("ANALYZE " + job.relation());
            }
            return;
        }
        Db.inTransaction(c, tx -> {
            try (Statement st = tx.createStatement()) {
                st.execute("SELECT pg_catalog.set_config('timescaledb.restoring', 'on', true)");
                st.execute("ANALYZE " + job.relation());
            }
        });
    }

    /** A hypertable's chunk relations with their sizes; none for a table that is not a hypertable. */
    private static List<Chunk> chunks(Connection tgt, TableInfo t) throws SQLException {
        String sql = "WITH c AS (SELECT c.* FROM _timescaledb_catalog.chunk c JOIN _timescaledb_catalog.hypertable h ON h.id = c.hypertable_id "
                + "WHERE h.schema_name = ? AND h.table_name = ? AND NOT c.dropped), "
                + "r AS (SELECT id, 0 AS k, schema_name, table_name FROM c UNION ALL "
                + "SELECT c.id, 1, z.schema_name, z.table_name FROM c JOIN _timescaledb_catalog.chunk z ON z.id = c.compressed_chunk_id) "
                + "SELECT schema_name, table_name, pg_catalog.pg_relation_size(o), EXISTS (SELECT FROM pg_catalog.pg_statistic WHERE starelid = o) "
                + "FROM r, LATERAL (SELECT pg_catalog.format('%I.%I', schema_name, table_name)::regclass AS o) x ORDER BY id, k";
        List<Chunk> out = new ArrayList<>();
        try (PreparedStatement ps = tgt.prepareStatement(sql)) {
            ps.setString(1, t.schema());
            ps.setString(2, t.name());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new Chunk(new Job(Ident.qualified(rs.getString(1), rs.getString(2)), rs.getLong(3), false), rs.getBoolean(4)));
                }
            }
        }
        return out;
    }
}

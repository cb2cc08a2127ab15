package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Ident;

import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A TimescaleDB source's continuous aggregates, migrated with their whole materialized history, also where the
 * source's retention already dropped the raw rows beneath it.
 *
 * <ul>
 *   <li>Schema: pg_dump leaves each aggregate's view out (it reads from a materialization hypertable in
 *   {@code _timescaledb_internal}, which pg_dump does not copy); the aggregate is created on the target {@code WITH NO
 *   DATA} from its definition, after the hypertables, and its materialization hypertable is renamed to the source's
 *   name. With the same name on both sides the copy, the stream and the comparison need no map.</li>
 *   <li>Data: the bootstrap copies the source's materialization hypertables from the snapshot like any table.</li>
 *   <li>Stream: a refresh on the source deletes and inserts materialized rows. Those tables are published with every
 *   chunk (TABLES IN SCHEMA _timescaledb_internal) and have no key, and PostgreSQL refuses a DELETE on a published
 *   table without a replica identity: the source's refreshes would fail during the migration. The bootstrap sets
 *   {@code REPLICA IDENTITY FULL} on them on the source (their chunks, also later ones, take it from the hypertable),
 *   so the refreshes work and stream; {@code tsmigrate clean} sets it back.</li>
 *   <li>State: where an aggregate's materialization ends (its watermark), the invalidation threshold of its raw
 *   hypertable and the pending invalidations live in TimescaleDB's catalog, which does not stream. {@link #readState}
 *   reads them and {@link #writeState} puts them on the target at cutover, so real-time aggregates answer the same
 *   and the target's next refresh recomputes exactly what the source's would have.</li>
 * </ul>
 */
public final class ContinuousAggregates {

    /** One aggregate as both sides name it. */
    record Aggregate(String schema, String view, String definition, boolean materializedOnly, String matSchema, String matTable) {
    }

    private ContinuousAggregates() {
    }

    static List<Aggregate> read(Connection src) throws SQLException {
        List<Aggregate> out = new ArrayList<>();
        if (!SourceCatalog.hasExtension(src, "timescaledb")) {
            return out;
        }
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT ca.user_view_schema, ca.user_view_name, "
                + "i.view_definition, ca.materialized_only, h.schema_name, h.table_name FROM _timescaledb_catalog.continuous_agg ca "
                + "JOIN _timescaledb_catalog.hypertable h ON h.id = ca.mat_hypertable_id JOIN timescaledb_information.continuous_aggregates i "
                + "ON i.view_schema = ca.user_view_schema AND i.view_name = ca.user_view_name ORDER BY ca.mat_hypertable_id")) {
            while (rs.next()) {
                out.add(new Aggregate(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4), rs.getString(5), rs.getString(6)));
            }
        }
        return out;
    }

    /** pg_dump arguments that leave the aggregates' views out of the schema copy. */
    static List<String> dumpExclusions(List<Aggregate> aggregates) {
        return aggregates.stream().map(a -> "--exclude-table=" + pattern(a.schema()) + "." + pattern(a.view())).toList();
    }

    private static String pattern(String name) {
        return "\"" + name.replace("\"", "\"\"") + "\"";
    }

    /** The statement that creates one continuous aggregate without data, from its view definition. */
    static String createView(String schema, String view, String definition, boolean materializedOnly) {
        String body = definition.strip();
        if (body.endsWith(";")) {
            body = body.substring(0, body.length() - 1);
        }
        return "CREATE MATERIALIZED VIEW " + Ident.qualified(schema, view) + " WITH (timescaledb.continuous, timescaledb.materialized_only = "
                + materializedOnly + ") AS " + body + " WITH NO DATA";
    }

    /**
     * SQL that creates the aggregates on the target without data, in the source's creation order (an aggregate on
     * an aggregate comes after the one it reads), then gives their materialization hypertables the source's names
     * (through temporary names, so two of them can swap).
     */
    static String createSql(List<Aggregate> aggregates) {
        StringBuilder sql = new StringBuilder();
        for (Aggregate a : aggregates) {
            sql.append(createView(a.schema(), a.view(), a.definition(), a.materializedOnly())).append(";\n");
        }
        for (int pass = 0; pass < 2; pass++) {
            for (int i = 0; i < aggregates.size(); i++) {
                Aggregate a = aggregates.get(i);
                String to = pass == 0 ? "_tsmigrate_materialization_" + i : a.matTable();
                sql.append("DO $tsm$ DECLARE s text; t text; BEGIN SELECT h.schema_name, h.table_name INTO s, t FROM _timescaledb_catalog.continuous_agg ca ")
                        .append("JOIN _timescaledb_catalog.hypertable h ON h.id = ca.mat_hypertable_id WHERE ca.user_view_schema = ")
                        .append(Ident.literal(a.schema())).append(" AND ca.user_view_name = ").append(Ident.literal(a.view()))
                        .append("; IF t <> ").append(Ident.literal(to)).append(" THEN EXECUTE format('ALTER TABLE %I.%I RENAME TO %I', s, t, ")
                        .append(Ident.literal(to)).append("); END IF; END $tsm$;\n");
            }
        }
        return sql.toString();
    }

    /** Sets REPLICA IDENTITY FULL on the source's materialization hypertables that have none, so refreshes keep working. */
    static void keepRefreshable(Connection src, List<Aggregate> aggregates, Consumer<String> say) throws SQLException {
        try (Statement st = src.createStatement()) {
            for (Aggregate a : aggregates) {
                String table = Ident.qualified(a.matSchema(), a.matTable());
                if ("d".equals(Db.one(src, "SELECT relreplident FROM pg_class WHERE oid = " + Ident.literal(table) + "::regclass"))) {
                    st.execute("ALTER TABLE " + table + " REPLICA IDENTITY FULL");
                    say.accept("Set REPLICA IDENTITY FULL on the source's " + a.matSchema() + "." + a.matTable() + ", the materialization of "
                            + a.schema() + "." + a.view() + ": published, its refreshes delete rows (tsmigrate clean sets it back)");
                }
            }
        }
    }

    /** Sets the source's materialization hypertables back to REPLICA IDENTITY DEFAULT; returns their names. */
    public static List<String> restoreReplicaIdentity(Connection src) throws SQLException {
        List<String> out = new ArrayList<>();
        for (Aggregate a : read(src)) {
            String table = Ident.qualified(a.matSchema(), a.matTable());
            if ("f".equals(Db.one(src, "SELECT relreplident FROM pg_class WHERE oid = " + Ident.literal(table) + "::regclass"))) {
                try (Statement st = src.createStatement()) {
                    st.execute("ALTER TABLE " + table + " REPLICA IDENTITY DEFAULT");
                }
                out.add(a.matSchema() + "." + a.matTable());
            }
        }
        return out;
    }

    /**
     * The catalog state of every aggregate, as SQL for the target: its watermark, its raw hypertable's invalidation
     * threshold, and the pending invalidations of both logs, each with the target's hypertable ids. Read in one
     * snapshot; everything it covers committed before the snapshot, so once the stream has passed a point after it,
     * the target holds the materialized rows this state describes.
     */
    public static List<String> readState(Connection src) throws SQLException {
        List<String> sql = new ArrayList<>();
        if (!SourceCatalog.hasExtension(src, "timescaledb")) {
            return sql;
        }
        boolean auto = src.getAutoCommit();
        src.setAutoCommit(false);
        try (Statement st = src.createStatement()) {
            st.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ");
            for (Aggregate a : read(src)) {
                String view = Ident.literal(a.schema()) + ", " + Ident.literal(a.view());
                String mat = "(SELECT mat_hypertable_id FROM _timescaledb_catalog.continuous_agg WHERE (user_view_schema, user_view_name) = (" + view + "))";
                String raw = "(SELECT raw_hypertable_id FROM _timescaledb_catalog.continuous_agg WHERE (user_view_schema, user_view_name) = (" + view + "))";
                String source = "FROM _timescaledb_catalog.continuous_agg WHERE (user_view_schema, user_view_name) = (" + view + ")";
                String watermark = Db.one(src, "SELECT w.watermark FROM _timescaledb_catalog.continuous_aggs_watermark w JOIN "
                        + "_timescaledb_catalog.continuous_agg ca ON ca.mat_hypertable_id = w.mat_hypertable_id WHERE (ca.user_view_schema, ca.user_view_name) = (" + view + ")");
                if (watermark != null) {
                    sql.add("UPDATE _timescaledb_catalog.continuous_aggs_watermark SET watermark = " + Long.parseLong(watermark) + " WHERE mat_hypertable_id = " + mat);
                }
                String threshold = Db.one(src, "SELECT t.watermark FROM _timescaledb_catalog.continuous_aggs_invalidation_threshold t JOIN "
                        + "_timescaledb_catalog.continuous_agg ca ON ca.raw_hypertable_id = t.hypertable_id WHERE (ca.user_view_schema, ca.user_view_name) = (" + view + ")");
                if (threshold != null) {
                    sql.add("INSERT INTO _timescaledb_catalog.continuous_aggs_invalidation_threshold (hypertable_id, watermark) VALUES (" + raw + ", "
                            + Long.parseLong(threshold) + ") ON CONFLICT (hypertable_id) DO UPDATE SET watermark = excluded.watermark");
                }
                sql.add("DELETE FROM _timescaledb_catalog.continuous_aggs_materialization_invalidation_log WHERE materialization_id = " + mat);
                for (String range : ranges(src, "SELECT lowest_modified_value, greatest_modified_value FROM "
                        + "_timescaledb_catalog.continuous_aggs_materialization_invalidation_log WHERE materialization_id = (SELECT mat_hypertable_id " + source + ")")) {
                    sql.add("INSERT INTO _timescaledb_catalog.continuous_aggs_materialization_invalidation_log VALUES (" + mat + ", " + range + ")");
                }
                sql.add("DELETE FROM _timescaledb_catalog.continuous_aggs_hypertable_invalidation_log WHERE hypertable_id = " + raw);
                for (String range : ranges(src, "SELECT lowest_modified_value, greatest_modified_value FROM "
                        + "_timescaledb_catalog.continuous_aggs_hypertable_invalidation_log WHERE hypertable_id = (SELECT raw_hypertable_id " + source + ")")) {
                    sql.add("INSERT INTO _timescaledb_catalog.continuous_aggs_hypertable_invalidation_log VALUES (" + raw + ", " + range + ")");
                }
            }
            src.commit();
        } finally {
            src.setAutoCommit(auto);
        }
        // Two aggregates on one raw hypertable share its log: the second one's statements replace it with the same rows.
        return sql;
    }

    private static List<String> ranges(Connection c, String query) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(query)) {
            while (rs.next()) {
                out.add(rs.getLong(1) + ", " + rs.getLong(2));
            }
        }
        return out;
    }

    /** Writes the state from {@link #readState} on the target in one transaction; returns how many aggregates it had. */
    public static int writeState(Connection tgt, List<String> state) throws SQLException {
        if (state.isEmpty()) {
            return 0;
        }
        Db.inTransaction(tgt, c -> {
            try (Statement st = c.createStatement()) {
                for (String s : state) {
                    st.execute(s);
                }
            }
        });
        return (int) state.stream().filter(s -> s.startsWith("DELETE FROM _timescaledb_catalog.continuous_aggs_materialization")).count();
    }
}

package io.tsmigrate.bootstrap;

import io.tsmigrate.common.MigrationScope;
import io.tsmigrate.common.Ident;
import io.tsmigrate.common.TableSelection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What the source holds that the bootstrap needs: the covered tables with their sizes, keys, indexes and hypertables.
 * Which tables are covered, and the source's user tables, are {@link MigrationScope}'s. Stateless.
 */
public final class SourceCatalog {

    private SourceCatalog() {
    }

    static List<TableInfo> tables(Connection c, BootstrapPlan plan) throws SQLException {
        TableSelection selection = plan.selection();
        boolean timescale = hasExtension(c, "timescaledb");
        String sql = "SELECT n.nspname, cl.relname, cl.oid, pg_total_relation_size(cl.oid), pg_relation_size(cl.oid) / current_setting('block_size')::int, "
                + "greatest(cl.reltuples, 0)::bigint, cl.relreplident, cl.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhparent = cl.oid) "
                + "FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace "
                + "WHERE cl.relkind IN ('r', 'p') AND NOT cl.relispartition AND " + MigrationScope.INTERNAL_SCHEMAS
                + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = cl.oid AND d.deptype = 'e') ORDER BY pg_total_relation_size(cl.oid) DESC";
        List<TableInfo> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                String schema = rs.getString(1);
                String name = rs.getString(2);
                if (!selection.covers(schema, name)) {
                    if (timescale && sourceHypertable(c, schema, name) != null) {
                        // Its chunks, also those created during the migration, are published with every chunk
                        // (TABLES IN SCHEMA _timescaledb_internal) and would reach a sink that has no table for them.
                        throw new BootstrapException("hypertable " + schema + "." + name + " of the TimescaleDB source is left out by the table "
                                + "selection, which tsmigrate does not support yet for hypertables; migrate every hypertable (narrow the "
                                + "--table/--exclude-table/--include-schema/--exclude-schema patterns) or drop the ones you do not need first");
                    }
                    continue;
                }
                long oid = rs.getLong(3);
                List<String> cols = new ArrayList<>();
                List<String> generated = new ArrayList<>();
                columns(c, oid, cols, generated);
                String[] hyper = timescale ? sourceHypertable(c, schema, name) : null;
                long[] size = {rs.getLong(4), rs.getLong(5), rs.getLong(6)};
                if (hyper != null) {
                    // A hypertable's rows live in its chunks: size, pages and rows are theirs.
                    size = hypertableSize(c, oid);
                }
                out.add(new TableInfo(schema, name, size[0], size[1], size[2], cols, generated, primaryKey(c, oid),
                        rs.getString(7).charAt(0), uniqueIndexes(c, oid), indexedColumns(c, oid), hyper == null ? null : hyper[0],
                        hyper == null ? null : hyper[1], rs.getBoolean(8) && hyper == null));
            }
        }
        // Largest first: one big table should start first and use every worker.
        out.sort(java.util.Comparator.comparingLong(TableInfo::bytes).reversed());
        return out;
    }

    /**
     * The materialization hypertables of the source's continuous aggregates (in {@code _timescaledb_internal}, left out
     * of {@link #tables}): the bootstrap copies their rows, the materialized history, into the target's hypertables of
     * the same names ({@link ContinuousAggregates}). Each carries its time column as {@code sourceTime}.
     */
    static List<TableInfo> materializations(Connection c) throws SQLException {
        List<TableInfo> out = new ArrayList<>();
        if (!hasExtension(c, "timescaledb")) {
            return out;
        }
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT h.schema_name, h.table_name, format('%I.%I', h.schema_name, "
                + "h.table_name)::regclass::oid, d.column_name FROM _timescaledb_catalog.continuous_agg ca JOIN _timescaledb_catalog.hypertable h "
                + "ON h.id = ca.mat_hypertable_id JOIN _timescaledb_catalog.dimension d ON d.hypertable_id = h.id AND d.interval_length IS NOT NULL "
                + "ORDER BY ca.mat_hypertable_id")) {
            while (rs.next()) {
                long oid = rs.getLong(3);
                List<String> cols = new ArrayList<>();
                columns(c, oid, cols, new ArrayList<>());
                long[] size = hypertableSize(c, oid);
                out.add(new TableInfo(rs.getString(1), rs.getString(2), size[0], size[1], size[2], cols, List.of(), List.of(), 'f', List.of(),
                        indexedColumns(c, oid), rs.getString(4), null));
            }
        }
        return out;
    }

    private static long[] hypertableSize(Connection c, long oid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT hypertable_size(?::oid::regclass), coalesce((SELECT sum(pg_relation_size(format('%I.%I', "
                + "ch.chunk_schema, ch.chunk_name)::regclass)) FROM timescaledb_information.chunks ch JOIN pg_class h ON h.relname = ch.hypertable_name "
                + "JOIN pg_namespace hn ON hn.oid = h.relnamespace AND hn.nspname = ch.hypertable_schema WHERE h.oid = ?), 0) "
                + "/ current_setting('block_size')::int, greatest(approximate_row_count(?::oid::regclass), 0)")) {
            ps.setLong(1, oid);
            ps.setLong(2, oid);
            ps.setLong(3, oid);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
            }
        }
    }

    static boolean hasExtension(Connection c, String name) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_extension WHERE extname = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private static void columns(Connection c, long oid, List<String> cols, List<String> generated) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT attname, attgenerated <> '' FROM pg_attribute WHERE attrelid = ? AND attnum > 0 "
                + "AND NOT attisdropped ORDER BY attnum")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    (rs.getBoolean(2) ? generated : cols).add(rs.getString(1));
                }
            }
        }
    }

    private static List<String> primaryKey(Connection c, long oid) throws SQLException {
        for (TableInfo.UniqueIndex u : uniqueIndexes(c, oid)) {
            if (u.primary()) {
                return u.columns();
            }
        }
        return List.of();
    }

    static List<TableInfo.UniqueIndex> uniqueIndexes(Connection c, long oid) throws SQLException {
        List<TableInfo.UniqueIndex> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT ic.relname, i.indisprimary, array(SELECT a.attname FROM unnest(i.indkey) "
                + "WITH ORDINALITY k(attnum, n) JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n) "
                + "FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid WHERE i.indrelid = ? AND i.indisunique ORDER BY 1")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(new TableInfo.UniqueIndex(rs.getString(1), Arrays.asList((String[]) rs.getArray(3).getArray()), rs.getBoolean(2)));
                }
            }
        }
        return out;
    }

    private static List<String> indexedColumns(Connection c, long oid) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
                + "AND a.attnum = i.indkey[0] WHERE i.indrelid = ?")) {
            ps.setLong(1, oid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /**
     * A source hypertable's hash (space) dimension when it has exactly one besides time: {column, partitions}; else null.
     * The target hypertable gets it too, so its chunks are laid out as the source's.
     */
    static String[] spaceDimension(Connection c, String schema, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT column_name, num_partitions, (SELECT count(*) FROM timescaledb_information.dimensions x "
                + "WHERE x.hypertable_schema = d.hypertable_schema AND x.hypertable_name = d.hypertable_name) FROM timescaledb_information.dimensions d "
                + "WHERE hypertable_schema = ? AND hypertable_name = ? AND dimension_number = 2 AND dimension_type = 'Space' AND num_partitions IS NOT NULL")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getInt(3) == 2 ? new String[] {rs.getString(1), rs.getString(2)} : null;
            }
        }
    }

    private static String[] sourceHypertable(Connection c, String schema, String table) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT column_name, coalesce(time_interval::text, integer_interval::text) "
                + "FROM timescaledb_information.dimensions WHERE hypertable_schema = ? AND hypertable_name = ? AND dimension_number = 1")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new String[] {rs.getString(1), rs.getString(2)} : null;
            }
        }
    }

    /**
     * Tables with a column of an OID alias type (regclass, regconfig, regrole, ...; also in an array, a composite or under a domain):
     * the binary copy sends such a value as the source's OID, which on the target names another object or none (a
     * regclass column arrived as 74021), so these tables are copied as text, which carries the object's name.
     */
    static final String OID_ALIAS_TABLES = "WITH RECURSIVE types(relid, typ) AS (SELECT a.attrelid, a.atttypid FROM pg_attribute a "
            + "JOIN pg_class c ON c.oid = a.attrelid WHERE c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped "
            + "UNION SELECT t.relid, n.typ FROM types t JOIN pg_type ty ON ty.oid = t.typ CROSS JOIN LATERAL (SELECT ty.typbasetype WHERE ty.typtype = 'd' "
            + "UNION ALL SELECT ty.typelem WHERE ty.typcategory = 'A' AND ty.typelem <> 0 UNION ALL SELECT f.atttypid FROM pg_attribute f "
            + "WHERE ty.typtype = 'c' AND f.attrelid = ty.typrelid AND f.attnum > 0 AND NOT f.attisdropped) n(typ)) "
            + "SELECT DISTINCT n.nspname, c.relname FROM types t JOIN pg_type ty ON ty.oid = t.typ JOIN pg_class c ON c.oid = t.relid "
            + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE ty.typnamespace = 'pg_catalog'::regnamespace AND ty.typname IN ('regclass', "
            + "'regproc', 'regprocedure', 'regoper', 'regoperator', 'regconfig', 'regdictionary', 'regnamespace', 'regrole', 'regcollation', 'regtype')";

    /** The ids ({@link TableInfo#id}) of the tables {@link #OID_ALIAS_TABLES} finds. */
    static java.util.Set<String> oidAliasTables(Connection src) throws SQLException {
        java.util.Set<String> out = new java.util.HashSet<>();
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery(OID_ALIAS_TABLES)) {
            while (rs.next()) {
                out.add(Ident.readable(rs.getString(1), rs.getString(2)));
            }
        }
        return out;
    }
}

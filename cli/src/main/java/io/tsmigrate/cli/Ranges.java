package io.tsmigrate.cli;

import io.tsmigrate.bootstrap.Ident;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * How a table is split into verification ranges, one definition per table kept in the target
 * ({@code tsmigrate.verify_ranges}), where the sink reads it to record which ranges it changed
 * ({@code tsmigrate.changed_ranges}, written by its ChangeLedger in the same transaction as the changes).
 * <p>
 * A range is a number: {@code floor(value / width)} of one column. Hypertables are split on their time column
 * (seconds since 1970 for time types: the same instant gives the same range whatever the session's time zone),
 * other tables on a single-column integer primary key; any other table is one range, {@code all}. The width is
 * chosen once, when the table is first defined ({@link #width}): ranges of about 20 rows, so that a cutover
 * compares little more than the rows changed in its last seconds (an update costs the comparison of its range).
 *
 * @param column null: the table is one range
 * @param type   the column's type as {@code format_type} gives it
 * @param width  range width, in the column's units (seconds for time types)
 */
record Ranges(String schema, String table, String column, String type, long width) {

    static final String WHOLE_TABLE = "*";
    static final String ALL = "all";
    private static final long MAX_RANGES = 1_000_000;
    private static final long ROWS_PER_RANGE = 20;

    boolean ranged() {
        return column != null;
    }

    private boolean time() {
        return type.startsWith("timestamp") || type.equals("date");
    }

    String qualified() {
        return Ident.quote(schema) + "." + Ident.quote(table);
    }

    /** The range key of the value {@code ref} (an SQL expression of the column's type), as bigint. */
    String keyOf(String ref) {
        return time() ? "floor(extract(epoch FROM " + ref + ") / " + width + ")::bigint" : "floor(" + ref + "::numeric / " + width + ")::bigint";
    }

    /** The condition for rows whose range key lies in {@code [from, to]}: bounds on the column itself, so an index on it serves. */
    String between(long from, long to) {
        String col = Ident.quote(column);
        return col + " >= " + bound(from) + " AND " + col + " < " + bound(to + 1);
    }

    /**
     * A join that keeps the rows of the ranges {@code keys} (scattered ones: one index range scan each, in one
     * statement), to follow {@code FROM <table>}.
     */
    String joinKeys(long[] keys) {
        StringBuilder list = new StringBuilder();
        for (long k : keys) {
            list.append(list.length() == 0 ? "" : ",").append(k);
        }
        String col = Ident.quote(column);
        return " JOIN unnest('{" + list + "}'::bigint[]) AS tsm_r(tsm_k) ON " + col + " >= " + boundOf("tsm_r.tsm_k") + " AND " + col + " < "
                + boundOf("(tsm_r.tsm_k + 1)");
    }

    private String bound(long key) {
        if (time()) {
            return boundOf(Long.toString(key));
        }
        // Clamped to bigint so the comparison stays on the column's own index (integer types compare across widths).
        java.math.BigInteger v = java.math.BigInteger.valueOf(key).multiply(java.math.BigInteger.valueOf(width));
        return v.max(java.math.BigInteger.valueOf(Long.MIN_VALUE)).min(java.math.BigInteger.valueOf(Long.MAX_VALUE)) + "::bigint";
    }

    /** The lower bound of range {@code key} (an SQL expression), in the column's type. */
    private String boundOf(String key) {
        if (type.equals("timestamp with time zone")) {
            return "to_timestamp(" + key + " * " + width + "::double precision)";
        }
        if (time()) {
            return "(TIMESTAMP 'epoch' + " + key + " * " + width + " * INTERVAL '1 second')";
        }
        return "least(greatest(" + key + "::numeric * " + width + ", -9223372036854775808), 9223372036854775807)::bigint";
    }

    /**
     * A range width for a column whose values span {@code span} units over {@code rows} rows: about
     * {@link #ROWS_PER_RANGE} rows per range where the rows are spread evenly (a change costs the comparison of its
     * range at cutover), at most {@link #MAX_RANGES} ranges, rounded up to a round number (1, 2, 5 times a power of ten;
     * for time, whole seconds, minutes, hours or days). An empty or never analysed table gets 1,000 keys or one hour.
     */
    static long width(long span, long rows, boolean time) {
        long w = rows <= 0 ? (time ? 3600 : 1000) : Math.max(1, (long) Math.ceil(span * (double) ROWS_PER_RANGE / rows));
        w = Math.max(w, span / MAX_RANGES + 1);
        return time ? roundSeconds(w) : roundDecimal(w);
    }

    private static long roundDecimal(long w) {
        for (long p = 1; ; p *= 10) {
            for (long m : new long[] {1, 2, 5}) {
                if (m * p >= w || m * p > Long.MAX_VALUE / 20) {
                    return m * p;
                }
            }
        }
    }

    private static long roundSeconds(long w) {
        for (long s : new long[] {1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400}) {
            if (s >= w) {
                return s;
            }
        }
        return (w + 86399) / 86400 * 86400;
    }

    static void createTables(Connection target) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS tsmigrate");
            st.execute("CREATE TABLE IF NOT EXISTS tsmigrate.verify_ranges (table_schema text NOT NULL, table_name text NOT NULL, column_name text, "
                    + "column_type text, width bigint, range_sql text, PRIMARY KEY (table_schema, table_name))");
            st.execute("CREATE SEQUENCE IF NOT EXISTS tsmigrate.change_version");
            st.execute("CREATE TABLE IF NOT EXISTS tsmigrate.changed_ranges (table_schema text NOT NULL, table_name text NOT NULL, "
                    + "range_key text NOT NULL, version bigint NOT NULL, PRIMARY KEY (table_schema, table_name, range_key))");
            st.execute("CREATE TABLE IF NOT EXISTS tsmigrate.verified_ranges (table_schema text NOT NULL, table_name text NOT NULL, "
                    + "range_key text NOT NULL, version bigint NOT NULL, source_rows bigint NOT NULL, equal boolean NOT NULL, detail text, "
                    + "source_lsn pg_lsn, verified_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (table_schema, table_name, range_key))");
            st.execute("CREATE TABLE IF NOT EXISTS tsmigrate.verified_tables (table_schema text NOT NULL, table_name text NOT NULL, "
                    + "complete boolean NOT NULL DEFAULT false, whole_version bigint NOT NULL DEFAULT 0, ranges bigint, source_rows bigint, "
                    + "finished_at timestamptz, PRIMARY KEY (table_schema, table_name))");
        }
    }

    /** The table's definition: the stored one, else a new one (stored; the sink applies it from its next transaction). */
    static Ranges define(Connection source, Connection target, String schema, String table) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT column_name, column_type, width FROM tsmigrate.verify_ranges "
                + "WHERE table_schema = ? AND table_name = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return new Ranges(schema, table, rs.getString(1), rs.getString(2), rs.getLong(3));
                }
            }
        }
        Ranges r = choose(source, target, schema, table);
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO tsmigrate.verify_ranges VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            ps.setString(3, r.column());
            ps.setString(4, r.type());
            ps.setLong(5, r.width());
            ps.setString(6, r.ranged() ? r.keyOf(Ident.quote(r.column())) : null);
            ps.executeUpdate();
        }
        return r;
    }

    private static Ranges choose(Connection source, Connection target, String schema, String table) throws SQLException {
        String qualified = Ident.quote(schema) + "." + Ident.quote(table);
        String column = null;
        if ("t".equals(CheckCommand.one(target, "SELECT count(*) > 0 FROM pg_extension WHERE extname = 'timescaledb'"))) {
            column = CheckCommand.one(target, "SELECT column_name FROM timescaledb_information.dimensions WHERE dimension_number = 1 AND hypertable_schema = "
                    + Ident.literal(schema) + " AND hypertable_name = " + Ident.literal(table));
        }
        if (column == null) {
            column = integerKey(source, qualified);
        }
        String type = column == null ? null : CheckCommand.one(source, "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = "
                + Ident.literal(qualified) + "::regclass AND attname = " + Ident.literal(column));
        if (type == null || !type.matches("smallint|integer|bigint|date|timestamp with(out)? time zone")) {
            return new Ranges(schema, table, null, null, 0);
        }
        Ranges probe = new Ranges(schema, table, column, type, 1);
        String col = Ident.quote(column);
        String span = CheckCommand.one(source, "SELECT coalesce(" + probe.keyOf("max(" + col + ")") + " - " + probe.keyOf("min(" + col + ")")
                + ", 0) FROM " + qualified);
        long width = width(Long.parseLong(span), estimatedRows(source, qualified), probe.time());
        return new Ranges(schema, table, column, type, width);
    }

    /** The single integer column of the table's primary key ({@code qualified}: quoted), or null. */
    static String integerKey(Connection source, String qualified) throws SQLException {
        return CheckCommand.one(source, "SELECT min(a.attname) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                + "WHERE i.indrelid = " + Ident.literal(qualified) + "::regclass AND i.indisprimary AND i.indnatts = 1 "
                + "AND a.atttypid IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) HAVING count(*) = 1");
    }

    /** The planner's row estimate for the table ({@code qualified}: quoted) and its partitions or chunks; 0 when never analysed. */
    static long estimatedRows(Connection source, String qualified) throws SQLException {
        String v = CheckCommand.one(source, "SELECT sum(greatest(reltuples, 0))::bigint FROM pg_class WHERE oid = " + Ident.literal(qualified)
                + "::regclass OR oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = " + Ident.literal(qualified) + "::regclass)");
        return v == null ? 0 : Long.parseLong(v);
    }
}

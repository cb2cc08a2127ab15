package io.tsmigrate.cli;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;
import io.tsmigrate.common.VerificationTables;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * How a table is split into verification ranges, one definition per table kept in the target
 * ({@link VerificationTables#VERIFY_RANGES}), where the sink reads it to record which ranges it changed
 * ({@link VerificationTables#CHANGED_RANGES}, written by its ChangeLedger in the same transaction as the changes).
 * <p>
 * A range is a number: {@code floor(value / width)} of one column. Hypertables are split on their time column
 * (seconds since 1970 for time types: the same instant gives the same range whatever the session's time zone),
 * other tables on a single-column integer primary key, else on an integer or time column of their primary key, or,
 * without a key, on any integer or time column (the sink knows every value of an inserted row, and of both versions
 * under REPLICA IDENTITY FULL): the one with the most distinct values, time first when the planner has no
 * statistics. SQL NULL there is a range of its own, {@link #NULL_KEY}. A table without such a column is one range,
 * {@code all}. The width is
 * chosen once, when the table is first defined ({@link #width}): ranges of about 20 rows, so that a cutover
 * compares little more than the rows changed in its last seconds (an update costs the comparison of its range).
 *
 * @param column null: the table is one range
 * @param type   the column's type as {@code format_type} gives it
 * @param width    range width, in the column's units (seconds for time types)
 * @param nullable the column may hold NULL (read from the source's catalog each time, not stored)
 * @param indexed  an index of the source leads with the column, so ranges are index range scans (idem)
 */
record Ranges(String schema, String table, String column, String type, long width, boolean nullable, boolean indexed) {

    static final String WHOLE_TABLE = "*";
    /** The range of the rows whose column is NULL. */
    static final long NULL_KEY = Long.MIN_VALUE;
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

    /** The range key of the value {@code ref} (an SQL expression of the column's type), as bigint; NULL gives {@link #NULL_KEY}. */
    String keyOf(String ref) {
        return nullable ? "coalesce(" + key(ref) + ", " + NULL_KEY + ")" : key(ref);
    }

    private String key(String ref) {
        return time() ? "floor(extract(epoch FROM " + ref + ") / " + width + ")::bigint" : "floor(" + ref + "::numeric / " + width + ")::bigint";
    }

    /** The lowest and highest range key of the table's non-NULL values (NULLs when it has none). */
    String extentSql() {
        String col = Ident.quote(column);
        return "SELECT " + key("min(" + col + ")") + ", " + key("max(" + col + ")") + " FROM " + qualified();
    }

    /** The condition for rows whose range key lies in {@code [from, to]}: bounds on the column itself, so an index on it serves. */
    String between(long from, long to) {
        String col = Ident.quote(column);
        if (nullable && from == NULL_KEY) {
            return to == NULL_KEY ? col + " IS NULL" : "(" + col + " IS NULL OR " + col + " < " + bound(to + 1) + ")";
        }
        return col + " >= " + bound(from) + " AND " + col + " < " + bound(to + 1);
    }

    /**
     * What keeps the rows of the ranges {@code keys} (scattered ones), to follow {@code FROM <table>}: on an indexed
     * NOT NULL column a join, one index range scan per range in one statement; else one scan with a hashed list.
     */
    String rowsOf(long[] keys) {
        StringBuilder list = new StringBuilder();
        for (long k : keys) {
            list.append(list.length() == 0 ? "" : ",").append(k);
        }
        String col = Ident.quote(column);
        if (nullable || !indexed) {
            return " WHERE " + keyOf(col) + " = ANY ('{" + list + "}'::bigint[])";
        }
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

    /** The table's definition: the stored one, else a new one (stored; the sink applies it from its next transaction). */
    static Ranges define(Connection source, Connection target, String schema, String table) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT column_name, column_type, width FROM " + VerificationTables.VERIFY_RANGES + " "
                + "WHERE table_schema = ? AND table_name = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next()) {
                    return facts(source, target, new Ranges(schema, table, rs.getString(1), rs.getString(2), rs.getLong(3), false, false));
                }
            }
        }
        Ranges r = choose(source, target, schema, table);
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO " + VerificationTables.VERIFY_RANGES + " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
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

    /**
     * {@code r} with its column's nullability (on the source) and whether both sides have an index that leads with
     * it, as their catalogs say now.
     */
    private static Ranges facts(Connection source, Connection target, Ranges r) throws SQLException {
        if (!r.ranged()) {
            return r;
        }
        String nullable = Db.one(source, "SELECT NOT attnotnull FROM pg_attribute WHERE attrelid = " + Ident.literal(r.qualified())
                + "::regclass AND attname = " + Ident.literal(r.column()));
        return new Ranges(r.schema(), r.table(), r.column(), r.type(), r.width(), "t".equals(nullable),
                leadingIndex(source, r) && leadingIndex(target, r));
    }

    private static boolean leadingIndex(Connection c, Ranges r) throws SQLException {
        return "t".equals(Db.one(c, "SELECT EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                + "WHERE i.indrelid = to_regclass(" + Ident.literal(r.qualified()) + ") AND a.attname = " + Ident.literal(r.column()) + " AND i.indpred IS NULL)"));
    }

    private static Ranges choose(Connection source, Connection target, String schema, String table) throws SQLException {
        String qualified = Ident.quote(schema) + "." + Ident.quote(table);
        String column = null;
        if ("t".equals(Db.one(target, "SELECT count(*) > 0 FROM pg_extension WHERE extname = 'timescaledb'"))) {
            column = Db.one(target, "SELECT column_name FROM timescaledb_information.dimensions WHERE dimension_number = 1 AND hypertable_schema = "
                    + Ident.literal(schema) + " AND hypertable_name = " + Ident.literal(table));
        }
        if (column == null) {
            column = integerKey(source, qualified);
        }
        if (column == null) {
            column = splitColumn(source, qualified);
        }
        String type = column == null ? null : Db.one(source, "SELECT format_type(atttypid, NULL) FROM pg_attribute WHERE attrelid = "
                + Ident.literal(qualified) + "::regclass AND attname = " + Ident.literal(column));
        if (type == null || !type.matches(SPLIT_TYPES)) {
            return new Ranges(schema, table, null, null, 0, false, false);
        }
        Ranges probe = new Ranges(schema, table, column, type, 1, false, false);
        String col = Ident.quote(column);
        String span = Db.one(source, "SELECT coalesce(" + probe.keyOf("max(" + col + ")") + " - " + probe.keyOf("min(" + col + ")")
                + ", 0) FROM " + qualified);
        long width = width(Long.parseLong(span), estimatedRows(source, qualified), probe.time());
        return facts(source, target, new Ranges(schema, table, column, type, width, false, false));
    }

    private static final String SPLIT_TYPES = "smallint|integer|bigint|date|timestamp with(out)? time zone";

    /**
     * The column to split a table without a single integer key on: one of its primary key's columns (the only
     * values the sink knows for both versions of every change), or, without a key, any column; of the integer and
     * time columns the one with the most distinct values (planner statistics), else the first time column, else
     * the first integer one; NOT NULL first among equals. Null when there is none.
     */
    private static String splitColumn(Connection source, String qualified) throws SQLException {
        String rel = Ident.literal(qualified) + "::regclass";
        return Db.one(source, "SELECT a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
                + "LEFT JOIN pg_stats s ON s.schemaname = c.relnamespace::regnamespace::name AND s.tablename = c.relname AND s.attname = a.attname "
                + "WHERE a.attrelid = " + rel + " AND a.attnum > 0 AND NOT a.attisdropped "
                + "AND format_type(a.atttypid, NULL) ~ '^(" + SPLIT_TYPES + ")$' "
                + "AND (NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary) "
                + "OR a.attnum = ANY (SELECT unnest(i.indkey) FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indisprimary)) "
                + "ORDER BY CASE WHEN s.n_distinct < 0 THEN -s.n_distinct * greatest(c.reltuples, 1) ELSE s.n_distinct END DESC NULLS LAST, "
                + "a.atttypid IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) DESC, a.attnotnull DESC, a.attnum LIMIT 1");
    }

    /** The single integer column of the table's primary key ({@code qualified}: quoted), or null. */
    static String integerKey(Connection source, String qualified) throws SQLException {
        return Db.one(source, "SELECT min(a.attname) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] "
                + "WHERE i.indrelid = " + Ident.literal(qualified) + "::regclass AND i.indisprimary AND i.indnatts = 1 "
                + "AND a.atttypid IN ('smallint'::regtype, 'integer'::regtype, 'bigint'::regtype) HAVING count(*) = 1");
    }

    /** Rows counted at most where the planner has no estimate yet (a table never analysed, often a new one filling fast). */
    private static final long COUNTED = 1_000_000;

    /**
     * The planner's row estimate for the table ({@code qualified}: quoted) and its partitions or chunks; where it has
     * none (never analysed), the rows counted, up to {@link #COUNTED}.
     */
    static long estimatedRows(Connection source, String qualified) throws SQLException {
        String v = Db.one(source, "SELECT sum(greatest(reltuples, 0))::bigint FROM pg_class WHERE oid = " + Ident.literal(qualified)
                + "::regclass OR oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = " + Ident.literal(qualified) + "::regclass)");
        long rows = v == null ? 0 : Long.parseLong(v);
        if (rows > 0) {
            return rows;
        }
        return Long.parseLong(Db.one(source, "SELECT count(*) FROM (SELECT FROM " + qualified + " LIMIT " + COUNTED + ") r"));
    }
}

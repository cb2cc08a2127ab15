package io.tsmigrate.testkit;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Ordered digests of whole tables, to compare source and target by content rather than by count.
 * A digest is {@code rows:md5} over every row's text rendering (as UTF-8), ordered by that rendering, so it does
 * not depend on keys, on physical order or on the database's encoding.
 */
public final class Digest {

    private Digest() {
    }

    /** The digest of one table, its columns in the given order (all columns when {@code columns} is empty). */
    public static String table(Connection c, String schema, String table, List<String> columns) throws SQLException {
        String cols = columns.isEmpty() ? "t.*" : String.join(", ", columns.stream().map(col -> "t." + TestDatabases.quote(col)).toList());
        // Hashed as UTF-8 whatever the database's encoding (a LATIN1 source against a UTF8 target); in the C collation
        // (code point order within LATIN1) both order alike.
        String sql = "SELECT count(*) || ':' || coalesce(md5(convert_to(string_agg(r, E'\\n' ORDER BY r COLLATE \"C\"), 'UTF8')), '') FROM "
                + "(SELECT ROW(" + cols + ")::text AS r FROM " + TestDatabases.quote(schema) + "." + TestDatabases.quote(table) + " t) x";
        try (Statement st = c.createStatement()) {
            // A database's own settings must not change the row texts or cancel the reading (this session keeps them).
            st.execute("SET bytea_output = 'hex'; SET intervalstyle = 'postgres'; SET lc_monetary = 'C'; SET standard_conforming_strings = on; SET statement_timeout = 0");
            try (ResultSet rs = st.executeQuery(sql)) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    public static String table(Connection c, String schema, String table) throws SQLException {
        return table(c, schema, table, List.of());
    }

    /**
     * Digests of every ordinary table and hypertable in the database's user schemas (TimescaleDB's internal
     * schemas and tsmigrate's own state schema left out), keyed by {@code schema.table}.
     */
    public static Map<String, String> database(Connection c) throws SQLException {
        Map<String, String> result = new TreeMap<>();
        String sql = "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
                + " AND table_schema NOT IN ('pg_catalog', 'information_schema', 'tsmigrate', 'timescaledb_information', 'timescaledb_experimental')"
                + " AND table_schema NOT LIKE '\\_timescaledb%' AND table_schema NOT LIKE 'pg\\_toast%'";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                result.put(rs.getString(1) + "." + rs.getString(2), null);
            }
        }
        for (String key : List.copyOf(result.keySet())) {
            int dot = key.indexOf('.');
            result.put(key, table(c, key.substring(0, dot), key.substring(dot + 1)));
        }
        return result;
    }
}

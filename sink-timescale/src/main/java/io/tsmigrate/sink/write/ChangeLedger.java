package io.tsmigrate.sink.write;

import io.tsmigrate.sink.buffer.TableBatch;
import io.tsmigrate.sink.read.TableId;
import io.tsmigrate.sink.sql.Sql;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which verification ranges the sink changed, written in the same target transaction as the changes:
 * {@code <state schema>.changed_ranges(table_schema, table_name, range_key, version)}, one row per range, whose
 * version (from the sequence {@code change_version}) grows with every transaction that touches the range. tsmigrate's
 * online verification records the version it saw when a range matched; a higher version later means the range
 * changed since and is compared again.
 * <p>
 * The ranges are defined by tsmigrate in {@code <state schema>.verify_ranges}: per table, a column, its type and a
 * SQL expression over that column giving the range key (null column: the whole table is one range, {@code all}).
 * The sink only evaluates that expression over the values it wrote; it defines nothing itself. A row version whose
 * value is not known here (the old row of an update whose key lacks the column, a truncate) records the range
 * {@code *}: the whole table. SQL NULL is evaluated like any value (tsmigrate's expression for a nullable column
 * gives it a range of its own; an expression that gives no range records {@code *}). Tables without a definition record nothing (no online verification covers them).
 * Does nothing until tsmigrate has made the tables. Not thread-safe.
 */
public final class ChangeLedger {

    /** The range key that stands for the whole table. */
    static final String WHOLE_TABLE = "*";

    private record Definition(String column, String type, String expression) {
    }

    private final String schema;

    ChangeLedger(String stateSchema) {
        this.schema = Sql.ident(stateSchema);
    }

    /** Records the ranges these batches touched, in the caller's transaction. */
    void record(Connection c, List<TableBatch> batches) throws SQLException {
        if (batches.isEmpty()) {
            return;
        }
        Map<TableId, Definition> definitions = definitions(c);
        if (definitions == null) {
            return;
        }
        Map<TableId, List<String>> values = new HashMap<>();
        Map<TableId, Boolean> whole = new HashMap<>();
        for (TableBatch b : batches) {
            TableId id = b.meta().id();
            Definition d = definitions.get(id);
            if (d == null) {
                continue;
            }
            List<String> v = values.computeIfAbsent(id, k -> new ArrayList<>());
            if (d.column() == null) {
                continue;
            }
            Integer p = b.meta().positions().get(d.column());
            List<String> touched = p == null ? java.util.Collections.singletonList(null) : b.touched(p);
            if (touched.stream().anyMatch(Objects::isNull)) {
                whole.put(id, true);
            }
            // SQL NULL has a range of its own (the stored expression maps it); it travels as NULL in the array.
            touched.stream().filter(Objects::nonNull).forEach(t -> v.add(t == TableBatch.SQL_NULL ? null : t));
        }
        for (Map.Entry<TableId, List<String>> e : values.entrySet()) {
            TableId id = e.getKey();
            Definition d = definitions.get(id);
            List<String> keys = new ArrayList<>();
            if (d.column() == null) {
                keys.add("all");
            } else {
                if (whole.containsKey(id)) {
                    keys.add(WHOLE_TABLE);
                }
                List<String> ranges = rangeKeys(c, d, e.getValue());
                if (ranges.contains(null)) {
                    // A NULL the expression gives no range for: only the whole table covers it.
                    keys.add(WHOLE_TABLE);
                }
                ranges.stream().filter(Objects::nonNull).forEach(keys::add);
            }
            upsert(c, id, keys);
        }
    }

    /** The range definitions, or null while tsmigrate has not made its verification tables. */
    private Map<TableId, Definition> definitions(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            try (ResultSet rs = st.executeQuery("SELECT to_regclass(" + Sql.literal(schema + ".verify_ranges") + ") IS NOT NULL AND to_regclass("
                    + Sql.literal(schema + ".changed_ranges") + ") IS NOT NULL")) {
                rs.next();
                if (!rs.getBoolean(1)) {
                    return null;
                }
            }
            Map<TableId, Definition> out = new HashMap<>();
            try (ResultSet rs = st.executeQuery("SELECT table_schema, table_name, column_name, column_type, range_sql FROM " + schema + ".verify_ranges")) {
                while (rs.next()) {
                    out.put(new TableId(rs.getString(1), rs.getString(2)), new Definition(rs.getString(3), rs.getString(4), rs.getString(5)));
                }
            }
            return out;
        }
    }

    /** The distinct range keys of these values, by the definition's expression, evaluated in the target. */
    private static List<String> rangeKeys(Connection c, Definition d, List<String> values) throws SQLException {
        List<String> out = new ArrayList<>();
        if (values.isEmpty()) {
            return out;
        }
        String col = Sql.ident(d.column());
        try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT (" + d.expression() + ")::text FROM (SELECT x::" + d.type() + " AS " + col
                + " FROM unnest(?::text[]) x) r ORDER BY 1")) {
            ps.setArray(1, c.createArrayOf("text", values.stream().distinct().toArray()));
            // ORDER BY 1 puts a NULL key last; the caller turns it into the whole table.
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private void upsert(Connection c, TableId id, List<String> keys) throws SQLException {
        // Sorted keys: two tasks touching the same ranges lock their rows in the same order.
        String[] sorted = keys.stream().distinct().sorted().toArray(String[]::new);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + schema + ".changed_ranges (table_schema, table_name, range_key, version) "
                + "SELECT ?, ?, k, nextval(" + Sql.literal(schema + ".change_version") + ") FROM unnest(?::text[]) WITH ORDINALITY u(k, n) ORDER BY n "
                + "ON CONFLICT (table_schema, table_name, range_key) DO UPDATE SET version = EXCLUDED.version")) {
            ps.setString(1, id.schema());
            ps.setString(2, id.table());
            ps.setArray(3, c.createArrayOf("text", sorted));
            ps.executeUpdate();
        }
    }
}

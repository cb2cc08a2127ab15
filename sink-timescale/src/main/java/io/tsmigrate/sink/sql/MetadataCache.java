package io.tsmigrate.sink.sql;

import io.tsmigrate.sink.read.TableId;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Target table metadata, read from the catalog once per table and kept until {@link #invalidate}
 * (after DDL, or when a transaction that may have run DDL rolls back). Not thread-safe: one per task.
 */
public final class MetadataCache {

    private static final String COLUMNS = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), coalesce(et.typname, t.typname),
                   coalesce(et.typcategory, t.typcategory), t.typcategory = 'A' AND t.typelem <> 0, a.attnotnull AND NOT a.atthasdef, a.attgenerated <> '',
                   a.attidentity = 'a'
            FROM pg_attribute a
            JOIN pg_type t ON t.oid = a.atttypid
            LEFT JOIN pg_type et ON et.oid = t.typelem AND t.typcategory = 'A'
            WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum""";

    private static final String INDEXES = """
            SELECT i.indisprimary, i.indisunique,
                   array(SELECT a.attname FROM unnest(i.indkey) WITH ORDINALITY k(attnum, n)
                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum ORDER BY k.n),
                   NOT i.indimmediate
            FROM pg_index i
            WHERE i.indrelid = ?::regclass AND i.indisvalid AND i.indpred IS NULL
            ORDER BY i.indisprimary DESC, i.indisunique DESC""";

    private static final String TIME_DIMENSION = """
            SELECT column_name FROM timescaledb_information.dimensions
            WHERE hypertable_schema = ? AND hypertable_name = ? AND dimension_number = 1""";

    private final Map<TableId, TableMeta> tables = new HashMap<>();
    private int versions;
    private Boolean timescale;

    /**
     * @throws ConnectException naming the table and the fix when it does not exist in the target
     */
    public TableMeta get(Connection c, TableId id) throws SQLException {
        TableMeta meta = tables.get(id);
        if (meta == null) {
            meta = load(c, id);
            tables.put(id, meta);
        }
        return meta;
    }

    public void invalidate(TableId id) {
        tables.remove(id);
    }

    public void invalidateAll() {
        tables.clear();
    }

    private TableMeta load(Connection c, TableId id) throws SQLException {
        if (!exists(c, id)) {
            throw new MissingTableException(id);
        }
        List<Column> columns = new ArrayList<>();
        java.util.Set<String> identityAlways = new java.util.HashSet<>();
        try (PreparedStatement ps = c.prepareStatement(COLUMNS)) {
            ps.setString(1, id.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    if (!rs.getBoolean(7)) {
                        columns.add(new Column(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4).charAt(0),
                                rs.getBoolean(5), rs.getBoolean(6), false));
                    }
                    if (rs.getBoolean(8)) {
                        identityAlways.add(rs.getString(1));
                    }
                }
            }
        }
        for (Column col : columns) {
            if (col.name().startsWith(SqlBuilder.RESERVED)) {
                throw new TargetShapeException("table " + id + ", column " + col.name() + ": column names beginning " + SqlBuilder.RESERVED
                        + " are the sink's own (its staging table's bookkeeping); rename the column on the source and the target "
                        + "(ALTER TABLE ... RENAME COLUMN) and restart the sink task");
            }
        }
        List<String> pk = List.of();
        List<List<String>> indexes = new ArrayList<>();
        List<List<String>> deferrable = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(INDEXES)) {
            ps.setString(1, id.quoted());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    List<String> cols = new ArrayList<>();
                    for (Object o : (Object[]) rs.getArray(3).getArray()) {
                        cols.add((String) o);
                    }
                    if (rs.getBoolean(1)) {
                        pk = List.copyOf(cols);
                    }
                    indexes.add(List.copyOf(cols));
                    if (rs.getBoolean(4)) {
                        deferrable.add(List.copyOf(cols));
                    }
                }
            }
        }
        return new TableMeta(id, ++versions, List.copyOf(columns), pk, List.copyOf(indexes), timeColumn(c, id), java.util.Set.copyOf(identityAlways),
                List.copyOf(deferrable));
    }

    private static boolean exists(Connection c, TableId id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT 1 FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace WHERE n.nspname = ? AND cl.relname = ? AND cl.relkind IN ('r', 'p')")) {
            ps.setString(1, id.schema());
            ps.setString(2, id.table());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private String timeColumn(Connection c, TableId id) throws SQLException {
        if (timescale == null) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
                 ResultSet rs = ps.executeQuery()) {
                timescale = rs.next();
            }
        }
        if (!timescale) {
            return null;
        }
        try (PreparedStatement ps = c.prepareStatement(TIME_DIMENSION)) {
            ps.setString(1, id.schema());
            ps.setString(2, id.table());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** The target has no such table. Not retriable: the table must be created (tsmigrate bootstrap does). */
    static final class MissingTableException extends TargetShapeException {
        MissingTableException(TableId id) {
            super("target table " + id + " does not exist; create it before streaming (tsmigrate bootstrap copies the schema), "
                    + "or map the topic to an existing table with table.name.format");
        }
    }
}

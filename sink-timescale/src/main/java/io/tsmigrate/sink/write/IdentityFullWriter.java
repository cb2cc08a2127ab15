package io.tsmigrate.sink.write;

import io.tsmigrate.sink.buffer.TableBatch;
import io.tsmigrate.sink.sql.Column;
import io.tsmigrate.sink.sql.Sql;
import io.tsmigrate.sink.sql.TableMeta;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Applies updates and deletes to a table without a key, whose source has {@code REPLICA IDENTITY FULL}: each
 * event changes exactly one row that matches its old image, in the events' order. Rows match column by column
 * on their text form ({@code IS NOT DISTINCT FROM}), so NULL matches NULL and columns whose type has no equality
 * operator (json, xml, point) match too; a column whose old value Debezium did not send (an unchanged TOASTed
 * value) is left out of the match. Of identical rows one is changed per event ({@code LIMIT 1} on the row's
 * physical address), as on the source. Not thread-safe.
 */
public final class IdentityFullWriter {

    private static final Logger LOG = LoggerFactory.getLogger(IdentityFullWriter.class);

    private final Connection connection;
    private long unmatched;

    IdentityFullWriter(Connection connection) {
        this.connection = connection;
    }

    /** Applies one update ({@code after} non-null) or delete; returns the rows changed (0 when no row matched). */
    int apply(TableMeta meta, String[] before, String[] after) throws SQLException {
        List<Column> columns = meta.columns();
        List<String> values = new ArrayList<>();
        StringBuilder sql = new StringBuilder();
        if (after != null && renumbers(meta, before, after)) {
            return replace(meta, before, after);
        }
        if (after == null) {
            sql.append("DELETE FROM ").append(meta.id().quoted());
        } else {
            sql.append("UPDATE ").append(meta.id().quoted()).append(" SET ");
            boolean first = true;
            for (int i = 0; i < columns.size(); i++) {
                Column c = columns.get(i);
                // An unchanged TOASTed value: the row keeps it. An identity column GENERATED ALWAYS, which an UPDATE
                // cannot set, is unchanged here (renumbers).
                if (c.generated() || after[i] == TableBatch.KEEP || meta.identityAlways().contains(c.name())) {
                    continue;
                }
                sql.append(first ? "" : ", ").append(Sql.ident(c.name())).append(" = ?::").append(c.sqlType());
                values.add(after[i]);
                first = false;
            }
            if (first) {
                return 0;
            }
        }
        sql.append(" WHERE ").append(matchOne(meta, before, values));
        return run(meta, sql.toString(), values, after == null);
    }

    /** Whether an update gives an identity column GENERATED ALWAYS a new value ({@code SET id = DEFAULT} on the source). */
    private static boolean renumbers(TableMeta meta, String[] before, String[] after) {
        List<Column> columns = meta.columns();
        for (int i = 0; i < columns.size(); i++) {
            if (meta.identityAlways().contains(columns.get(i).name()) && after[i] != TableBatch.KEEP && !java.util.Objects.equals(before[i], after[i])) {
                return true;
            }
        }
        return false;
    }

    /**
     * An update that an UPDATE cannot make (it renumbers an identity column GENERATED ALWAYS): the matching row is
     * deleted and its new version inserted in one statement, unchanged TOASTed values taken from the deleted row.
     */
    private int replace(TableMeta meta, String[] before, String[] after) throws SQLException {
        List<Column> columns = meta.columns();
        List<String> values = new ArrayList<>();
        String match = matchOne(meta, before, values);
        List<String> names = new ArrayList<>();
        List<String> exprs = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            if (c.generated()) {
                continue;
            }
            names.add(Sql.ident(c.name()));
            if (after[i] == TableBatch.KEEP) {
                exprs.add("d." + Sql.ident(c.name()));
            } else {
                exprs.add("?::" + c.sqlType());
                values.add(after[i]);
            }
        }
        String sql = "WITH d AS (DELETE FROM " + meta.id().quoted() + " WHERE " + match + " RETURNING *) INSERT INTO " + meta.id().quoted()
                + " (" + String.join(", ", names) + ") OVERRIDING SYSTEM VALUE SELECT " + String.join(", ", exprs) + " FROM d";
        return run(meta, sql, values, false);
    }

    /** The condition that picks one row matching the old image (its values added to {@code values}). */
    private static String matchOne(TableMeta meta, String[] before, List<String> values) {
        List<Column> columns = meta.columns();
        StringBuilder sql = new StringBuilder("(tableoid, ctid) = (SELECT tableoid, ctid FROM ").append(meta.id().quoted()).append(" m WHERE true");
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            if (before[i] == TableBatch.KEEP) {
                continue;
            }
            sql.append(" AND m.").append(Sql.ident(c.name())).append("::text IS NOT DISTINCT FROM (?::").append(c.sqlType()).append(")::text");
            values.add(before[i]);
        }
        return sql.append(" LIMIT 1)").toString();
    }

    private int run(TableMeta meta, String sql, List<String> values, boolean delete) throws SQLException {
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
            for (int i = 0; i < values.size(); i++) {
                ps.setString(i + 1, values.get(i));
            }
            int n = ps.executeUpdate();
            if (n == 0 && unmatched++ % 1000 == 0) {
                LOG.warn("No row of {} matches the old image of an {} (the target differs from the source; {} such event(s) so far)",
                        meta.id(), delete ? "delete" : "update", unmatched);
            }
            return n;
        }
    }
}

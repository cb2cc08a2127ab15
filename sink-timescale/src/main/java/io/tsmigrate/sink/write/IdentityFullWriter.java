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
        if (after == null) {
            sql.append("DELETE FROM ").append(meta.id().quoted());
        } else {
            sql.append("UPDATE ").append(meta.id().quoted()).append(" SET ");
            boolean first = true;
            for (int i = 0; i < columns.size(); i++) {
                Column c = columns.get(i);
                if (c.generated() || after[i] == TableBatch.KEEP) {
                    continue; // unchanged TOASTed value: the row keeps it
                }
                sql.append(first ? "" : ", ").append(Sql.ident(c.name())).append(" = ?::").append(c.sqlType());
                values.add(after[i]);
                first = false;
            }
            if (first) {
                return 0;
            }
        }
        sql.append(" WHERE (tableoid, ctid) = (SELECT tableoid, ctid FROM ").append(meta.id().quoted()).append(" m WHERE true");
        for (int i = 0; i < columns.size(); i++) {
            Column c = columns.get(i);
            if (before[i] == TableBatch.KEEP) {
                continue;
            }
            sql.append(" AND m.").append(Sql.ident(c.name())).append("::text IS NOT DISTINCT FROM (?::").append(c.sqlType()).append(")::text");
            values.add(before[i]);
        }
        sql.append(" LIMIT 1)");
        try (PreparedStatement ps = connection.prepareStatement(sql.toString())) {
            for (int i = 0; i < values.size(); i++) {
                ps.setString(i + 1, values.get(i));
            }
            int n = ps.executeUpdate();
            if (n == 0 && unmatched++ % 1000 == 0) {
                LOG.warn("No row of {} matches the old image of an {} (the target differs from the source; {} such event(s) so far)",
                        meta.id(), after == null ? "delete" : "update", unmatched);
            }
            return n;
        }
    }
}

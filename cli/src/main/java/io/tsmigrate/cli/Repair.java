package io.tsmigrate.cli;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyOut;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Re-copies one range of a table from the source, with writes stopped: in one target transaction, the target's
 * rows of the range are deleted and the source's rows of the range copied in (COPY, streamed from one server to the
 * other). Nothing outside the range is touched. Columns the target computes itself (generated) are left to it.
 */
final class Repair {

    private Repair() {
    }

    /** What one repair did. */
    record Done(long deleted, long copied) {
    }

    /** @param key a range key of {@code r}, or {@link Ranges#ALL} for an unranged table (all its rows) */
    static Done range(Db source, Db target, Ranges r, String key) throws SQLException {
        String where = r.ranged() ? " WHERE " + r.between(Long.parseLong(key), Long.parseLong(key)) : "";
        try (Connection s = source.open("tsmigrate-repair"); Connection t = target.open("tsmigrate-repair")) {
            List<String> cols = writableColumns(s, r);
            String list = String.join(", ", cols);
            t.setAutoCommit(false);
            long deleted;
            try (Statement st = t.createStatement()) {
                deleted = st.executeUpdate("DELETE FROM " + r.qualified() + where);
            }
            long copied;
            s.setAutoCommit(false);
            s.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            CopyOut out = s.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT " + list + " FROM " + r.qualified() + where + ") TO STDOUT");
            CopyIn in = t.unwrap(PGConnection.class).getCopyAPI().copyIn("COPY " + r.qualified() + " (" + list + ") FROM STDIN");
            try {
                byte[] buf;
                while ((buf = out.readFromCopy()) != null) {
                    in.writeToCopy(buf, 0, buf.length);
                }
                copied = in.endCopy();
            } finally {
                if (in.isActive()) {
                    in.cancelCopy();
                }
            }
            s.commit();
            t.commit();
            return new Done(deleted, copied);
        }
    }

    private static List<String> writableColumns(Connection s, Ranges r) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = s.createStatement(); ResultSet rs = st.executeQuery("SELECT attname FROM pg_attribute WHERE attrelid = "
                + Ident.literal(r.qualified()) + "::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = '' ORDER BY attnum")) {
            while (rs.next()) {
                out.add(Ident.quote(rs.getString(1)));
            }
        }
        return out;
    }
}

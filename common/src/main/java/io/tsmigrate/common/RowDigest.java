package io.tsmigrate.common;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * The order-independent digest of a set of rows that verification and cutover compare between source and target: the
 * sum of a 60-bit hash (md5 prefix) of each row's text. md5 hashes the text's bytes in the database's encoding, so
 * when the two databases store text in different encodings (a LATIN1 source), both sides hash it as UTF-8.
 */
public final class RowDigest {

    private RowDigest() {
    }

    /** The aggregate over {@code rowText} (an expression giving each row's text, such as {@code ROW(a, b)::text}). */
    public static String sum(String rowText, boolean asUtf8) {
        return "coalesce(sum(('x' || substr(md5(" + (asUtf8 ? "convert_to(" + rowText + ", 'UTF8')" : rowText)
                + "), 1, 15))::bit(60)::bigint), 0)";
    }

    /** Whether the two databases store text in different encodings (then {@link #sum} must hash as UTF-8). */
    public static boolean encodingsDiffer(Connection source, Connection target) throws SQLException {
        return !Db.one(source, "SHOW server_encoding").equals(Db.one(target, "SHOW server_encoding"));
    }
}

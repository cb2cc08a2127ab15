package io.tsmigrate.common;

import io.tsmigrate.common.Ident;

import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Copies sequence values from the source to the target (after the copy, and again at cutover). */
public final class Sequences {

    private Sequences() {
    }

    /** The source's sequences (outside tsmigrate's and TimescaleDB's schemas) that the user may not read, as schema.name. */
    public static final String UNREADABLE = "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
            + "WHERE schemaname NOT IN ('tsmigrate') AND schemaname NOT LIKE '\\_timescaledb%' "
            + "AND NOT has_sequence_privilege(quote_ident(schemaname) || '.' || quote_ident(sequencename), 'SELECT') ORDER BY 1";

    /**
     * @return how many sequences were set
     * @throws BootstrapException naming each sequence the source user may not read (pg_sequences shows such a
     *                            sequence's value as NULL, so it would be left behind and the application's first
     *                            inserts after cutover would hit duplicate keys), before any is set
     */
    public static int copy(Connection src, Connection tgt) throws SQLException {
        List<String> unreadable = Db.lines(src, UNREADABLE);
        if (!unreadable.isEmpty()) {
            throw new UserError("the source user may not read " + unreadable.size() + " sequence(s), so their values cannot be carried to "
                    + "the target (the application's first inserts after cutover would hit duplicate keys): " + String.join(", ", unreadable)
                    + "; GRANT SELECT ON SEQUENCE " + String.join(", ", unreadable) + " TO <the source user>, then run again");
        }
        // last_value is NULL for a sequence never used: nothing to carry.
        List<String[]> values = new ArrayList<>();
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), "
                + "last_value FROM pg_sequences WHERE last_value IS NOT NULL AND schemaname NOT IN ('tsmigrate') AND schemaname NOT LIKE '\\_timescaledb%'")) {
            while (rs.next()) {
                values.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        try (Statement st = tgt.createStatement()) {
            for (String[] v : values) {
                st.execute("SELECT setval(" + Ident.literal(v[0]) + ", " + Long.parseLong(v[1]) + ", true) WHERE to_regclass(" + Ident.literal(v[0])
                        + ") IS NOT NULL");
            }
        }
        return values.size();
    }
}

package io.tsmigrate.bootstrap;

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

    /** @return how many sequences were set */
    public static int copy(Connection src, Connection tgt) throws SQLException {
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

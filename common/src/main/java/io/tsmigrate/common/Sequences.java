package io.tsmigrate.common;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/** Copies sequence values from the source to the target (after the copy, and again at cutover). */
public final class Sequences {

    private Sequences() {
    }

    /** The source's sequences (outside tsmigrate's and TimescaleDB's schemas) that the user may not read, as schema.name. */
    public static final String UNREADABLE = "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
            + "WHERE schemaname NOT IN ('tsmigrate') AND schemaname NOT LIKE '\\_timescaledb%' "
            + "AND NOT has_sequence_privilege(quote_ident(schemaname) || '.' || quote_ident(sequencename), 'SELECT') ORDER BY 1";

    /** Sequences outside tsmigrate's and TimescaleDB's schemas, as schema.name quoted. */
    private static final String SEQUENCES = "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) FROM pg_sequences "
            + "WHERE schemaname NOT IN ('tsmigrate') AND schemaname NOT LIKE '\\_timescaledb%' ORDER BY 1";

    /** How many sequences one query reads. */
    private static final int CHUNK = 200;

    /**
     * Sets each sequence of the target that the source has to the source's state: its last value and whether that
     * value was handed out ({@code is_called}). A sequence restarted ({@code ALTER SEQUENCE ... RESTART}, {@code setval(s,
     * n, false)}) hands out n next, and one never used hands out its start; pg_sequences shows neither, so the state is
     * read from each sequence itself.
     *
     * @return how many sequences were set
     * @throws UserError naming each sequence on both sides that the source user may not read (its value would be left
     *                   behind and the application's first inserts after cutover would hit duplicate keys), before any is set
     */
    public static int copy(Connection src, Connection tgt) throws SQLException {
        Set<String> onTarget = new HashSet<>(Db.lines(tgt, SEQUENCES));
        List<String> unreadable = new ArrayList<>(Db.lines(src, UNREADABLE));
        unreadable.retainAll(onTarget);
        if (!unreadable.isEmpty()) {
            throw new UserError("the source user may not read " + unreadable.size() + " sequence(s), so their values cannot be carried to "
                    + "the target (the application's first inserts after cutover would hit duplicate keys): " + String.join(", ", unreadable)
                    + "; GRANT SELECT ON SEQUENCE " + String.join(", ", unreadable) + " TO <the source user>, then run again");
        }
        List<String> names = new ArrayList<>(Db.lines(src, SEQUENCES));
        names.retainAll(onTarget);
        List<String[]> states = new ArrayList<>();
        for (int from = 0; from < names.size(); from += CHUNK) {
            String sql = names.subList(from, Math.min(names.size(), from + CHUNK)).stream()
                    .map(n -> "SELECT " + Ident.literal(n) + ", last_value, is_called FROM " + n).collect(Collectors.joining(" UNION ALL "));
            try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                    states.add(new String[] {rs.getString(1), rs.getString(2), String.valueOf(rs.getBoolean(3))});
                }
            }
        }
        try (Statement st = tgt.createStatement()) {
            for (String[] v : states) {
                st.execute("SELECT setval(" + Ident.literal(v[0]) + ", " + Long.parseLong(v[1]) + ", " + Boolean.parseBoolean(v[2]) + ")");
            }
        }
        return states.size();
    }
}

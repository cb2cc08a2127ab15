package io.tsmigrate.common;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;

/**
 * The migration's state kept in the target, and the one place that reads and writes it: the bootstrap's
 * ({@code tsmigrate.bootstrap_state}, one row, and {@code tsmigrate.bootstrap_pieces}, one row per copied piece,
 * written in the same transaction as the piece's rows), so a rerun knows exactly what is done; and when streaming
 * started ({@code tsmigrate.streaming_started}, per migration name). The sink keeps its own state in its
 * {@code state.schema}. Stateless itself.
 */
public final class StateStore {

    /** The target schema that holds tsmigrate's state: this class's tables, the verification's and the sink's (the shipped
     * sink template sets its {@code state.schema} to it). */
    public static final String SCHEMA = "tsmigrate";

    /** The phases, in order. */
    public enum Phase { SCHEMA, SLOT, COPYING, COPIED, DONE }

    /** The stored state. */
    public record State(Phase phase, String slotName, String publicationName, String consistentLsn, String snapshotName, String pieces, int sources) {
    }

    private StateStore() {
    }

    public static void create(Connection target) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS tsmigrate");
            st.execute("CREATE TABLE IF NOT EXISTS tsmigrate.bootstrap_state (id int PRIMARY KEY DEFAULT 1 CHECK (id = 1), phase text NOT NULL, "
                    + "slot_name text, publication_name text, consistent_lsn text, snapshot_name text, pieces jsonb, "
                    + "started_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now())");
            st.execute("CREATE TABLE IF NOT EXISTS tsmigrate.bootstrap_pieces (table_id text NOT NULL, piece int NOT NULL, rows bigint NOT NULL, "
                    + "done_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (table_id, piece))");
            // Source streams (Lanes): added to state tables made before there were several.
            st.execute("ALTER TABLE tsmigrate.bootstrap_state ADD COLUMN IF NOT EXISTS sources int NOT NULL DEFAULT 1");
        }
    }

    public static State load(Connection target) throws SQLException {
        if (!exists(target)) {
            return null;
        }
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery(
                "SELECT phase, slot_name, publication_name, consistent_lsn, snapshot_name, pieces::text, "
                        + "coalesce((to_jsonb(s) ->> 'sources')::int, 1) FROM tsmigrate.bootstrap_state s")) {
            return rs.next() ? new State(Phase.valueOf(rs.getString(1)), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                    rs.getString(6), rs.getInt(7)) : null;
        }
    }

    public static boolean exists(Connection target) throws SQLException {
        return tableExists(target, "tsmigrate.bootstrap_state");
    }

    private static boolean tableExists(Connection target, String table) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    public static void phase(Connection target, Phase phase) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO tsmigrate.bootstrap_state (phase) VALUES (?) ON CONFLICT (id) DO "
                + "UPDATE SET phase = excluded.phase, updated_at = now()")) {
            ps.setString(1, phase.name());
            ps.executeUpdate();
        }
    }

    public static void slot(Connection target, String slot, String publication, String lsn, String snapshot) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("UPDATE tsmigrate.bootstrap_state SET phase = 'COPYING', slot_name = ?, "
                + "publication_name = ?, consistent_lsn = ?, snapshot_name = ?, updated_at = now()")) {
            ps.setString(1, slot);
            ps.setString(2, publication);
            ps.setString(3, lsn);
            ps.setString(4, snapshot);
            ps.executeUpdate();
        }
    }

    /** Records how many source streams the migration has (set before their slots are made). */
    public static void sources(Connection target, int sources) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("UPDATE tsmigrate.bootstrap_state SET sources = ?, updated_at = now()")) {
            ps.setInt(1, sources);
            ps.executeUpdate();
        }
    }

    public static void pieces(Connection target, String json) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("UPDATE tsmigrate.bootstrap_state SET pieces = ?::jsonb, updated_at = now()")) {
            ps.setString(1, json);
            ps.executeUpdate();
        }
    }

    public static Set<String> donePieces(Connection target) throws SQLException {
        Set<String> done = new HashSet<>();
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery("SELECT table_id, piece FROM tsmigrate.bootstrap_pieces")) {
            while (rs.next()) {
                done.add(rs.getString(1) + "#" + rs.getInt(2));
            }
        }
        return done;
    }

    /** Marks a piece copied; called in the transaction that copied its rows. */
    public static void pieceDone(Connection target, String tableId, int piece, long rows) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO tsmigrate.bootstrap_pieces (table_id, piece, rows) VALUES (?, ?, ?)")) {
            ps.setString(1, tableId);
            ps.setInt(2, piece);
            ps.setLong(3, rows);
            ps.executeUpdate();
        }
    }

    /** The statement that moves the phase, for a script that must move it in its own transaction. */
    public static String phaseSql(Phase phase) {
        return "UPDATE tsmigrate.bootstrap_state SET phase = " + io.tsmigrate.common.Ident.literal(phase.name()) + ", updated_at = now();\n";
    }

    /** Back to the phase before the slot (bootstrap --restart): no snapshot, no consistent point, no piece copied. */
    public static void resetToSlot(Connection target) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("DELETE FROM tsmigrate.bootstrap_pieces");
            st.execute("UPDATE tsmigrate.bootstrap_state SET phase = 'SLOT', snapshot_name = NULL, consistent_lsn = NULL, pieces = NULL");
        }
    }

    /**
     * How many source streams the migration's bootstrap recorded on the target: 1 without a record (a bootstrap
     * from before source streams, or none).
     */
    public static int recordedSources(Connection target) throws SQLException {
        State s = load(target);
        return s == null ? 1 : s.sources();
    }

    /** The slot of a bootstrap in this target database under another slot than {@code slot}, or null. */
    public static String otherMigrationSlot(Connection target, String slot) throws SQLException {
        if (!exists(target)) {
            return null;
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT slot_name FROM tsmigrate.bootstrap_state WHERE slot_name <> ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /**
     * The consistent point of a finished bootstrap under {@code slot} whose streaming has not been started yet under
     * {@code name} at that point, or null (started already, or no bootstrap state on the target).
     */
    public static String streamingToStart(Connection target, String name, String slot) throws SQLException {
        if (!exists(target)) {
            return null;
        }
        boolean recorded = tableExists(target, "tsmigrate.streaming_started");
        String started = recorded ? " AND NOT EXISTS (SELECT 1 FROM tsmigrate.streaming_started s WHERE s.name = ? AND s.consistent_lsn = b.consistent_lsn)" : "";
        try (PreparedStatement ps = target.prepareStatement("SELECT consistent_lsn FROM tsmigrate.bootstrap_state b WHERE phase = 'DONE' "
                + "AND slot_name = ?" + started)) {
            ps.setString(1, slot);
            if (recorded) {
                ps.setString(2, name);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    /** Records that streaming under {@code name} started from the bootstrap's consistent point {@code lsn}. */
    public static void markStreamingStarted(Connection target, String name, String lsn) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS tsmigrate.streaming_started (name text PRIMARY KEY, consistent_lsn text NOT NULL, "
                    + "started_at timestamptz NOT NULL DEFAULT now())");
        }
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO tsmigrate.streaming_started (name, consistent_lsn) VALUES (?, ?) "
                + "ON CONFLICT (name) DO UPDATE SET consistent_lsn = EXCLUDED.consistent_lsn, started_at = now()")) {
            ps.setString(1, name);
            ps.setString(2, lsn);
            ps.executeUpdate();
        }
    }

    /** When streaming under {@code name} started (recorded by {@link #markStreamingStarted}), or null. */
    public static String streamingStartedAt(Connection target, String name) throws SQLException {
        if (!tableExists(target, "tsmigrate.streaming_started")) {
            return null;
        }
        try (PreparedStatement ps = target.prepareStatement("SELECT started_at::text FROM tsmigrate.streaming_started WHERE name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        }
    }

    public static void drop(Connection target) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("DROP TABLE IF EXISTS tsmigrate.bootstrap_pieces, tsmigrate.bootstrap_state");
        }
    }
}

package io.tsmigrate.bootstrap;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.Set;

/**
 * The bootstrap's state, kept in the target ({@code tsmigrate.bootstrap_state}, one row, and
 * {@code tsmigrate.bootstrap_pieces}, one row per copied piece, written in the same transaction as the
 * piece's rows), so a rerun knows exactly what is done. Stateless itself.
 */
final class StateStore {

    /** The phases, in order. */
    enum Phase { SCHEMA, SLOT, COPYING, COPIED, DONE }

    /** The stored state. */
    record State(Phase phase, String slotName, String publicationName, String consistentLsn, String snapshotName, String pieces, int sources) {
    }

    private StateStore() {
    }

    static void create(Connection target) throws SQLException {
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

    static State load(Connection target) throws SQLException {
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

    static boolean exists(Connection target) throws SQLException {
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('tsmigrate.bootstrap_state') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    static void phase(Connection target, Phase phase) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO tsmigrate.bootstrap_state (phase) VALUES (?) ON CONFLICT (id) DO "
                + "UPDATE SET phase = excluded.phase, updated_at = now()")) {
            ps.setString(1, phase.name());
            ps.executeUpdate();
        }
    }

    static void slot(Connection target, String slot, String publication, String lsn, String snapshot) throws SQLException {
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
    static void sources(Connection target, int sources) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("UPDATE tsmigrate.bootstrap_state SET sources = ?, updated_at = now()")) {
            ps.setInt(1, sources);
            ps.executeUpdate();
        }
    }

    static void pieces(Connection target, String json) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("UPDATE tsmigrate.bootstrap_state SET pieces = ?::jsonb, updated_at = now()")) {
            ps.setString(1, json);
            ps.executeUpdate();
        }
    }

    static Set<String> donePieces(Connection target) throws SQLException {
        Set<String> done = new HashSet<>();
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery("SELECT table_id, piece FROM tsmigrate.bootstrap_pieces")) {
            while (rs.next()) {
                done.add(rs.getString(1) + "#" + rs.getInt(2));
            }
        }
        return done;
    }

    /** Marks a piece copied; called in the transaction that copied its rows. */
    static void pieceDone(Connection target, String tableId, int piece, long rows) throws SQLException {
        try (PreparedStatement ps = target.prepareStatement("INSERT INTO tsmigrate.bootstrap_pieces (table_id, piece, rows) VALUES (?, ?, ?)")) {
            ps.setString(1, tableId);
            ps.setInt(2, piece);
            ps.setLong(3, rows);
            ps.executeUpdate();
        }
    }

    static void drop(Connection target) throws SQLException {
        try (Statement st = target.createStatement()) {
            st.execute("DROP TABLE IF EXISTS tsmigrate.bootstrap_pieces, tsmigrate.bootstrap_state");
        }
    }
}

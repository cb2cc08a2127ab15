package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The target's triggers while the sink applies. The schema copy brings the source's triggers with their enable state.
 * The sink applies with {@code session_replication_role = replica} where its role may set it: then ordinary triggers
 * keep quiet, but those set {@code ENABLE ALWAYS} or {@code ENABLE REPLICA} fire for every streamed change (an audit
 * trigger wrote its rows twice, or failed the sink on a duplicate key). Without that role, ordinary ones fire too.
 * The bootstrap disables each trigger that would fire for the sink and lists it with its state; cutover, once the
 * target is the database in use, sets each back, and a rollback disables them again. Hypertables are left alone
 * (TimescaleDB refuses to enable or disable their triggers; theirs can only be ordinary ones).
 */
public final class TargetTriggers {

    /** Triggers to set back at cutover: relation, trigger, its state from the schema copy, whether cutover set it back. */
    private static final String LIST = "tsmigrate.triggers_to_enable";

    private TargetTriggers() {
    }

    /** Whether the sink applies as a replica: the target role may set {@code session_replication_role} (as {@code TargetSession} tries). */
    static boolean sinkIsReplica(Connection tgt) throws SQLException {
        return "t".equals(Db.one(tgt, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"))
                || Integer.parseInt(Db.one(tgt, "SHOW server_version_num")) >= 150000
                && "t".equals(Db.one(tgt, "SELECT has_parameter_privilege('session_replication_role', 'SET')"));
    }

    /**
     * Disables the user triggers on the target's tables that would fire for the sink's writes and lists them. Returns
     * one line per trigger, as "table trigger (state)".
     */
    static List<String> quiet(Connection tgt) throws SQLException {
        String states = sinkIsReplica(tgt) ? "'A', 'R'" : "'A', 'O'";
        boolean timescale = TimescaleFeatures.hasTimescale(tgt);
        List<String[]> found = new ArrayList<>();
        // Partitions' clones of a trigger too (listed after their parent: older servers do not pass the change down).
        try (Statement st = tgt.createStatement(); ResultSet rs = st.executeQuery("SELECT format('%I.%I', n.nspname, c.relname), t.tgname, t.tgenabled, quote_ident(t.tgname) "
                + "FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE NOT t.tgisinternal AND c.relkind IN ('r', 'p') AND t.tgenabled IN (" + states + ") "
                + "AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT LIKE '\\_timescaledb%' AND n.nspname NOT IN ('information_schema', 'tsmigrate') "
                + (timescale ? "AND NOT EXISTS (SELECT 1 FROM _timescaledb_catalog.hypertable h WHERE h.schema_name = n.nspname "
                        + "AND h.table_name = c.relname) " : "")
                + "ORDER BY t.tgparentid <> 0, 1, 2")) {
            while (rs.next()) {
                found.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
            }
        }
        List<String> out = new ArrayList<>();
        if (found.isEmpty()) {
            return out;
        }
        try (Statement st = tgt.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + LIST + " (relation text NOT NULL, trigger_name text NOT NULL, state \"char\" NOT NULL, "
                    + "enabled boolean NOT NULL DEFAULT false, position serial, PRIMARY KEY (relation, trigger_name))");
        }
        try (PreparedStatement ps = tgt.prepareStatement("INSERT INTO " + LIST + " (relation, trigger_name, state) VALUES (?, ?, ?) "
                + "ON CONFLICT (relation, trigger_name) DO UPDATE SET state = EXCLUDED.state, enabled = false"); Statement st = tgt.createStatement()) {
            for (String[] t : found) {
                ps.setString(1, t[0]);
                ps.setString(2, t[1]);
                ps.setString(3, t[2]);
                ps.executeUpdate();
                st.execute("ALTER TABLE " + t[0] + " DISABLE TRIGGER " + Ident.quote(t[1]));
                out.add(t[0] + " " + t[3] + " (" + state(t[2]) + ")");
            }
        }
        return out;
    }

    /** Sets back the triggers {@link #quiet} disabled (at cutover, the sink paused); one line per trigger. */
    public static List<String> enable(Connection tgt) throws SQLException {
        return set(tgt, false);
    }

    /** Disables again the triggers cutover set back (a rollback: the stream goes on); one line per trigger. */
    public static List<String> pause(Connection tgt) throws SQLException {
        return set(tgt, true);
    }

    private static List<String> set(Connection tgt, boolean enabled) throws SQLException {
        List<String> out = new ArrayList<>();
        if (Db.one(tgt, "SELECT to_regclass('" + LIST + "')") == null) {
            return out;
        }
        List<String[]> listed = new ArrayList<>();
        try (Statement st = tgt.createStatement(); ResultSet rs = st.executeQuery("SELECT relation, trigger_name, state, quote_ident(trigger_name) FROM " + LIST
                + " WHERE enabled = " + enabled + " AND to_regclass(relation) IS NOT NULL ORDER BY position")) {
            while (rs.next()) {
                listed.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)});
            }
        }
        try (Statement st = tgt.createStatement(); PreparedStatement done = tgt.prepareStatement("UPDATE " + LIST + " SET enabled = ? "
                + "WHERE relation = ? AND trigger_name = ?")) {
            for (String[] t : listed) {
                if (Db.one(tgt, "SELECT 1 FROM pg_trigger WHERE tgrelid = " + Ident.literal(t[0]) + "::regclass AND tgname = "
                        + Ident.literal(t[1])) != null) {
                    st.execute("ALTER TABLE " + t[0] + (enabled ? " DISABLE" : " ENABLE" + ("A".equals(t[2]) ? " ALWAYS" : "R".equals(t[2])
                            ? " REPLICA" : "")) + " TRIGGER " + Ident.quote(t[1]));
                    out.add(t[0] + " " + t[3] + " (" + state(t[2]) + ")");
                }
                done.setBoolean(1, !enabled);
                done.setString(2, t[0]);
                done.setString(3, t[1]);
                done.executeUpdate();
            }
        }
        return out;
    }

    private static String state(String tgenabled) {
        return switch (tgenabled) {
            case "A" -> "ENABLE ALWAYS";
            case "R" -> "ENABLE REPLICA";
            default -> "enabled";
        };
    }
}

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
 * Rules ({@code CREATE RULE ... DO ALSO}) follow the same states and are handled alike.
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

    /** A trigger or rule (kind TRIGGER or RULE) on a relation (schema.table quoted), its state as pg_trigger or pg_rewrite has it. */
    private record Fires(String kind, String relation, String name, String state) {

        String shown() {
            return relation + " " + Ident.readable(name) + " ("
                    + ("RULE".equals(kind) ? "rule, " : "") + switch (state) {
                        case "A" -> "ENABLE ALWAYS";
                        case "R" -> "ENABLE REPLICA";
                        default -> "enabled";
                    } + ")";
        }

        String alter(boolean disable) {
            return "ALTER TABLE " + relation + (disable ? " DISABLE " : " ENABLE " + ("A".equals(state) ? "ALWAYS " : "R".equals(state) ? "REPLICA " : ""))
                    + kind + " " + Ident.quote(name);
        }
    }

    /**
     * Disables the user triggers and rules on the target's tables that would fire for the sink's writes and lists them.
     * Returns one line per trigger or rule, as "table name (state)".
     */
    static List<String> quiet(Connection tgt) throws SQLException {
        String states = sinkIsReplica(tgt) ? "'A', 'R'" : "'A', 'O'";
        String tables = "c.relkind IN ('r', 'p') AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname NOT LIKE '\\_timescaledb%' "
                + "AND n.nspname NOT IN ('information_schema', 'tsmigrate') "
                + (TimescaleFeatures.hasTimescale(tgt) ? "AND NOT EXISTS (SELECT 1 FROM _timescaledb_catalog.hypertable h WHERE h.schema_name = n.nspname "
                        + "AND h.table_name = c.relname) " : "");
        List<Fires> found = new ArrayList<>();
        // Partitions' clones of a trigger too (listed after their parent: older servers do not pass the change down).
        try (Statement st = tgt.createStatement(); ResultSet rs = st.executeQuery("SELECT 'TRIGGER', format('%I.%I', n.nspname, c.relname), t.tgname, "
                + "t.tgenabled::text, t.tgparentid <> 0 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE NOT t.tgisinternal AND t.tgenabled IN (" + states + ") AND " + tables
                + "UNION ALL SELECT 'RULE', format('%I.%I', n.nspname, c.relname), r.rulename, r.ev_enabled::text, false FROM pg_rewrite r "
                + "JOIN pg_class c ON c.oid = r.ev_class JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE r.rulename <> '_RETURN' AND r.ev_enabled IN (" + states + ") AND " + tables + "ORDER BY 5, 2, 1, 3")) {
            while (rs.next()) {
                found.add(new Fires(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
            }
        }
        List<String> out = new ArrayList<>();
        if (found.isEmpty()) {
            return out;
        }
        try (Statement st = tgt.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS " + LIST + " (kind text NOT NULL, relation text NOT NULL, name text NOT NULL, state \"char\" NOT NULL, "
                    + "enabled boolean NOT NULL DEFAULT false, position serial, PRIMARY KEY (kind, relation, name))");
        }
        try (PreparedStatement ps = tgt.prepareStatement("INSERT INTO " + LIST + " (kind, relation, name, state) VALUES (?, ?, ?, ?) "
                + "ON CONFLICT (kind, relation, name) DO UPDATE SET state = EXCLUDED.state, enabled = false"); Statement st = tgt.createStatement()) {
            for (Fires f : found) {
                ps.setString(1, f.kind());
                ps.setString(2, f.relation());
                ps.setString(3, f.name());
                ps.setString(4, f.state());
                ps.executeUpdate();
                st.execute(f.alter(true));
                out.add(f.shown());
            }
        }
        return out;
    }

    /** Sets back what {@link #quiet} disabled (at cutover, the sink paused); one line per trigger or rule. */
    public static List<String> enable(Connection tgt) throws SQLException {
        return set(tgt, false);
    }

    /** Disables again what cutover set back (a rollback: the stream goes on); one line per trigger or rule. */
    public static List<String> pause(Connection tgt) throws SQLException {
        return set(tgt, true);
    }

    private static List<String> set(Connection tgt, boolean enabled) throws SQLException {
        List<String> out = new ArrayList<>();
        if (Db.one(tgt, "SELECT to_regclass('" + LIST + "')") == null) {
            return out;
        }
        List<Fires> listed = new ArrayList<>();
        List<Boolean> present = new ArrayList<>();
        try (Statement st = tgt.createStatement(); ResultSet rs = st.executeQuery("SELECT kind, relation, name, state, CASE kind WHEN 'TRIGGER' "
                + "THEN EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = to_regclass(relation) AND tgname = name) ELSE EXISTS (SELECT 1 FROM pg_rewrite "
                + "WHERE ev_class = to_regclass(relation) AND rulename = name) END FROM " + LIST + " WHERE enabled = " + enabled
                + " AND to_regclass(relation) IS NOT NULL ORDER BY position")) {
            while (rs.next()) {
                listed.add(new Fires(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4)));
                present.add(rs.getBoolean(5));
            }
        }
        try (Statement st = tgt.createStatement(); PreparedStatement done = tgt.prepareStatement("UPDATE " + LIST + " SET enabled = ? "
                + "WHERE kind = ? AND relation = ? AND name = ?")) {
            for (int i = 0; i < listed.size(); i++) {
                Fires f = listed.get(i);
                if (present.get(i)) {
                    st.execute(f.alter(enabled));
                    out.add(f.shown());
                }
                done.setBoolean(1, !enabled);
                done.setString(2, f.kind());
                done.setString(3, f.relation());
                done.setString(4, f.name());
                done.executeUpdate();
            }
        }
        return out;
    }
}

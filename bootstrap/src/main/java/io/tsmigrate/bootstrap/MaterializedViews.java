package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;
import io.tsmigrate.common.RowDigest;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Materialized views. The schema copy creates them empty (pg_dump's schema-only output has no "MATERIALIZED VIEW
 * DATA"); once the data is in, each one populated on the source is refreshed on the target, as pg_restore does: from
 * the copied rows, that is as of the bootstrap's snapshot. A view that reads another one waits for it (a REFRESH
 * that finds an unpopulated view fails and is tried again after the others).
 */
public final class MaterializedViews {

    /** PostgreSQL's SQLSTATE for "materialized view ... has not been populated". */
    private static final String NOT_POPULATED = "55000";

    private MaterializedViews() {
    }

    /** Refreshes on the target the views populated on the source that the target has unpopulated; returns how many. */
    static int refresh(Connection src, Connection tgt, Consumer<String> say) throws SQLException {
        List<String> populate = new ArrayList<>();
        for (String view : populated(src)) {
            if (unpopulatedOnTarget(tgt, view)) {
                populate.add(view);
            }
        }
        return refreshAll(tgt, populate, say);
    }

    /**
     * At cutover: materialized views are not streamed, so a view refreshed on the source during the migration holds older
     * rows on the target. Each view populated on the source whose rows differ on the target (count and digest of every
     * row) is refreshed there from the migrated rows, again while refreshing changes what another reads.
     *
     * @return the views refreshed, and those whose rows still differ (the source's were refreshed before its tables
     *         last changed: the target's are the fresher)
     */
    public static Refreshed refreshChanged(Connection src, Connection tgt, Consumer<String> say) throws SQLException {
        boolean utf8 = RowDigest.encodingsDiffer(src, tgt);
        List<String> differ = new ArrayList<>();
        for (String view : populated(src)) {
            if (Db.one(tgt, "SELECT count(*) FROM pg_class WHERE oid = to_regclass(" + Ident.literal(view) + ") AND relkind = 'm'").equals("1")
                    && !digest(src, view, utf8).equals(digest(tgt, view, utf8))) {
                differ.add(view);
            }
        }
        List<String> refreshed = new ArrayList<>();
        for (int round = 0; !differ.isEmpty() && round < 5; round++) {
            refreshAll(tgt, differ, say);
            differ.forEach(v -> {
                if (!refreshed.contains(v)) {
                    refreshed.add(v);
                }
            });
            List<String> still = new ArrayList<>();
            for (String view : differ) {
                if (!digest(src, view, utf8).equals(digest(tgt, view, utf8))) {
                    still.add(view);
                }
            }
            if (still.size() == differ.size()) {
                break;
            }
            differ = still;
        }
        return new Refreshed(refreshed, differ);
    }

    /** What {@link #refreshChanged} did. */
    public record Refreshed(List<String> refreshed, List<String> stillDiffer) {
    }

    /** The row count and {@link RowDigest} of every row's text. */
    private static String digest(Connection c, String view, boolean utf8) throws SQLException {
        return Db.one(c, "SELECT count(*) || ' ' || " + RowDigest.sum("ROW(__tsm_v.*)::text", utf8) + " FROM " + view + " AS __tsm_v");
    }

    /** The source's populated materialized views outside the system's and extensions', as schema.name quoted. */
    private static List<String> populated(Connection src) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c "
                + "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'm' AND c.relispopulated AND n.nspname NOT LIKE 'pg\\_%' "
                + "AND n.nspname NOT LIKE '\\_timescaledb%' AND n.nspname <> 'information_schema' "
                + "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'e') ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** Refreshes these views on the target, a view that reads an unpopulated one after it; returns how many. */
    private static int refreshAll(Connection tgt, List<String> views, Consumer<String> say) throws SQLException {
        List<String> pending = views;
        int refreshed = 0;
        while (!pending.isEmpty()) {
            List<String> waiting = new ArrayList<>();
            SQLException last = null;
            for (String view : pending) {
                try (Statement st = tgt.createStatement()) {
                    st.execute("REFRESH MATERIALIZED VIEW " + view);
                    refreshed++;
                } catch (SQLException e) {
                    if (!NOT_POPULATED.equals(e.getSQLState())) {
                        say.accept("WARN could not refresh materialized view " + view + " on the target: " + e.getMessage()
                                + "; run REFRESH MATERIALIZED VIEW " + view + " there");
                        continue;
                    }
                    waiting.add(view);
                    last = e;
                }
            }
            if (waiting.size() == pending.size()) {
                say.accept("WARN could not refresh materialized views " + String.join(", ", waiting) + " on the target: " + last.getMessage()
                        + "; refresh them there in the order they read each other");
                break;
            }
            pending = waiting;
        }
        return refreshed;
    }

    private static boolean unpopulatedOnTarget(Connection tgt, String view) throws SQLException {
        try (Statement st = tgt.createStatement(); ResultSet rs = st.executeQuery("SELECT NOT relispopulated FROM pg_class WHERE oid = to_regclass("
                + Ident.literal(view) + ") AND relkind = 'm'")) {
            return rs.next() && rs.getBoolean(1);
        }
    }
}

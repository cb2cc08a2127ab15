package io.tsmigrate.cli;

import io.tsmigrate.common.Ident;
import io.tsmigrate.bootstrap.SourceCatalog;
import io.tsmigrate.bootstrap.TableSelection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The source tables a migration covers, for the commands after the bootstrap: the tables of its publications (the
 * bootstrap made it from the selection; TimescaleDB's chunks are left out, their hypertables are listed), or, before
 * there is one, every user table; either way narrowed by the selection options given to the command.
 */
final class MigratedTables {

    private MigratedTables() {
    }

    static List<String[]> of(Connection source, List<String> publications, TableSelection selection) throws SQLException {
        List<String[]> all = new ArrayList<>();
        boolean published;
        try (PreparedStatement ps = source.prepareStatement("SELECT count(*) > 0 FROM pg_publication WHERE pubname = ANY (?)")) {
            ps.setArray(1, source.createArrayOf("text", publications.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                published = rs.getBoolean(1);
            }
        }
        if (published) {
            try (PreparedStatement ps = source.prepareStatement("SELECT DISTINCT schemaname, tablename FROM pg_publication_tables WHERE pubname = ANY (?) "
                    + "AND schemaname NOT IN ('_timescaledb_internal', 'tsmigrate') ORDER BY 1, 2")) {
                ps.setArray(1, source.createArrayOf("text", publications.toArray()));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        all.add(new String[] {rs.getString(1), rs.getString(2)});
                    }
                }
            }
        } else {
            all.addAll(SourceCatalog.userTables(source));
        }
        return all.stream().filter(t -> selection.covers(t[0], t[1])).toList();
    }

    /**
     * Covered source tables that the migration's publication lacks: created on the source after the bootstrap, so
     * neither copied nor streamed. Empty without a publication or with one for all tables.
     */
    static List<String> late(Connection source, List<String> publications, TableSelection selection) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement("SELECT count(*) FILTER (WHERE NOT puballtables) FROM pg_publication WHERE pubname = ANY (?)")) {
            ps.setArray(1, source.createArrayOf("text", publications.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                if (rs.getLong(1) == 0) {
                    return out;
                }
            }
        }
        java.util.Set<String> published = new java.util.HashSet<>();
        for (String[] t : of(source, publications, TableSelection.ALL)) {
            published.add(t[0] + "." + t[1]);
        }
        for (String[] t : SourceCatalog.userTables(source)) {
            if (!t[0].equals("tsmigrate") && selection.covers(t[0], t[1]) && !published.contains(t[0] + "." + t[1])) {
                out.add(t[0] + "." + t[1]);
            }
        }
        return out;
    }

    /** The line that reports a table {@link #late} finds. */
    static String lateLine(String table) {
        return "NOT MIGRATED " + table + ": created on the source after the bootstrap, so it is not in the migration's publication and its rows "
                + "are not on the target; copy it yourself (pg_dump --table, with writes to it stopped) or leave it out with --exclude-table";
    }

    /** An SQL condition on {@code n.nspname, cl.relname} (pg_namespace n, pg_class cl) for the covered tables; empty when all are. */
    static String restriction(Connection source, TableSelection selection) throws SQLException {
        if (selection.all()) {
            return "";
        }
        List<String> rows = new ArrayList<>();
        for (String[] t : SourceCatalog.userTables(source)) {
            if (selection.covers(t[0], t[1])) {
                rows.add("(" + Ident.literal(t[0]) + ", " + Ident.literal(t[1]) + ")");
            }
        }
        return rows.isEmpty() ? " AND false" : " AND (n.nspname, cl.relname) IN (" + String.join(", ", rows) + ")";
    }
}

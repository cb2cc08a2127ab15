package io.tsmigrate.cli;

import io.tsmigrate.bootstrap.Ident;
import io.tsmigrate.bootstrap.SourceCatalog;
import io.tsmigrate.bootstrap.TableSelection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The source tables a migration covers, for the commands after the bootstrap: the tables of its publication (the
 * bootstrap made it from the selection; TimescaleDB's chunks are left out, their hypertables are listed), or, before
 * there is one, every user table; either way narrowed by the selection options given to the command.
 */
final class MigratedTables {

    private MigratedTables() {
    }

    static List<String[]> of(Connection source, String publication, TableSelection selection) throws SQLException {
        List<String[]> all = new ArrayList<>();
        boolean published;
        try (PreparedStatement ps = source.prepareStatement("SELECT count(*) > 0 FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                published = rs.getBoolean(1);
            }
        }
        if (published) {
            try (PreparedStatement ps = source.prepareStatement("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ? "
                    + "AND schemaname NOT IN ('_timescaledb_internal', 'tsmigrate') ORDER BY 1, 2")) {
                ps.setString(1, publication);
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

package io.tsmigrate.common;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The one definition of which source tables a migration covers. Before the bootstrap: the source's user tables
 * ({@link #USER_TABLES}) that the selection covers (patterns from the command line or the plan). After it: the tables
 * of the migration's publications (the bootstrap made them from that selection; TimescaleDB's chunks are left out,
 * their hypertables are listed), narrowed by any selection given to a later command. Every stage asks this class:
 * the bootstrap's catalog and pg_dump runs, {@code check}, {@code verify}, {@code cutover}, {@code status} and the
 * topic spread.
 *
 * @param publications the migration's publications (one per source stream); none before the bootstrap
 * @param selection    the tables the command was told to cover
 */
public record MigrationScope(List<String> publications, TableSelection selection) {

    /** Schemas never migrated as such: the catalogs, TimescaleDB's internals and tsmigrate's own state. */
    public static final String INTERNAL_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema', 'tsmigrate', 'timescaledb_information', "
            + "'timescaledb_experimental', '_timescaledb_catalog', '_timescaledb_internal', '_timescaledb_config', '_timescaledb_cache', "
            + "'_timescaledb_functions', '_timescaledb_debug') AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%'";

    /**
     * The source's user tables as a SQL fragment ({@code cl} the table, {@code n} its schema): roots of partitioned
     * tables and plain tables, outside the internal schemas, not owned by an extension. Append conditions with AND.
     */
    public static final String USER_TABLES = "FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace "
            + "WHERE cl.relkind IN ('r', 'p') AND NOT cl.relispartition AND " + INTERNAL_SCHEMAS
            + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = cl.oid AND d.deptype = 'e')";

    public MigrationScope {
        publications = publications == null ? List.of() : List.copyOf(publications);
        selection = selection == null ? TableSelection.ALL : selection;
    }

    /** A scope before any publication exists: the selection over the source's user tables. */
    public static MigrationScope beforeBootstrap(TableSelection selection) {
        return new MigrationScope(List.of(), selection);
    }

    /** Every user table of the source ({schema, table}), before any selection: what pg_dump would see. */
    public static List<String[]> userTables(Connection c) throws SQLException {
        List<String[]> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname, cl.relname " + USER_TABLES + " ORDER BY 1, 2");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        return out;
    }

    /** Every user schema of the source. */
    public static List<String> userSchemas(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT n.nspname FROM pg_namespace n WHERE " + INTERNAL_SCHEMAS
                + " AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = n.oid AND d.deptype = 'e') ORDER BY 1");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** The covered tables ({schema, table}): the publications' tables, or before there are any, the user tables. */
    public List<String[]> tables(Connection source) throws SQLException {
        List<String[]> all = new ArrayList<>();
        if (published(source, "count(*) > 0")) {
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
            all.addAll(userTables(source));
        }
        return all.stream().filter(t -> selection.covers(t[0], t[1])).toList();
    }

    /**
     * Covered source tables that the migration's publications lack: created on the source after the bootstrap, so
     * neither copied nor streamed. Empty without a publication or with one for all tables.
     */
    public List<String> late(Connection source) throws SQLException {
        List<String> out = new ArrayList<>();
        if (!published(source, "count(*) FILTER (WHERE NOT puballtables) > 0")) {
            return out;
        }
        Set<String> published = new HashSet<>();
        for (String[] t : new MigrationScope(publications, TableSelection.ALL).tables(source)) {
            published.add(Ident.readable(t[0], t[1]));
        }
        for (String[] t : userTables(source)) {
            if (selection.covers(t[0], t[1]) && !published.contains(Ident.readable(t[0], t[1]))) {
                out.add(Ident.readable(t[0], t[1]));
            }
        }
        return out;
    }

    /** The line that reports a table {@link #late} finds. */
    public static String lateLine(String table) {
        return "NOT MIGRATED " + table + ": created on the source after the bootstrap, so it is not in the migration's publication and its rows "
                + "are not on the target; copy it yourself (pg_dump --table, with writes to it stopped) or leave it out with --exclude-table";
    }

    /** An SQL condition on {@code n.nspname, cl.relname} (pg_namespace n, pg_class cl) for the covered tables; empty when all are. */
    public String restriction(Connection source) throws SQLException {
        if (selection.all()) {
            return "";
        }
        List<String> rows = new ArrayList<>();
        for (String[] t : userTables(source)) {
            if (selection.covers(t[0], t[1])) {
                rows.add("(" + Ident.literal(t[0]) + ", " + Ident.literal(t[1]) + ")");
            }
        }
        return rows.isEmpty() ? " AND false" : " AND (n.nspname, cl.relname) IN (" + String.join(", ", rows) + ")";
    }

    private boolean published(Connection source, String aggregate) throws SQLException {
        if (publications.isEmpty()) {
            return false;
        }
        try (PreparedStatement ps = source.prepareStatement("SELECT " + aggregate + " FROM pg_publication WHERE pubname = ANY (?)")) {
            ps.setArray(1, source.createArrayOf("text", publications.toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }
}

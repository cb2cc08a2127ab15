package io.tsmigrate.common;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads the facts {@link SourceRules} judges from a source server, about the tables a migration covers. Reads only. */
public final class SourceFacts {

    /**
     * Tables whose rows row-level security would filter for the current user (not a superuser, no BYPASSRLS, and
     * either not the owner or the policy forced on the owner), as schema.table.
     */
    public static final String ROW_SECURITY_HIDES = "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "JOIN pg_roles r ON r.rolname = current_user WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND NOT r.rolsuper AND NOT r.rolbypassrls "
            + "AND (c.relforcerowsecurity OR NOT pg_has_role(c.relowner, 'USAGE')) ORDER BY 1";

    private SourceFacts() {
    }

    /**
     * @param c        a connection to the source
     * @param scope    the tables the migration covers
     * @param streams  the migration's source streams (their slots are looked up)
     * @param contents also look into the tables' rows (NaN and Infinity in numeric columns of tables under 1 GB): a
     *                 scan of each such table, for the report before a migration, not for every start
     */
    public static Map<String, String> read(Connection c, MigrationScope scope, SourceRules.Streams streams, boolean contents) throws SQLException {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("server_version_num", Db.one(c, "SHOW server_version_num"));
        f.put("wal_level", Db.one(c, "SHOW wal_level"));
        f.put("rds.logical_replication", Db.one(c, "SELECT current_setting('rds.logical_replication', true)"));
        f.put("max_replication_slots", Db.one(c, "SHOW max_replication_slots"));
        f.put("slots_used", Db.one(c, "SELECT count(*) FROM pg_replication_slots"));
        f.put("stream_slots_existing", lines(c, "SELECT slot_name FROM pg_replication_slots WHERE slot_name IN ("
                + String.join(", ", streams.slots().stream().map(Ident::literal).toList()) + ") ORDER BY 1"));
        f.put("max_wal_senders", Db.one(c, "SHOW max_wal_senders"));
        f.put("senders_used", Db.one(c, "SELECT count(*) FROM pg_stat_replication"));
        f.put("rolreplication", Db.one(c, "SELECT rolreplication FROM pg_roles WHERE rolname = current_user"));
        f.put("rolsuper", Db.one(c, "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"));
        f.put("rds_replication_member", Db.one(c, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication') "
                + "AND pg_has_role(current_user, (SELECT oid FROM pg_roles WHERE rolname = 'rds_replication'), 'member')"));
        String userTables = MigrationScope.USER_TABLES + scope.restriction(c);
        String columnsOf = userTables.replace("FROM pg_class cl", "FROM pg_attribute a JOIN pg_class cl ON cl.oid = a.attrelid")
                + " AND a.attnum > 0 AND NOT a.attisdropped";
        // Tables whose updates and deletes PostgreSQL refuses once published: no replica identity. "table\twhy": none (no
        // primary key), deferrable (a deferrable primary key cannot be the identity) or nothing (REPLICA IDENTITY NOTHING).
        f.put("tables_without_key", lines(c, "SELECT format('%I.%I', n.nspname, cl.relname) || E'\\t' || CASE WHEN cl.relreplident = 'n' "
                + "THEN 'nothing' WHEN EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = cl.oid AND i.indisprimary) THEN 'deferrable' ELSE 'none' END "
                + userTables + " AND (cl.relreplident = 'n' OR cl.relreplident = 'd' AND NOT EXISTS (SELECT 1 FROM pg_index i "
                + "WHERE i.indrelid = cl.oid AND i.indisprimary AND i.indimmediate)) ORDER BY 1"));
        // The key of a table's change events (its primary key; without one, a unique index Debezium picks) must lie within
        // its replica identity index, else an UPDATE of the key that leaves the index's columns alone carries no old key.
        // Per table: the table, the replica identity index, p (the primary key) or u (another unique index), that index.
        String outside = "(SELECT CASE WHEN u.indisprimary THEN 'p' ELSE 'u' END || E'\\t' || format('%I', uc.relname) FROM pg_index u "
                + "JOIN pg_class uc ON uc.oid = u.indexrelid WHERE u.indrelid = cl.oid AND u.indisunique AND u.indexrelid <> ri.indexrelid "
                + "AND NOT (u.indkey::int2[] <@ ri.indkey::int2[]) AND (u.indisprimary OR NOT EXISTS (SELECT 1 FROM pg_index p "
                + "WHERE p.indrelid = cl.oid AND p.indisprimary)) ORDER BY u.indisprimary DESC, uc.relname LIMIT 1)";
        f.put("identity_index_outside_key", lines(c, "SELECT format('%I.%I', n.nspname, cl.relname) || E'\\t' || format('%I', ic.relname) "
                + "|| E'\\t' || " + outside + " "
                + userTables.replace("FROM pg_class cl", "FROM pg_index ri JOIN pg_class ic ON ic.oid = ri.indexrelid JOIN pg_class cl ON cl.oid = ri.indrelid")
                + " AND ri.indisreplident AND cl.relreplident = 'i' AND " + outside + " IS NOT NULL ORDER BY 1"));
        // Transactions that have been writing for over a minute, on any database of the server, and prepared ones: a new
        // replication slot waits until each has ended. "what\tage".
        f.put("open_transactions", lines(c, "SELECT format('pid %s on database %s (user %s%s)', pid, datname, usename, "
                + "CASE WHEN application_name <> '' THEN ', application ' || application_name ELSE '' END) || E'\\t' "
                + "|| date_trunc('second', now() - xact_start) FROM pg_stat_activity WHERE backend_xid IS NOT NULL AND pid <> pg_backend_pid() "
                + "AND backend_type = 'client backend' AND xact_start < now() - INTERVAL '1 minute' "
                + "UNION ALL SELECT format('prepared transaction %L on database %s (owner %s)', gid, database, owner) || E'\\t' "
                + "|| date_trunc('second', now() - prepared) FROM pg_prepared_xacts ORDER BY 1"));
        // The system's collations (pg_catalog: imported from the server's locales, which pg_dump does not copy) that the
        // tables' columns use, with one column each: "collation\tcolumn", the collation quoted as schema.name.
        f.put("system_collations", lines(c, "SELECT format('pg_catalog.%I', co.collname) || E'\\t' || min(format('%I.%I.%I', n.nspname, cl.relname, a.attname)) "
                + columnsOf.replace("FROM pg_attribute a", "FROM pg_attribute a JOIN pg_collation co ON co.oid = a.attcollation")
                + " AND co.collnamespace = 'pg_catalog'::regnamespace AND co.collname NOT IN ('default', 'C', 'POSIX', 'ucs_basic', 'pg_c_utf8', "
                + "'unicode') GROUP BY co.collname ORDER BY 1"));
        f.put("tables_without_columns", lines(c, "SELECT format('%I.%I', n.nspname, cl.relname) " + userTables + " AND NOT EXISTS (SELECT 1 "
                + "FROM pg_attribute a WHERE a.attrelid = cl.oid AND a.attnum > 0 AND NOT a.attisdropped) ORDER BY 1"));
        f.put("unlogged_tables", lines(c, "SELECT format('%I.%I', n.nspname, cl.relname) " + userTables + " AND cl.relpersistence = 'u' ORDER BY 1"));
        // Triggers the bootstrap copies that fire on an ordinary write (not TimescaleDB's own): "table trigger".
        f.put("user_triggers", lines(c, "SELECT format('%I.%I', n.nspname, cl.relname) || ' ' || format('%I', tg.tgname) "
                + userTables.replace("FROM pg_class cl", "FROM pg_trigger tg JOIN pg_class cl ON cl.oid = tg.tgrelid")
                + " AND NOT tg.tgisinternal AND tg.tgenabled = 'O' AND tg.tgname NOT IN ('ts_insert_blocker', 'ts_cagg_invalidation_trigger') ORDER BY 1"));
        f.put("generated_columns", lines(c, "SELECT format('%I.%I.%I', n.nspname, cl.relname, a.attname) " + columnsOf
                + " AND a.attgenerated <> '' ORDER BY 1"));
        f.put("timestamp_columns", lines(c, "SELECT format('%I.%I.%I', n.nspname, cl.relname, a.attname) " + columnsOf
                + " AND a.atttypid = 'timestamp'::regtype ORDER BY 1"));
        f.put("timetz_columns", lines(c, "SELECT format('%I.%I.%I', n.nspname, cl.relname, a.attname) " + columnsOf
                + " AND a.atttypid = 'timetz'::regtype ORDER BY 1"));
        f.put("quoted_tables", lines(c, "SELECT format('%I.%I', n.nspname, cl.relname) " + userTables
                + " AND (n.nspname ~ '^\"|\"$' OR cl.relname ~ '^\"|\"$') ORDER BY 1"));
        f.put("reserved_columns", lines(c, "SELECT format('%I.%I.%I', n.nspname, cl.relname, a.attname) " + columnsOf
                + " AND a.attname LIKE '\\_\\_tsm\\_%' ORDER BY 1"));
        f.put("quoted_columns", lines(c, "SELECT format('%I.%I.%I', n.nspname, cl.relname, a.attname) " + columnsOf
                + " AND a.attname ~ '^\"|\"$' ORDER BY 1"));
        if (Db.one(c, "SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'") != null) {
            f.put("compressed_chunks", Db.one(c, "SELECT count(*) FROM timescaledb_information.chunks WHERE is_compressed"));
            f.put("continuous_aggregates", lines(c, "SELECT format('%I.%I', view_schema, view_name) FROM timescaledb_information.continuous_aggregates "
                    + "ORDER BY 1"));
        }
        f.put("unreadable_sequences", lines(c, Sequences.UNREADABLE));
        f.put("row_security_tables", lines(c, ROW_SECURITY_HIDES));
        f.put("forced_row_security_tables", lines(c, "SELECT format('%I.%I', n.nspname, cl.relname) " + userTables
                + " AND cl.relrowsecurity AND cl.relforcerowsecurity ORDER BY 1"));
        f.put("large_objects", Db.one(c, "SELECT count(*) FROM pg_largeobject_metadata"));
        if (contents) {
            f.put("numeric_specials", numericSpecials(c, columnsOf));
        }
        return f;
    }

    private static String numericSpecials(Connection c, String columnsOf) throws SQLException {
        List<String> found = new ArrayList<>();
        List<String> cols = Db.lines(c, "SELECT quote_ident(n.nspname) || '.' || quote_ident(cl.relname) || ' ' || quote_ident(a.attname) "
                + columnsOf + " AND a.atttypid = 'numeric'::regtype AND pg_relation_size(cl.oid) < 1073741824 ORDER BY 1");
        for (String line : cols) {
            int sp = line.lastIndexOf(' ');
            String table = line.substring(0, sp);
            String col = line.substring(sp + 1);
            if ("t".equals(Db.one(c, "SELECT EXISTS (SELECT 1 FROM " + table + " WHERE " + col + " IN ('NaN', 'Infinity', '-Infinity'))"))) {
                found.add(table + "." + col);
            }
        }
        return String.join("\n", found);
    }

    /** A fact that lists lines (tables, columns, ...): its lines, none when empty. */
    public static List<String> list(Map<String, String> facts, String key) {
        String v = facts.get(key);
        return v == null || v.isBlank() ? List.of() : List.of(v.split("\n"));
    }

    private static String lines(Connection c, String sql) throws SQLException {
        return String.join("\n", Db.lines(c, sql));
    }
}

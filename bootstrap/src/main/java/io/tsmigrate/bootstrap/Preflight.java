package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Sequences;
import io.tsmigrate.common.Ident;

import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** The bootstrap's preconditions, each failure one sentence with the fix; warnings do not stop it. */
public final class Preflight {

    record Result(List<String> failures, List<String> warnings) {
    }

    private Preflight() {
    }

    /**
     * Tables whose rows row-level security would filter for the current user (not a superuser, no BYPASSRLS, and
     * either not the owner or the policy forced on the owner), as schema.table.
     */
    public static final String ROW_SECURITY_HIDES = "SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            + "JOIN pg_roles r ON r.rolname = current_user WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND NOT r.rolsuper AND NOT r.rolbypassrls "
            + "AND (c.relforcerowsecurity OR NOT pg_has_role(c.relowner, 'USAGE')) ORDER BY 1";

    /** Checks what several source streams need: a slot and a WAL sender each, their slots' names free, tables for each. */
    private static void lanes(Connection source, BootstrapPlan plan, List<TableInfo> tables, boolean slotExpected, int freeSlots, int freeSenders,
            List<String> fail) throws SQLException {
        List<Lanes.Lane> lanes = plan.lanes();
        int missing = 0;
        for (Lanes.Lane lane : lanes) {
            boolean exists = "1".equals(Db.one(source, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = " + Ident.literal(lane.slot())));
            missing += exists ? 0 : 1;
            if (exists && lane.number() > 1 && !slotExpected) {
                fail.add("the source already has a replication slot named " + lane.slot() + " (the name of source stream " + lane.number()
                        + ") that no bootstrap state on the target explains; drop it (SELECT pg_drop_replication_slot('" + lane.slot() + "')) or "
                        + "choose another --name");
            }
        }
        if (missing > freeSlots) {
            fail.add(plan.sources() + " source streams need " + missing + " more replication slots; the source has " + Math.max(0, freeSlots)
                    + " free: raise max_replication_slots (and restart) or use fewer --sources");
        }
        if (plan.sources() + 1 > freeSenders) {
            fail.add(plan.sources() + " source streams need " + (plan.sources() + 1) + " WAL senders (one per stream and one for the bootstrap); "
                    + "the source has " + Math.max(0, freeSenders) + " free: raise max_wal_senders (and restart) or use fewer --sources");
        }
        List<List<TableInfo>> split = Lanes.split(tables, plan.sources());
        if (split.stream().anyMatch(List::isEmpty)) {
            long plain = tables.stream().filter(t -> t.sourceTime() == null).count();
            fail.add(plan.sources() + " source streams need a table each, and a TimescaleDB source's hypertables all go to the first; the migration "
                    + "covers " + tables.size() + " table(s), " + plain + " of them not hypertables: use at most " + (plain + (plain < tables.size() ? 1 : 0))
                    + " --sources");
        }
    }

    static Result check(Connection source, Connection target, BootstrapPlan plan, List<TableInfo> tables, boolean slotExpected) throws SQLException {
        List<String> fail = new ArrayList<>();
        List<String> warn = new ArrayList<>();
        String wal = Db.one(source, "SHOW wal_level");
        if (!"logical".equals(wal)) {
            fail.add("the source has wal_level=" + wal + "; logical replication needs wal_level=logical: ALTER SYSTEM SET wal_level = logical, then restart it"
                    + " (on Amazon RDS: set rds.logical_replication=1 in the parameter group and reboot)");
        }
        int slots = Integer.parseInt(Db.one(source, "SHOW max_replication_slots"));
        int used = Integer.parseInt(Db.one(source, "SELECT count(*) FROM pg_replication_slots"));
        boolean slotExists = "1".equals(Db.one(source, "SELECT count(*) FROM pg_replication_slots WHERE slot_name = " + Ident.literal(plan.slotName())));
        if (!slotExists && used >= slots) {
            fail.add("the source has no free replication slot (" + used + " of max_replication_slots=" + slots + " in use); drop an unused one or "
                    + "raise max_replication_slots and restart");
        }
        int senders = Integer.parseInt(Db.one(source, "SHOW max_wal_senders"));
        int sending = Integer.parseInt(Db.one(source, "SELECT count(*) FROM pg_stat_replication"));
        if (plan.sources() > 1) {
            lanes(source, plan, tables, slotExpected, slots - used, senders - sending, fail);
        } else if (sending + 2 > senders) {
            fail.add("the source has too few WAL senders free (" + sending + " of max_wal_senders=" + senders + " in use; the bootstrap and Debezium "
                    + "need one each); raise max_wal_senders and restart");
        }
        String replication = Db.one(source, "SELECT rolreplication OR rolsuper OR pg_has_role(current_user, 'rds_replication', 'member') "
                + "FROM pg_roles WHERE rolname = current_user AND EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'rds_replication') "
                + "UNION ALL SELECT rolreplication OR rolsuper FROM pg_roles WHERE rolname = current_user LIMIT 1");
        if (!"t".equals(replication)) {
            fail.add("the source user lacks the REPLICATION privilege needed for the replication slot: ALTER ROLE <user> REPLICATION "
                    + "(on Amazon RDS: GRANT rds_replication TO <user>)");
        }
        if (slotExists && !slotExpected) {
            fail.add("the source already has a replication slot named " + plan.slotName() + " that no bootstrap state on the target explains; "
                    + "drop it (SELECT pg_drop_replication_slot('" + plan.slotName() + "')) or choose another slot name");
        }
        int maxConnections = Integer.parseInt(Db.one(target, "SHOW max_connections"));
        int inUse = Integer.parseInt(Db.one(target, "SELECT count(*) FROM pg_stat_activity"));
        int needed = Math.max(plan.jobs(), plan.indexJobs()) + 2;
        if (maxConnections - inUse < needed) {
            fail.add("the target has " + (maxConnections - inUse) + " free connections (max_connections=" + maxConnections + ") but the bootstrap "
                    + "needs " + needed + " with jobs=" + plan.jobs() + "; lower --jobs or raise max_connections");
        }
        if (!"t".equals(Db.one(target, "SELECT count(*) > 0 FROM pg_extension WHERE extname = 'timescaledb'"))) {
            if ("t".equals(Db.one(target, "SELECT count(*) > 0 FROM pg_available_extensions WHERE name = 'timescaledb'"))) {
                warn.add("the target database has no timescaledb extension yet; the bootstrap creates it");
            } else {
                fail.add("the target server has no TimescaleDB installed; install it and add timescaledb to shared_preload_libraries");
            }
        }
        if (!"1".equals(Db.one(source, "SELECT count(*) FROM pg_publication WHERE pubname = " + Ident.literal(plan.publicationName())))
                && !tables.isEmpty()) {
            // CREATE PUBLICATION ... FOR TABLE needs CREATE on the database and ownership of every table (or a superuser).
            String owned = tables.stream().map(t -> Ident.literal(t.qualified())).collect(java.util.stream.Collectors.joining(", "));
            // FOR TABLES IN SCHEMA (a TimescaleDB source's chunks) needs a superuser.
            boolean chunks = tables.stream().anyMatch(t -> t.sourceTime() != null);
            boolean can = "t".equals(Db.one(source, "SELECT rolsuper OR (" + !chunks + " AND has_database_privilege(current_database(), 'CREATE') AND NOT EXISTS ("
                    + "SELECT 1 FROM unnest(ARRAY[" + owned + "]::text[]) t(name) WHERE NOT pg_has_role(current_user, (SELECT relowner FROM "
                    + "pg_class WHERE oid = t.name::regclass), 'USAGE'))) FROM pg_roles WHERE rolname = current_user"));
            if (!can) {
                fail.add("the source user may not create the publication " + plan.publicationName() + " (that needs CREATE on the database and "
                        + "ownership of every migrated table): have a superuser run "
                        + Bootstrap.publicationSql(plan.publicationName(), tables, Integer.parseInt(Db.one(source, "SHOW server_version_num")))
                        + "; then run again");
            }
        }
        List<String> filtered = Db.lines(source, ROW_SECURITY_HIDES);
        if (!filtered.isEmpty()) {
            fail.add("row-level security shows the source user only part of " + String.join(", ", filtered) + ", so the copy would be incomplete: "
                    + "ALTER ROLE <the source user> BYPASSRLS (or migrate as a role that has it)");
        }
        List<String> unreadable = Db.lines(source, Sequences.UNREADABLE);
        if (!unreadable.isEmpty()) {
            fail.add("the source user may not read sequence(s) " + String.join(", ", unreadable) + ", so their values could not be carried to the "
                    + "target: GRANT SELECT ON SEQUENCE " + String.join(", ", unreadable) + " TO <the source user>");
        }
        for (TableInfo t : tables) {
            if (edgeQuote(t.schema()) || edgeQuote(t.name())) {
                fail.add("Debezium 3.6.1 cannot stream table " + t.qualified() + " (a name that begins or ends with a double quote stops its "
                        + "source task on the table's first change): rename it, ALTER TABLE " + t.qualified() + " RENAME TO <a name that neither "
                        + "begins nor ends with a double quote>, or leave it out of the migration");
            }
            t.columns().stream().filter(Preflight::edgeQuote).forEach(c -> fail.add(
                    "Debezium 3.6.1 strips a double quote that begins or ends column " + Ident.quote(c) + " of " + t.qualified() + ", so its "
                            + "values would reach the target under another name: rename it, ALTER TABLE " + t.qualified() + " RENAME COLUMN "
                            + Ident.quote(c) + " TO <a name that neither begins nor ends with a double quote>"));
            if (!t.streamable()) {
                warn.add("table " + t.id() + " has no primary key and no replica identity, so it is insert-only: while the migration runs the "
                        + "source refuses UPDATE and DELETE on it; fine for an append-only table, otherwise ALTER TABLE " + t.qualified()
                        + " REPLICA IDENTITY FULL");
            }
            if (!t.generated().isEmpty()) {
                warn.add("table " + t.id() + " has generated columns " + t.generated() + ": they are not copied as data; the target computes them");
            }
        }
        return new Result(fail, warn);
    }

    /** Debezium 3.6.1 takes a name part that begins or ends with a double quote for one already quoted. */
    private static boolean edgeQuote(String name) {
        return name.startsWith("\"") || name.endsWith("\"");
    }

    /** The first column of every row. */
}

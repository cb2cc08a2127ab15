package io.tsmigrate.common;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one definition of what a source needs for a migration, as rules over facts read from the server
 * ({@link SourceFacts}), per source flavour, so that flavours that cannot run here (Amazon RDS) are checked by the same
 * code, tested with facts. {@code tsmigrate check}, the bootstrap and the test kit all judge a source with these
 * rules. Pure functions.
 */
public final class SourceRules {

    /** Where the source runs. */
    public enum Flavour {
        POSTGRES, TIMESCALEDB, RDS;

        /** The flavour an option names, or a clear error. */
        public static Flavour of(String name) {
            try {
                return valueOf(name.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new UserError("unknown --flavour '" + name + "': use postgres, timescaledb or rds");
            }
        }
    }

    /**
     * The migration's source streams as the rules need them.
     *
     * @param slots        the replication slot of each source stream (one unless {@code --sources} asks for more)
     * @param slotExpected whether the target's bootstrap state names the slot, so that a slot that exists belongs to
     *                     this migration; null when not known (no target given)
     */
    public record Streams(List<String> slots, Boolean slotExpected) {

        public Streams {
            slots = List.copyOf(slots);
        }

        /** One stream with this slot, nothing known about the target. */
        public static Streams one(String slot) {
            return new Streams(List.of(slot), null);
        }
    }

    private SourceRules() {
    }

    /**
     * Every check of the source, in the order printed.
     *
     * @param flavour where the source runs; null when not stated (the bootstrap is not told): then the fixes name
     *                Amazon RDS's way too, and membership of {@code rds_replication} counts as the REPLICATION privilege
     * @param facts   setting and catalog values ({@link SourceFacts}): server_version_num, wal_level,
     *                rds.logical_replication, max_replication_slots, slots_used, stream_slots_existing,
     *                max_wal_senders, senders_used, rolreplication, rolsuper, rds_replication_member,
     *                tables_without_key, tables_without_columns, unlogged_tables, identity_index_outside_key, open_transactions, generated_columns, timestamp_columns, large_objects, numeric_specials,
     *                timetz_columns, quoted_tables, quoted_columns, reserved_columns, unreadable_sequences, row_security_tables,
     *                compressed_chunks, continuous_aggregates (TimescaleDB sources)
     * @param streams the migration's source streams
     */
    public static List<Check> evaluate(Flavour flavour, Map<String, String> facts, Streams streams) {
        List<Check> out = new ArrayList<>();
        int version = Integer.parseInt(facts.getOrDefault("server_version_num", "0"));
        out.add(version >= 100000 ? Check.ok("source", "version", "PostgreSQL " + version / 10000)
                : Check.fail("source", "version", "PostgreSQL " + version / 10000 + " is too old for pgoutput", "upgrade the source to PostgreSQL 10 or later"));
        out.add(logicalDecoding(flavour, facts));
        out.addAll(streams(facts, streams));
        boolean replication = "t".equals(facts.get("rolsuper")) || "t".equals(facts.get("rolreplication"))
                || (flavour != Flavour.POSTGRES && flavour != Flavour.TIMESCALEDB && "t".equals(facts.get("rds_replication_member")));
        out.add(replication ? Check.ok("source", "REPLICATION privilege", "granted")
                : Check.fail("source", "REPLICATION privilege", "the user may not create replication slots",
                        flavour == Flavour.RDS ? "GRANT rds_replication TO <user>" : flavour == null
                                ? "ALTER ROLE <user> REPLICATION (on Amazon RDS: GRANT rds_replication TO <user>)" : "ALTER ROLE <user> REPLICATION"));
        list(facts, "tables_without_key").forEach(line -> out.add(withoutIdentity(line.split("\t"))));
        list(facts, "tables_without_columns").forEach(t -> out.add(Check.warn("source", "no columns in " + t,
                "table " + t + " has no columns (all dropped?): the bootstrap copies its rows, but Debezium sends no change of such a table, so "
                        + "rows added or removed during the migration do not reach the target (verify reports it)",
                "add a column (ALTER TABLE " + t + " ADD COLUMN ...) or drop the table, or leave it out with --exclude-table")));
        list(facts, "unlogged_tables").forEach(t -> out.add(Check.fail("source", "unlogged " + t,
                "table " + t + " is UNLOGGED: PostgreSQL writes no WAL for it, so its changes cannot stream and a publication refuses it",
                "ALTER TABLE " + t + " SET LOGGED before the migration (it rewrites the table), or leave it out with --exclude-table")));
        list(facts, "identity_index_outside_key").forEach(line -> out.add(identityIndex(line.split("\t"))));
        list(facts, "open_transactions").forEach(line -> out.add(openTransaction(line.split("\t"))));
        list(facts, "quoted_tables").forEach(t -> out.add(Check.fail("source", "name of " + t,
                "Debezium 3.6.1 cannot stream table " + t + ": it takes a name that begins or ends with a double quote for one "
                        + "already quoted, and its source task stops on the table's first change (Invalid identifier) or reads another table",
                "rename it before the migration: ALTER TABLE " + t + " RENAME TO <a name that neither begins nor ends with a double quote>; "
                        + "or leave it out with --exclude-table")));
        list(facts, "quoted_columns").forEach(col -> out.add(Check.fail("source", "name of " + col,
                "Debezium 3.6.1 strips a double quote that begins or ends column " + col + "'s name, so its values reach the sink "
                        + "under another column name",
                "rename the column before the migration: ALTER TABLE ... RENAME COLUMN ... TO <a name that neither begins nor ends with a "
                        + "double quote>")));
        list(facts, "reserved_columns").forEach(col -> out.add(Check.fail("source", "name of " + col,
                "column " + col + " begins with __tsm_, the prefix of the sink's own bookkeeping columns: its changes would not apply",
                "rename the column before the migration: ALTER TABLE ... RENAME COLUMN ... TO <a name not beginning with __tsm_>; or leave the "
                        + "table out with --exclude-table")));
        int compressed = num(facts, "compressed_chunks");
        if (compressed > 0) {
            out.add(Check.warn("source", "compressed chunks", compressed + " compressed chunks: the bootstrap copies their rows and "
                    + "compresses the same chunks on the target; the stream carries changes to compressed data without TimescaleDB's "
                    + "own moves between compressed and uncompressed chunks (the template's CompressionMoves transform drops them); "
                    + "chunks compressed on the source later are compressed on the target by its compression policy or compress_chunk",
                    "use the timescaledb flavour (its template has the transform); keep timescaledb.enable_compression_wal_markers on "
                            + "(the default) on the source"));
        }
        List<String> aggregates = list(facts, "continuous_aggregates");
        if (!aggregates.isEmpty()) {
            out.add(Check.warn("source", "continuous aggregates", aggregates.size() + " continuous aggregates (" + String.join(", ", aggregates)
                    + ") migrate with their materialized history; their refreshes on the source stream too, so the bootstrap sets REPLICA "
                    + "IDENTITY FULL on their materialization hypertables on the source (published, a refresh's DELETE needs it; tsmigrate "
                    + "clean sets it back)", "use the timescaledb flavour; nothing to do otherwise"));
        }
        List<String> hidden = list(facts, "row_security_tables");
        if (!hidden.isEmpty()) {
            out.add(Check.fail("source", "row-level security", "row-level security would show the user only part of " + String.join(", ", hidden)
                    + ": the copy would be incomplete without a word", "ALTER ROLE <user> BYPASSRLS"));
        }
        List<String> sequences = list(facts, "unreadable_sequences");
        if (!sequences.isEmpty()) {
            out.add(Check.fail("source", "sequence privileges", "the user may not read " + sequences.size() + " sequence(s): " + String.join(", ",
                    sequences) + "; their values would not reach the target and the application's first inserts after cutover would hit "
                    + "duplicate keys", "GRANT SELECT ON SEQUENCE " + String.join(", ", sequences) + " TO <user>"));
        }
        list(facts, "timetz_columns").forEach(c -> out.add(Check.warn("source", "time with time zone " + c,
                c + " is time with time zone: Debezium streams its values converted to UTC (23:59:59+14 arrives as 09:59:59+00); the "
                        + "instant is kept, the original offset is not. verify compares such columns as instants", null)));
        list(facts, "generated_columns").forEach(c -> out.add(Check.warn("source", "generated column " + c,
                c + " is a generated column: not copied as data, the target computes it", null)));
        list(facts, "numeric_specials").forEach(c -> out.add(Check.warn("source", "NaN/Infinity in " + c,
                c + " holds NaN or Infinity: stream it with decimal.handling.mode=string (the templates do)", null)));
        list(facts, "timestamp_columns").forEach(c -> out.add(Check.warn("source", "timestamp without time zone " + c,
                c + " is timestamp without time zone: values are copied as wall-clock times; if it is a hypertable's time column, "
                        + "consider timestamptz on the target", null)));
        int largeObjects = num(facts, "large_objects");
        if (largeObjects > 0) {
            out.add(Check.warn("source", "large objects", largeObjects + " large objects (pg_largeobject) are not migrated by logical replication",
                    "move them to bytea columns before the migration, or copy them at cutover"));
        }
        return out;
    }

    /** Whether the source writes what logical decoding needs: wal_level, or on Amazon RDS the parameter that sets it. */
    public static Check logicalDecoding(Flavour flavour, Map<String, String> facts) {
        if (flavour == Flavour.RDS) {
            boolean on = "on".equals(facts.get("rds.logical_replication")) || "1".equals(facts.get("rds.logical_replication"));
            return on ? Check.ok("source", "rds.logical_replication", "on")
                    : Check.fail("source", "rds.logical_replication", "rds.logical_replication is " + facts.get("rds.logical_replication"),
                            "set rds.logical_replication=1 in the DB parameter group and reboot the instance");
        }
        String wal = facts.get("wal_level");
        return "logical".equals(wal) ? Check.ok("source", "wal_level", "logical")
                : Check.fail("source", "wal_level", "wal_level=" + wal + ", but logical replication needs wal_level=logical",
                        "ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL"
                                + (flavour == null ? " (on Amazon RDS: set rds.logical_replication=1 in the DB parameter group and reboot)" : ""));
    }

    /** A replication slot and a WAL sender for each stream (and a sender for the bootstrap); slots already there. */
    private static List<Check> streams(Map<String, String> facts, Streams streams) {
        List<Check> out = new ArrayList<>();
        int count = streams.slots().size();
        List<String> existing = list(facts, "stream_slots_existing");
        if (Boolean.FALSE.equals(streams.slotExpected())) {
            existing.forEach(s -> out.add(Check.fail("source", "slot " + s, "the source already has a replication slot named " + s
                    + " that no bootstrap state on the target explains", "drop it (SELECT pg_drop_replication_slot(" + Ident.literal(s)
                    + ")) or choose another --name")));
        }
        int slots = num(facts, "max_replication_slots");
        int used = num(facts, "slots_used");
        int missing = count - existing.size();
        if (missing <= slots - used) {
            out.add(Check.ok("source", "replication slots", (slots - used) + " of " + slots + " free" + (missing < count
                    ? ", " + (count - missing) + " of the migration's " + count + " there already" : "")));
        } else if (count == 1) {
            out.add(Check.fail("source", "replication slots", "no free replication slot (" + used + " of max_replication_slots=" + slots + " in use)",
                    "drop an unused slot or raise max_replication_slots and restart"));
        } else {
            out.add(Check.fail("source", "replication slots", count + " source streams need " + missing + " more replication slots; the source has "
                    + Math.max(0, slots - used) + " free", "raise max_replication_slots (and restart) or use fewer --sources"));
        }
        int senders = num(facts, "max_wal_senders");
        int sending = num(facts, "senders_used");
        int needed = count + 1;
        out.add(senders - sending >= needed ? Check.ok("source", "WAL senders", (senders - sending) + " of " + senders + " free")
                : Check.fail("source", "WAL senders", Math.max(0, senders - sending) + " of max_wal_senders=" + senders + " free, " + needed + " needed ("
                        + (count == 1 ? "the bootstrap and Debezium" : "one per source stream and one for the bootstrap") + ")",
                        "raise max_wal_senders and restart" + (count > 1 ? ", or use fewer --sources" : "")));
        return out;
    }

    private static int num(Map<String, String> facts, String key) {
        String v = facts.get(key);
        return v == null || v.isBlank() ? 0 : Integer.parseInt(v);
    }

    /**
     * A table without a replica identity ({@code table}, {@code why}: none, deferrable or nothing): its inserts stream,
     * but once it is published PostgreSQL refuses UPDATE and DELETE on it.
     */
    private static Check withoutIdentity(String[] f) {
        String t = f[0];
        String why = f.length > 1 ? f[1] : "none";
        String refused = "while the migration runs PostgreSQL refuses UPDATE and DELETE on it (a published table must identify its rows)";
        return switch (why) {
            case "deferrable" -> Check.warn("source", "key of " + t, "table " + t + "'s primary key is DEFERRABLE, which PostgreSQL cannot use "
                    + "as a replica identity: " + refused, "ALTER TABLE " + t + " REPLICA IDENTITY FULL before the migration (moves of a "
                    + "deferrable key, such as renumbering every key in one statement, then stream exactly)");
            case "nothing" -> Check.warn("source", "key of " + t, "table " + t + " has REPLICA IDENTITY NOTHING: " + refused,
                    "ALTER TABLE " + t + " REPLICA IDENTITY DEFAULT (with a primary key) or REPLICA IDENTITY FULL");
            default -> Check.warn("source", "key of " + t, "table " + t + " has no primary key and no replica identity, so it is insert-only: "
                    + "its inserts stream, but " + refused + "; fine for an append-only table",
                    "add a primary key, or ALTER TABLE " + t + " REPLICA IDENTITY FULL (each update and delete then changes one matching row)");
        };
    }

    /**
     * A table whose replica identity index lacks a column of its change events' key: fields are the table, the index,
     * p (the key is the primary key) or u (no primary key; the key is a unique index Debezium may take), that index.
     */
    private static Check identityIndex(String[] f) {
        String t = f[0];
        boolean primary = "p".equals(f[2]);
        String key = primary ? "its primary key" : "unique index " + f[3] + " (the table has no primary key; Debezium may take that index for the key)";
        return Check.fail("source", "replica identity of " + t,
                "table " + t + "'s replica identity is index " + f[1] + ", which lacks a column of the key of its change events, " + key
                        + ": an UPDATE that changes that key but none of " + f[1] + "'s columns carries no old key, so the target cannot find "
                        + "the row (the sink stops on it)",
                (primary ? "ALTER TABLE " + t + " REPLICA IDENTITY DEFAULT (the primary key; or FULL)"
                        : "ALTER TABLE " + t + " REPLICA IDENTITY FULL (an UPDATE and a DELETE then log the whole old row), or give the table "
                                + "a primary key on " + f[1] + "'s columns") + ", or leave the table out with --exclude-table");
    }

    private static List<String> list(Map<String, String> facts, String key) {
        return SourceFacts.list(facts, key);
    }

    /** A transaction the bootstrap's slot will wait for: what it is and how long it has been open. */
    private static Check openTransaction(String[] what) {
        boolean prepared = what[0].startsWith("prepared");
        return Check.warn("source", "open transaction " + what[0].substring(0, what[0].indexOf(" on database")),
                what[0] + (prepared ? " has waited for its COMMIT PREPARED for " : " has had a transaction that writes open for ") + what[1] + ": PostgreSQL makes the bootstrap's replication slot only "
                        + "once it has ended (the bootstrap waits, naming it)",
                prepared ? "COMMIT PREPARED or ROLLBACK PREPARED it" : "let it finish, or end it (pg_terminate_backend(pid)) before the bootstrap");
    }
}

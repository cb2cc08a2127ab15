package io.tsmigrate.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The source checks as rules over facts read from the server, per source flavour, so that flavours that
 * cannot run here (Amazon RDS) are checked by the same code, tested with facts. Pure functions.
 */
final class SourceRules {

    /** Where the source runs. */
    enum Flavour {
        POSTGRES, TIMESCALEDB, RDS;

        /** The flavour an option names, or a clear error. */
        static Flavour of(String name) {
            try {
                return valueOf(name.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new CliException("unknown --flavour '" + name + "': use postgres, timescaledb or rds");
            }
        }
    }

    private SourceRules() {
    }

    /**
     * @param facts setting and catalog values: server_version_num, wal_level, rds.logical_replication,
     *              max_replication_slots, slots_used, max_wal_senders, senders_used, rolreplication, rolsuper,
     *              rds_replication_member, tables_without_key, generated_columns, timestamp_columns,
     *              large_objects, numeric_specials, timetz_columns, quoted_tables, quoted_columns,
     *              unreadable_sequences, row_security_tables,
     *              compressed_chunks, continuous_aggregates (TimescaleDB sources)
     */
    static List<Check> evaluate(Flavour flavour, Map<String, String> facts) {
        List<Check> out = new ArrayList<>();
        int version = Integer.parseInt(facts.getOrDefault("server_version_num", "0"));
        out.add(version >= 100000 ? Check.ok("source", "version", "PostgreSQL " + version / 10000)
                : Check.fail("source", "version", "PostgreSQL " + version / 10000 + " is too old for pgoutput", "upgrade the source to PostgreSQL 10 or later"));
        String wal = facts.get("wal_level");
        if (flavour == Flavour.RDS) {
            boolean on = "on".equals(facts.get("rds.logical_replication")) || "1".equals(facts.get("rds.logical_replication"));
            out.add(on ? Check.ok("source", "rds.logical_replication", "on")
                    : Check.fail("source", "rds.logical_replication", "rds.logical_replication is " + facts.get("rds.logical_replication"),
                            "set rds.logical_replication=1 in the DB parameter group and reboot the instance"));
        } else {
            out.add("logical".equals(wal) ? Check.ok("source", "wal_level", "logical")
                    : Check.fail("source", "wal_level", "wal_level is " + wal, "ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL"));
        }
        int slots = num(facts, "max_replication_slots");
        int used = num(facts, "slots_used");
        out.add(slots - used >= 1 ? Check.ok("source", "replication slots", (slots - used) + " of " + slots + " free")
                : Check.fail("source", "replication slots", "no free replication slot (" + used + " of " + slots + " used)",
                        "drop an unused slot or raise max_replication_slots and restart"));
        int senders = num(facts, "max_wal_senders");
        int sending = num(facts, "senders_used");
        out.add(senders - sending >= 2 ? Check.ok("source", "WAL senders", (senders - sending) + " of " + senders + " free")
                : Check.fail("source", "WAL senders", (senders - sending) + " WAL senders free, 2 needed (bootstrap and Debezium)",
                        "raise max_wal_senders and restart"));
        boolean replication = "t".equals(facts.get("rolsuper")) || "t".equals(facts.get("rolreplication"))
                || (flavour == Flavour.RDS && "t".equals(facts.get("rds_replication_member")));
        out.add(replication ? Check.ok("source", "REPLICATION privilege", "granted")
                : Check.fail("source", "REPLICATION privilege", "the user may not create replication slots",
                        flavour == Flavour.RDS ? "GRANT rds_replication TO <user>" : "ALTER ROLE <user> REPLICATION"));
        list(facts, "tables_without_key").forEach(t -> out.add(Check.warn("source", "key of " + t,
                "table " + t + " has no primary key and no replica identity, so it is insert-only: its inserts stream, but while the "
                        + "migration runs PostgreSQL refuses UPDATE and DELETE on it (a published table must identify its rows); fine for an "
                        + "append-only table",
                "add a primary key, or ALTER TABLE " + t + " REPLICA IDENTITY FULL (each update and delete then changes one matching row)")));
        list(facts, "quoted_tables").forEach(t -> out.add(Check.fail("source", "name of " + t,
                "Debezium 3.6.1 cannot stream table " + t + ": it takes a name that begins or ends with a double quote for one "
                        + "already quoted, and its source task stops on the table's first change (Invalid identifier) or reads another table",
                "rename it before the migration: ALTER TABLE " + t + " RENAME TO <a name that neither begins nor ends with a double quote>")));
        list(facts, "quoted_columns").forEach(col -> out.add(Check.fail("source", "name of " + col,
                "Debezium 3.6.1 strips a double quote that begins or ends column " + col + "'s name, so its values reach the sink "
                        + "under another column name",
                "rename the column before the migration: ALTER TABLE ... RENAME COLUMN ... TO <a name that neither begins nor ends with a "
                        + "double quote>")));
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

    private static int num(Map<String, String> facts, String key) {
        String v = facts.get(key);
        return v == null || v.isBlank() ? 0 : Integer.parseInt(v);
    }

    private static List<String> list(Map<String, String> facts, String key) {
        String v = facts.get(key);
        return v == null || v.isBlank() ? List.of() : List.of(v.split("\n"));
    }
}

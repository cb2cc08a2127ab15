package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * Hot tables spread over every source stream by key ({@code --split-table}, with {@code --sources K}): each stream's
 * publication holds the table with a row filter (PostgreSQL 15+) that keeps the rows whose primary key hashes to that
 * stream, {@code (hash_record(ROW(key)) & 2147483647) % K = i - 1}. The filter reads the key only, so every change of
 * one key value goes through one stream, in commit order; an UPDATE that gives a row a key of another stream arrives
 * as a DELETE of the old key on one stream and an INSERT of the new key on the other (PostgreSQL's row filter turns it
 * so), which touch different rows. What makes that exact, checked before anything is copied:
 * <ul>
 *   <li>a primary key, and no other unique index or exclusion constraint (two streams at different points could
 *       collide on it), as for topics spread over partitions;</li>
 *   <li>the INSERT carries every value: with {@code REPLICA IDENTITY DEFAULT} PostgreSQL leaves an unchanged
 *       out-of-line (TOASTed) value out of it, so a table with a column of variable length outside the key needs
 *       {@code REPLICA IDENTITY FULL} (then PostgreSQL fills it from the old row);</li>
 *   <li>key columns of built-in types with a hash function (the filter may use nothing else), none with a
 *       nondeterministic collation (equal keys spelled differently would hash apart).</li>
 * </ul>
 * A TRUNCATE of such a table reaches every stream; the sink applies it once all of them have
 * (sink-timescale's {@code TruncateBarriers}). Stateless.
 */
public final class SplitTables {

    /** The first PostgreSQL version with row filters in publications. */
    static final int MIN_SERVER_VERSION = 150000;

    private SplitTables() {
    }

    /** The row filter of stream {@code lane} (1 to {@code lanes}) for a table with this primary key. */
    static String filter(List<String> primaryKey, int lanes, int lane) {
        String key = primaryKey.stream().map(Ident::quote).collect(Collectors.joining(", "));
        return "(hash_record(ROW(" + key + ")) & 2147483647) % " + lanes + " = " + (lane - 1);
    }

    /** The named tables ({@code schema.table}, or {@code table} in public) as table ids, in the order given. */
    static Set<String> ids(List<String> names) {
        Set<String> out = new LinkedHashSet<>();
        for (String n : names) {
            String t = n.strip();
            out.add(t.contains(".") ? t : "public." + t);
        }
        return out;
    }

    /** Why each named table cannot be split over {@code lanes} streams (empty when all can); one sentence each, with the fix. */
    static List<String> check(Connection source, List<TableInfo> tables, List<String> names, int lanes) throws SQLException {
        List<String> fail = new ArrayList<>();
        if (names.isEmpty()) {
            return fail;
        }
        if (lanes < 2) {
            fail.add("--split-table spreads a table over several source streams: give --sources 2 or more with it");
            return fail;
        }
        int version = Integer.parseInt(Db.one(source, "SHOW server_version_num"));
        if (version < MIN_SERVER_VERSION) {
            fail.add("--split-table needs row filters in publications, which PostgreSQL has from version 15; the source runs "
                    + Db.one(source, "SHOW server_version") + ": leave --split-table out (the tables are then spread whole over the streams)");
            return fail;
        }
        Map<String, TableInfo> byId = tables.stream().collect(Collectors.toMap(TableInfo::id, Function.identity(), (a, b) -> a));
        for (String id : ids(names)) {
            TableInfo t = byId.get(id);
            if (t == null) {
                fail.add("--split-table " + id + ": no such table among the migrated ones (name it as schema.table)");
                continue;
            }
            String why = refusal(source, t);
            if (why != null) {
                fail.add("--split-table " + id + ": " + why);
            }
        }
        return fail;
    }

    private static String refusal(Connection source, TableInfo t) throws SQLException {
        if (t.sourceTime() != null) {
            return "a TimescaleDB source's hypertable goes through the first stream with its chunks: leave it out of --split-table";
        }
        String kind = Db.one(source, "SELECT relkind FROM pg_class WHERE oid = " + Ident.literal(t.qualified()) + "::regclass");
        if (!"r".equals(kind)) {
            return "only an ordinary table can be split (this one is " + ("p".equals(kind) ? "partitioned" : "of kind " + kind)
                    + "): leave it out of --split-table";
        }
        if (t.primaryKey().isEmpty()) {
            return "it has no primary key, and the streams split its rows by key: give it one, or leave it out of --split-table";
        }
        List<String> others = t.uniqueIndexes().stream().filter(u -> !u.primary()).map(TableInfo.UniqueIndex::name).toList();
        if (!others.isEmpty() || "t".equals(Db.one(source, "SELECT EXISTS (SELECT 1 FROM pg_index WHERE indrelid = "
                + Ident.literal(t.qualified()) + "::regclass AND indisexclusion)"))) {
            return "it has unique indexes or exclusion constraints besides its primary key (" + String.join(", ", others) + "), on which two streams "
                    + "at different points could collide on the target: leave it out of --split-table";
        }
        if (t.replicaIdentity() != 'd' && t.replicaIdentity() != 'f') {
            return "its replica identity is " + (t.replicaIdentity() == 'i' ? "an index" : "NOTHING") + "; the row filter needs the primary key "
                    + "in every change: ALTER TABLE " + t.qualified() + " REPLICA IDENTITY DEFAULT (or FULL), then run again";
        }
        List<String> unhashable = new ArrayList<>();
        List<String> varlena = new ArrayList<>();
        try (PreparedStatement ps = source.prepareStatement("SELECT a.attname, a.atttypid < 16384 AND EXISTS (SELECT 1 FROM pg_opclass oc JOIN pg_am am "
                + "ON am.oid = oc.opcmethod WHERE am.amname = 'hash' AND oc.opcdefault AND oc.opcintype = a.atttypid) AND NOT EXISTS (SELECT 1 "
                + "FROM pg_collation co WHERE co.oid = a.attcollation AND NOT co.collisdeterministic), t.typlen = -1 "
                + "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped "
                + "ORDER BY a.attnum")) {
            ps.setString(1, t.qualified());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    boolean key = t.primaryKey().contains(rs.getString(1));
                    if (key && !rs.getBoolean(2)) {
                        unhashable.add(rs.getString(1));
                    }
                    if (!key && rs.getBoolean(3)) {
                        varlena.add(rs.getString(1));
                    }
                }
            }
        }
        if (!unhashable.isEmpty()) {
            return "its key column(s) " + String.join(", ", unhashable) + " have no built-in hash function for the row filter, or a "
                    + "nondeterministic collation (two spellings of one key could then hash to different streams): leave it out of --split-table";
        }
        if (t.replicaIdentity() == 'd' && !varlena.isEmpty()) {
            return "an UPDATE that moves a row to another stream's key arrives there as an INSERT, and with REPLICA IDENTITY DEFAULT PostgreSQL "
                    + "leaves unchanged out-of-line values out of it (columns " + String.join(", ", varlena) + "): ALTER TABLE " + t.qualified()
                    + " REPLICA IDENTITY FULL, then run again";
        }
        return null;
    }
}

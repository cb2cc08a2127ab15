package io.tsmigrate.cli;

import io.tsmigrate.common.Db;
import io.tsmigrate.common.StateStore;
import io.tsmigrate.common.VerificationTables;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.tsmigrate.common.VerificationTables.CHANGED_RANGES;
import static io.tsmigrate.common.VerificationTables.VERIFIED_RANGES;
import static io.tsmigrate.common.VerificationTables.VERIFIED_TABLES;

/**
 * The online verification's record in the target, per table: which ranges matched at which ledger version
 * ({@link VerificationTables#VERIFIED_RANGES}), whether a whole pass over the table has completed
 * ({@link VerificationTables#VERIFIED_TABLES}), and, from the sink's ledger ({@link VerificationTables#CHANGED_RANGES}), what
 * changed since. A range needs comparing again when the ledger's version of it is higher than the version it was
 * verified at, when it changed but was never verified, or when it differed.
 */
final class RangeState {

    private final Ranges ranges;

    RangeState(Ranges ranges) {
        this.ranges = ranges;
    }

    /**
     * Refreshes the planner's statistics of the ledger and the verified ranges where many rows changed since they
     * were last taken (autovacuum lags far behind the sink's rate). With the statistics of a nearly empty table, the
     * planner joins the two with a scan per row: 20 s and growing for 14,000 changed ranges, found at 400 writes a second.
     */
    static void analyzeIfStale(Connection t) throws SQLException {
        List<String> stale = new ArrayList<>();
        try (var st = t.createStatement(); ResultSet rs = st.executeQuery("SELECT relname FROM pg_stat_user_tables WHERE schemaname = '" + StateStore.SCHEMA + "' "
                + "AND relname IN ('changed_ranges', 'verified_ranges') AND (last_analyze IS NULL AND last_autoanalyze IS NULL "
                + "OR n_mod_since_analyze > greatest(1000, n_live_tup / 5))")) {
            while (rs.next()) {
                stale.add(rs.getString(1));
            }
        }
        for (String table : stale) {
            try (var st = t.createStatement()) {
                st.execute("ANALYZE " + StateStore.SCHEMA + "." + table);
            }
        }
    }

    /**
     * What {@code verified_tables} says: whether a pass completed, the whole-table ledger version it started at, and the
     * ledger version up to which every change has been compared (a pass that completes sets it to the newest version it
     * had read before reading the ranges to compare; a range still moving then has changed again after it).
     */
    record Table(boolean complete, long wholeVersion, long checkedVersion, String partitions) {
    }

    /**
     * A partitioned source table's leaf partitions with their storage (oid and relfilenode), null for any other
     * table. PostgreSQL streams no row change for a partition's TRUNCATE (under publish_via_partition_root only the
     * root's is sent), DROP, DETACH or ATTACH: their rows change with nothing in the sink's ledger, and a TRUNCATE gives
     * the partition new storage. A table whose partitions differ from those of its last whole pass is compared whole.
     */
    static String partitions(Connection s, String qualified) throws SQLException {
        return Db.one(s, "SELECT string_agg(c.oid || ':' || c.relfilenode, ',' ORDER BY c.oid) FROM pg_partition_tree(" + io.tsmigrate.common.Ident.literal(qualified)
                + "::regclass) pt JOIN pg_class c ON c.oid = pt.relid WHERE pt.isleaf AND (SELECT relkind FROM pg_class WHERE oid = "
                + io.tsmigrate.common.Ident.literal(qualified) + "::regclass) = 'p'");
    }

    /** Whether a whole pass over this table has completed (later changes are known from the ledger). */
    static boolean complete(Connection t, String schema, String table) throws SQLException {
        if (!VerificationTables.exist(t)) {
            return false;
        }
        try (PreparedStatement ps = t.prepareStatement("SELECT complete FROM " + VERIFIED_TABLES + " WHERE table_schema = ? AND table_name = ?")) {
            ps.setString(1, schema);
            ps.setString(2, table);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    Table table(Connection t) throws SQLException {
        try (PreparedStatement ps = prepared(t, "SELECT complete, whole_version, checked_version, partitions FROM " + VERIFIED_TABLES
                + " WHERE table_schema = ? AND table_name = ?")) {
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Table(rs.getBoolean(1), rs.getLong(2), rs.getLong(3), rs.getString(4)) : new Table(false, 0, 0, null);
            }
        }
    }

    /** The newest ledger version of the table's ranges (0: none): read before the ranges to compare, it becomes the checked version. */
    long newestVersion(Connection t) throws SQLException {
        try (PreparedStatement ps = prepared(t, "SELECT coalesce(max(version), 0) FROM " + CHANGED_RANGES + " WHERE table_schema = ? AND table_name = ?")) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** Every change up to {@code version} has been compared (a pass that read it first has completed). */
    void checked(Connection t, long version) throws SQLException {
        try (PreparedStatement ps = prepared(t, "UPDATE " + VERIFIED_TABLES + " SET checked_version = greatest(checked_version, " + version
                + ") WHERE table_schema = ? AND table_name = ?")) {
            ps.executeUpdate();
        }
    }

    /** The ledger's version of the whole-table range {@code *} (changes whose range the sink could not tell): 0 when none. */
    long wholeVersion(Connection t) throws SQLException {
        try (PreparedStatement ps = prepared(t, "SELECT max(version) FROM " + CHANGED_RANGES + " WHERE table_schema = ? AND table_name = ? "
                + "AND range_key = '" + Ranges.WHOLE_TABLE + "'")) {
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    void started(Connection t) throws SQLException {
        try (PreparedStatement ps = prepared(t, "INSERT INTO " + VERIFIED_TABLES + " (table_schema, table_name) VALUES (?, ?) "
                + "ON CONFLICT (table_schema, table_name) DO UPDATE SET complete = false")) {
            ps.executeUpdate();
        }
    }

    /** A whole pass completed; {@code partitions} as {@link #partitions} read before it began. */
    void completed(Connection t, long wholeVersion, String partitions) throws SQLException {
        try (PreparedStatement ps = prepared(t, "UPDATE " + VERIFIED_TABLES + " vt SET complete = true, whole_version = " + wholeVersion
                + ", finished_at = now(), ranges = v.n, source_rows = v.rows, partitions = ? FROM (SELECT count(*) AS n, sum(source_rows) AS rows FROM "
                + VERIFIED_RANGES + " WHERE table_schema = ? AND table_name = ?) v WHERE vt.table_schema = ? AND vt.table_name = ?")) {
            ps.setString(1, partitions);
            ps.setString(2, ranges.schema());
            ps.setString(3, ranges.table());
            ps.setString(4, ranges.schema());
            ps.setString(5, ranges.table());
            ps.executeUpdate();
        }
    }

    /**
     * The ranges to compare again: changed since verified, changed and never verified, or found different. Only ledger
     * entries newer than {@code checked} are read (an index on the version), so the query's cost follows what changed
     * since the last completed pass, not the table's size. Range keys of a ranged table are numbers; an unranged
     * table's only range is {@code all}.
     */
    List<String> stale(Connection t, long checked) throws SQLException {
        List<String> out = new ArrayList<>();
        try (PreparedStatement ps = prepared(t, "SELECT c.range_key FROM " + CHANGED_RANGES + " c LEFT JOIN " + VERIFIED_RANGES + " v "
                + "USING (table_schema, table_name, range_key) WHERE c.table_schema = ? AND c.table_name = ? AND c.version > " + checked
                + " AND c.range_key <> '" + Ranges.WHOLE_TABLE
                + "' AND (v.version IS NULL OR c.version > v.version) UNION SELECT range_key FROM " + VERIFIED_RANGES + " WHERE table_schema = ? "
                + "AND table_name = ? AND NOT equal")) {
            ps.setString(3, ranges.schema());
            ps.setString(4, ranges.table());
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    /** The ledger's versions of the slice's ranges (unranged: of {@code all}). */
    Map<String, Long> versions(Connection t, Slice slice) throws SQLException {
        Map<String, Long> out = new TreeMap<>();
        try (PreparedStatement ps = prepared(t, "SELECT range_key, version FROM " + CHANGED_RANGES + " WHERE table_schema = ? AND table_name = ? AND "
                + inSlice(slice))) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getLong(2));
                }
            }
        }
        return out;
    }

    /** Records the outcome of the slice's ranges; verified rows of its ranges that are not in {@code outcomes} are dropped (empty now, or moving). */
    void record(Connection t, Slice slice, Map<String, OnlineVerification.Outcome> outcomes, String lsn) throws SQLException {
        try (PreparedStatement del = prepared(t, "DELETE FROM " + VERIFIED_RANGES + " WHERE table_schema = ? AND table_name = ? AND " + inSlice(slice)
                + " AND range_key <> ALL (?::text[])")) {
            del.setArray(3, t.createArrayOf("text", outcomes.keySet().toArray()));
            del.executeUpdate();
        }
        try (PreparedStatement ps = prepared(t, "INSERT INTO " + VERIFIED_RANGES + " (table_schema, table_name, range_key, version, source_rows, equal, "
                + "detail, source_lsn) VALUES (?, ?, ?, ?, ?, ?, ?, ?::pg_lsn) ON CONFLICT (table_schema, table_name, range_key) DO UPDATE SET "
                + "version = EXCLUDED.version, source_rows = EXCLUDED.source_rows, equal = EXCLUDED.equal, detail = EXCLUDED.detail, "
                + "source_lsn = EXCLUDED.source_lsn, verified_at = now()")) {
            for (var e : outcomes.entrySet()) {
                OnlineVerification.Outcome o = e.getValue();
                ps.setString(3, e.getKey());
                ps.setLong(4, o.version());
                ps.setLong(5, o.sourceRows());
                ps.setBoolean(6, o.equal());
                ps.setString(7, o.detail());
                ps.setString(8, lsn);
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    /**
     * Per table the online verification has seen: how much of it is verified (source rows in ranges that matched, of
     * the table's planner estimate), how many ranges changed since they matched, how many differ, whether a whole pass
     * has completed. Empty before any online verification.
     */
    static Map<String, String> summary(Connection t) throws SQLException {
        Map<String, String> out = new TreeMap<>();
        if (!VerificationTables.exist(t)) {
            return out;
        }
        try (var st = t.createStatement(); ResultSet rs = st.executeQuery("SELECT vt.table_schema || '.' || vt.table_name, vt.complete, "
                + "(SELECT count(*) FILTER (WHERE v.equal) || ':' || count(*) FILTER (WHERE NOT v.equal) || ':' || coalesce(sum(v.source_rows) FILTER (WHERE v.equal), 0) "
                + "FROM " + VERIFIED_RANGES + " v WHERE v.table_schema = vt.table_schema AND v.table_name = vt.table_name), "
                + "(SELECT count(*) FROM " + CHANGED_RANGES + " c LEFT JOIN " + VERIFIED_RANGES + " v USING (table_schema, table_name, range_key) "
                + "WHERE c.table_schema = vt.table_schema AND c.table_name = vt.table_name AND (v.version IS NULL OR c.version > v.version)), "
                + "vt.finished_at FROM " + VERIFIED_TABLES + " vt ORDER BY 1")) {
            while (rs.next()) {
                String[] v = rs.getString(3).split(":");
                out.put(rs.getString(1), String.format("%s ranges equal (%,d rows), %s different, %d changed since verified; %s", v[0],
                        Long.parseLong(v[2]), v[1], rs.getLong(4), rs.getBoolean(2) ? "whole pass done " + rs.getString(5) : "pass not complete"));
            }
        }
        return out;
    }

    /** The condition on {@code range_key} for the slice's ranges, or the unranged table's one range. */
    private String inSlice(Slice slice) {
        if (!ranges.ranged()) {
            return "range_key = '" + Ranges.ALL + "'";
        }
        if (slice.keys() != null) {
            StringBuilder in = new StringBuilder();
            for (long k : slice.keys()) {
                in.append(in.length() == 0 ? "'" : ", '").append(k).append('\'');
            }
            return "range_key IN (" + in + ")";
        }
        return "(CASE WHEN range_key ~ '^-?[0-9]+$' THEN range_key::bigint END) BETWEEN " + slice.from() + " AND " + slice.to();
    }

    private PreparedStatement prepared(Connection t, String sql) throws SQLException {
        PreparedStatement ps = t.prepareStatement(sql);
        ps.setString(1, ranges.schema());
        ps.setString(2, ranges.table());
        return ps;
    }
}

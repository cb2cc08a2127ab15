package io.tsmigrate.cli;

import io.tsmigrate.common.MigrationScope;
import io.tsmigrate.common.TableSelection;
import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;
import io.tsmigrate.common.RowDigest;


import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The comparison of a migration's tables on source and target: row counts and a digest of the rows (the sum of a
 * 60-bit hash of each row's text, which any changed, missing or extra row alters), per time bucket for hypertables so
 * a mismatch points at a time range. Used by {@code verify} and {@code cutover}. Each table is read in one
 * repeatable-read transaction per side; tables run on {@code jobs} threads.
 */
final class Verification {

    /** The comparison of one table. */
    record Result(String table, long sourceRows, long targetRows, List<String> mismatches) {
        boolean equal() {
            return mismatches.isEmpty();
        }
    }

    /** The mismatch of a table the publication has and the target lacks. */
    static final String NOT_ON_TARGET = "not on the target: created on the source after the bootstrap? Create it on the target (for example "
            + "pg_dump --schema-only --table of it, then copy its rows) or leave it out of the migration (--exclude-table)";

    private final List<String> publications;
    private final TableSelection selection;
    private final int jobs;
    private final String bucket;
    private final String olderThan;

    /** @param olderThan null, or an interval: hypertable rows newer than it are left out (while streaming) */
    Verification(List<String> publications, TableSelection selection, int jobs, String bucket, String olderThan) {
        this.publications = publications;
        this.selection = selection;
        this.jobs = jobs;
        this.bucket = bucket;
        this.olderThan = olderThan;
    }

    private java.util.Set<String> skip = java.util.Set.of();

    /** Leaves these tables ({@code schema.table}) out: compared otherwise (by the online verification's record). */
    Verification skipping(java.util.Set<String> tables) {
        this.skip = tables;
        return this;
    }

    List<Result> run(Db source, Db target) throws Exception {
        List<String[]> tables;
        Map<String, String> times = new TreeMap<>();
        try (Connection s = source.open("tsmigrate-verify"); Connection t = target.open("tsmigrate-verify")) {
            tables = new ArrayList<>(new MigrationScope(publications, selection).tables(s));
            tables.removeIf(x -> skip.contains(Ident.readable(x[0], x[1])));
            tables.addAll(materializations(s, t));
            if ("t".equals(Db.one(t, "SELECT count(*) > 0 FROM pg_extension WHERE extname = 'timescaledb'"))) {
                try (Statement st = t.createStatement(); ResultSet rs = st.executeQuery("SELECT hypertable_schema, hypertable_name, column_name, "
                        + "column_type::text FROM timescaledb_information.dimensions WHERE dimension_number = 1")) {
                    while (rs.next()) {
                        times.put(Ident.readable(rs.getString(1), rs.getString(2)), rs.getString(3) + "\u0000" + rs.getString(4));
                    }
                }
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, jobs));
        // Sessions kept between tables (SessionPool): a new one per table cost about 0.1 s, minutes for a thousand tables.
        try (SessionPool sources = new SessionPool(source); SessionPool targets = new SessionPool(target)) {
            List<Future<Result>> futures = new ArrayList<>();
            for (String[] t : tables) {
                futures.add(pool.submit(() -> {
                    Result r = compare(sources, targets, t[0], t[1], times.get(Ident.readable(t[0], t[1])));
                    return t.length < 3 ? r : new Result(t[2], r.sourceRows(), r.targetRows(), r.mismatches());
                }));
            }
            List<Result> out = new ArrayList<>();
            for (Future<Result> f : futures) {
                out.add(f.get());
            }
            return out;
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * The materialization hypertables of the source's continuous aggregates that the target has (the bootstrap gives
     * them the source's names), labelled with their aggregate: what the aggregates hold, streamed with the source's
     * refreshes. Their real-time answers also depend on the watermark, which cutover sets.
     */
    private static List<String[]> materializations(Connection s, Connection t) throws SQLException {
        List<String[]> out = new ArrayList<>();
        if (!"t".equals(Db.one(s, "SELECT count(*) > 0 FROM pg_extension WHERE extname = 'timescaledb'"))) {
            return out;
        }
        try (Statement st = s.createStatement(); ResultSet rs = st.executeQuery("SELECT h.schema_name, h.table_name, ca.user_view_schema || '.' || "
                + "ca.user_view_name || ' (materialized)' FROM _timescaledb_catalog.continuous_agg ca JOIN _timescaledb_catalog.hypertable h "
                + "ON h.id = ca.mat_hypertable_id ORDER BY ca.mat_hypertable_id")) {
            while (rs.next()) {
                if (Db.one(t, "SELECT to_regclass(" + Ident.literal(Ident.quote(rs.getString(1)) + "." + Ident.quote(rs.getString(2))) + ")") != null) {
                    out.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
                }
            }
        }
        return out;
    }

    private Result compare(SessionPool source, SessionPool target, String schema, String table, String time) throws SQLException {
        String qualified = Ident.quote(schema) + "." + Ident.quote(table);
        String hash;
        try (Connection s = source.open("tsmigrate-verify"); Connection t = target.open("tsmigrate-verify")) {
            if (Db.one(t, "SELECT to_regclass(" + Ident.literal(qualified) + ")") == null) {
                return new Result(schema + "." + table, 0, 0, List.of(NOT_ON_TARGET));
            }
            hash = digest(columns(s, schema, table), RowDigest.encodingsDiffer(s, t));
        }
        String sql;
        if (time == null) {
            // A table with a single-column integer key is compared by ranges of its key, so a mismatch names them.
            String key = integerKey(source, qualified);
            if (key != null) {
                time = key + "\u0000bigint";
            }
        }
        if (time != null) {
            String[] tc = time.split("\u0000");
            String col = Ident.quote(tc[0]);
            boolean integer = tc[1].matches("(smallint|integer|bigint)");
            String b = integer ? "(" + col + " / 100000) * 100000" : "date_bin(INTERVAL '" + bucket.replace("'", "''") + "', " + col
                    + "::timestamp, TIMESTAMP '2000-01-01')";
            String where = olderThan == null || integer ? "" : " WHERE " + col + " < now() - INTERVAL '" + olderThan.replace("'", "''") + "'";
            sql = "SELECT (" + b + ")::text, count(*), " + hash + " FROM " + qualified + where + " GROUP BY 1";
        } else {
            sql = "SELECT 'all', count(*), " + hash + " FROM " + qualified;
        }
        Map<String, String[]> a = buckets(source, sql);
        Map<String, String[]> b = buckets(target, sql);
        List<String> mismatches = new ArrayList<>();
        java.util.Set<String> keys = new java.util.TreeSet<>(a.keySet());
        keys.addAll(b.keySet());
        for (String k : keys) {
            String[] x = a.get(k);
            String[] y = b.get(k);
            if (x == null || y == null || !x[0].equals(y[0]) || !x[1].equals(y[1])) {
                String what = x == null ? "only on the target" : y == null ? "only on the source"
                        : !x[0].equals(y[0]) ? "rows " + x[0] + " vs " + y[0] : "same count, different rows";
                mismatches.add(("all".equals(k) ? "" : "from " + k + ": ") + what);
            }
        }
        long sr = a.values().stream().mapToLong(v -> Long.parseLong(v[0])).sum();
        long tr = b.values().stream().mapToLong(v -> Long.parseLong(v[0])).sum();
        return new Result(schema + "." + table, sr, tr, mismatches);
    }

    /** The aggregate that digests the rows of a group: {@link RowDigest#sum} over these columns ({@link #columns}). */
    static String digest(List<String> cols, boolean asUtf8) {
        return RowDigest.sum("ROW(" + String.join(", ", cols) + ")::text", asUtf8);
    }

    private static String integerKey(SessionPool source, String qualified) throws SQLException {
        try (Connection c = source.open("tsmigrate-verify")) {
            return Ranges.integerKey(c, qualified);
        }
    }

    private static Map<String, String[]> buckets(SessionPool db, String sql) throws SQLException {
        Map<String, String[]> out = new TreeMap<>();
        try (Connection c = db.open("tsmigrate-verify")) {
            c.setAutoCommit(false);
            c.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                    out.put(rs.getString(1), new String[] {rs.getString(2), rs.getString(3)});
                }
            } catch (SQLException e) {
                throw new CliException("cannot compare on " + db + ": " + e.getMessage(), e);
            }
            c.commit();
        }
        return out;
    }

    /**
     * The table's columns as the digest reads them. A {@code time with time zone} column is read as the same
     * instant in UTC: Debezium normalises such values to UTC (the offset is lost on the way), so equal instants
     * must compare equal.
     */
    static List<String> columns(Connection c, String schema, String table) throws SQLException {
        List<String> out = new ArrayList<>();
        try (var ps = c.prepareStatement("SELECT attname, atttypid = 'timetz'::regtype FROM pg_attribute WHERE attrelid = ?::regclass AND attnum > 0 "
                + "AND NOT attisdropped ORDER BY attnum")) {
            ps.setString(1, Ident.quote(schema) + "." + Ident.quote(table));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    String col = Ident.quote(rs.getString(1));
                    out.add(rs.getBoolean(2) ? "(" + col + " AT TIME ZONE 'UTC')" : col);
                }
            }
        }
        return out;
    }

    /** One line per table; the online report counts the rows of the ranges it compared (marked with a *). */
    static int print(List<Verification.Result> results, String sourceRows, String targetRows) {
        System.out.printf("%-40s %12s %12s  %s%n", "table", sourceRows, targetRows, "result");
        for (Verification.Result r : results) {
            System.out.printf("%-40s %12d %12d  %s%n", r.table(), r.sourceRows(), r.targetRows(), r.equal() ? "equal" : "DIFFERENT: "
                    + String.join("; ", r.mismatches()));
        }
        long bad = results.stream().filter(r -> !r.equal()).count();
        System.out.println(bad == 0 ? "All " + results.size() + " tables equal." : bad + " of " + results.size() + " tables differ.");
        if (sourceRows.endsWith("*")) {
            System.out.println("* rows in the ranges compared by this pass");
        }
        return bad == 0 ? 0 : 1;
    }
}

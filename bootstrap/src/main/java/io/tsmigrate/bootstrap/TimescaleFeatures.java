package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Ident;

import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A TimescaleDB source's features beyond hypertables: compression settings, compression and retention policies,
 * continuous aggregates (with their refresh policies). Read from the source's {@code timescaledb_information}
 * views, turned into SQL, and run on the target after the data is in, when the target's TimescaleDB license
 * allows them; otherwise each skipped item is reported with the statement that would recreate it.
 */
public final class TimescaleFeatures {

    /** One thing to recreate: what kind, what it is, and its statement. */
    public record Item(Kind kind, String what, String sql, List<String> pieces) {
        /** In the order the bootstrap recreates them. */
        public enum Kind { COMPRESSION_SETTINGS, COMPRESSED_CHUNKS, AGGREGATE, POLICY }

        Item(Kind kind, String what, String sql) {
            this(kind, what, sql, List.of());
        }

        /** The statement for a person to run on a target that allows it: a job's plain creation, the rest as they are. */
        public String manual() {
            return kind == Kind.POLICY && sql.startsWith("INSERT INTO ") ? "SELECT " + sql.substring(sql.indexOf("(alter_job(") + 11,
                    sql.lastIndexOf(", scheduled => false")) : sql;
        }
    }

    /** Runs independent statements, on several connections. */
    interface Parallel {
        void run(List<String> statements) throws Exception;
    }

    private TimescaleFeatures() {
    }

    /** Compression settings of one hypertable: segment-by columns in order, and order-by columns with direction. */
    record Compression(String schema, String table, List<String> segmentBy, List<String> orderBy) {
        Item item() {
            StringBuilder sql = new StringBuilder("ALTER TABLE " + Ident.qualified(schema, table) + " SET (timescaledb.compress");
            if (!segmentBy.isEmpty()) {
                sql.append(", timescaledb.compress_segmentby = ").append(Ident.literal(String.join(", ", segmentBy)));
            }
            if (!orderBy.isEmpty()) {
                sql.append(", timescaledb.compress_orderby = ").append(Ident.literal(String.join(", ", orderBy)));
            }
            return new Item(Item.Kind.COMPRESSION_SETTINGS, "compression settings of " + schema + "." + table, sql.append(")").toString());
        }
    }

    /**
     * The jobs to recreate: TimescaleDB's policies (compression, retention, continuous aggregate refresh, reorder) and
     * user-defined jobs, each with what it belongs to: a hypertable, or for a continuous aggregate's policy the
     * aggregate's view (the jobs view names its materialization hypertable, which the policy functions refuse).
     * TimescaleDB's own jobs (telemetry, job history) have ids below 1000.
     */
    static final String POLICY_JOBS = "FROM timescaledb_information.jobs j LEFT JOIN _timescaledb_catalog.hypertable h "
            + "ON (h.schema_name, h.table_name) = (j.hypertable_schema, j.hypertable_name) LEFT JOIN _timescaledb_catalog.continuous_agg ca "
            + "ON ca.mat_hypertable_id = h.id WHERE j.job_id >= 1000 AND (j.proc_name IN ('policy_compression', 'policy_retention', "
            + "'policy_refresh_continuous_aggregate', 'policy_reorder') OR j.proc_schema NOT LIKE '\\_timescaledb%')";
    static final String POLICY_OWNER = "coalesce(ca.user_view_schema, j.hypertable_schema), coalesce(ca.user_view_name, j.hypertable_name)";

    /**
     * The jobs the bootstrap recreated paused whose source job was scheduled: cutover switches on exactly these
     * ({@code tsmigrate.jobs_to_enable}), so a job paused on the source stays paused.
     */
    static final String TO_ENABLE = "tsmigrate.jobs_to_enable";

    /**
     * A background job: a policy of a known kind or a user-defined job (its procedure, copied by the schema copy), with
     * its config as TimescaleDB stores it (JSON), its schedule and retry settings, and whether it runs on the source.
     */
    record Policy(String proc, String schema, String table, String config, Map<String, String> settings) {

        Policy(String proc, String schema, String table, Map<String, String> config) {
            this(proc, schema, table, null, config);
        }

        Item item() {
            Map<String, String> c = settings.containsKey("config") ? parseFlatJson(settings.get("config")) : settings;
            String target = schema == null ? null : Ident.literal(Ident.qualified(schema, table)) + "::regclass";
            String sql = switch (proc) {
                case "policy_compression" -> "add_compression_policy(" + target + ", compress_after => " + value(c.get("compress_after"))
                        + ", compress_created_before => " + value(c.get("compress_created_before")) + ")";
                case "policy_retention" -> "add_retention_policy(" + target + ", drop_after => " + value(c.get("drop_after"))
                        + ", drop_created_before => " + value(c.get("drop_created_before")) + ")";
                case "policy_refresh_continuous_aggregate" -> "add_continuous_aggregate_policy(" + target + ", start_offset => "
                        + value(c.get("start_offset")) + ", end_offset => " + value(c.get("end_offset")) + ", schedule_interval => "
                        + value(settings.get("schedule_interval")) + ")";
                case "policy_reorder" -> "add_reorder_policy(" + target + ", index_name => " + Ident.literal(String.valueOf(c.get("index_name"))) + ")";
                default -> "add_job(" + Ident.literal(proc) + "::regproc, " + value(settings.get("schedule_interval")) + ", config => "
                        + (config == null ? "NULL" : Ident.literal(config) + "::jsonb")
                        + (settings.get("check") == null ? "" : ", check_config => " + Ident.literal(settings.get("check")) + "::regproc")
                        + ", fixed_schedule => " + !"f".equals(settings.get("fixed_schedule")) + ", scheduled => false)";
            };
            boolean user = !proc.startsWith("policy_");
            String kind = user ? "job " + proc : proc.replace("policy_", "").replace('_', ' ') + " policy";
            // Paused until cutover: a retention or compression job running on the target while the stream still writes
            // would drop or compress what the source still changes; cutover switches on those the source runs.
            StringBuilder alter = new StringBuilder("alter_job(" + sql + ", scheduled => false");
            for (String setting : List.of("schedule_interval", "max_runtime", "retry_period")) {
                if (settings.get(setting) != null) {
                    alter.append(", ").append(setting).append(" => ").append(value(settings.get(setting)));
                }
            }
            if (settings.get("max_retries") != null && settings.get("max_retries").matches("-?\\d+")) {
                alter.append(", max_retries => ").append(settings.get("max_retries"));
            }
            alter.append(")");
            boolean scheduled = !"f".equals(settings.get("scheduled"));
            // The source's job id goes with it: cutover continues the source job's schedule (its next start) on the target.
            String sourceJob = settings.get("job_id") != null && settings.get("job_id").matches("\\d+") ? settings.get("job_id") : "NULL";
            String statement = scheduled ? "INSERT INTO " + TO_ENABLE + " (job_id, source_job_id) SELECT (" + alter + ").job_id, " + sourceJob
                    : "SELECT " + alter;
            return new Item(Item.Kind.POLICY, kind + (schema == null ? "" : " of " + schema + "." + table)
                    + (scheduled ? " (paused until cutover)" : " (paused, as on the source)"), statement);
        }

        /** An interval ("7 days"), an integer (integer time), or null. */
        private static String value(String v) {
            if (v == null || v.equals("null")) {
                return "NULL";
            }
            return v.matches("-?\\d+") ? v : "INTERVAL " + Ident.literal(v);
        }
    }

    /** A continuous aggregate: its view definition and whether it reads only materialized data. */
    record ContinuousAggregate(String schema, String view, String definition, boolean materializedOnly) {
        Item item() {
            // Created by the schema copy (ContinuousAggregates) on a target that has them; listed for one that has not.
            return new Item(Item.Kind.AGGREGATE, "continuous aggregate " + schema + "." + view,
                    ContinuousAggregates.createView(schema, view, definition, materializedOnly));
        }
    }

    /**
     * The chunks of one hypertable that are compressed on the source, by their ranges (epoch seconds, or the
     * integer time): the same target chunks are compressed once the data is in.
     */
    record CompressedChunks(String schema, String table, List<String> ranges) {
        static final String RANGE = "(coalesce(extract(epoch FROM range_start)::numeric, range_start_integer), "
                + "coalesce(extract(epoch FROM range_end)::numeric, range_end_integer))";

        Item item() {
            return new Item(Item.Kind.COMPRESSED_CHUNKS, ranges.size() + " compressed chunks of " + schema + "." + table, compress(ranges),
                    ranges.stream().map(r -> compress(List.of(r))).toList());
        }

        /** Compresses the target chunks with these ranges; each chunk is independent of the others. */
        private String compress(List<String> which) {
            return "SELECT count(compress_chunk(format('%I.%I', chunk_schema, chunk_name)::regclass, if_not_compressed => true)) "
                    + "FROM timescaledb_information.chunks WHERE hypertable_schema = " + Ident.literal(schema) + " AND hypertable_name = "
                    + Ident.literal(table) + " AND NOT is_compressed AND " + RANGE + " IN (" + String.join(", ", which) + ")";
        }
    }

    /** Everything to recreate, in an order that works: compression settings, aggregates, the policies, then compressed chunks. */
    public static List<Item> read(Connection src) throws SQLException {
        List<Item> items = new ArrayList<>();
        if (!hasTimescale(src)) {
            return items;
        }
        Map<String, Compression> compression = new LinkedHashMap<>();
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT hypertable_schema, hypertable_name, attname, "
                + "segmentby_column_index, orderby_column_index, orderby_asc, orderby_nullsfirst FROM timescaledb_information.compression_settings "
                + "ORDER BY 1, 2, coalesce(segmentby_column_index, 0), coalesce(orderby_column_index, 0)")) {
            while (rs.next()) {
                String schema = rs.getString(1);
                String table = rs.getString(2);
                Compression c = compression.computeIfAbsent(Ident.readable(schema, table), k -> new Compression(schema, table, new ArrayList<>(), new ArrayList<>()));
                if (rs.getObject(4) != null) {
                    c.segmentBy().add(Ident.quote(rs.getString(3)));
                }
                if (rs.getObject(5) != null) {
                    c.orderBy().add(Ident.quote(rs.getString(3)) + (rs.getBoolean(6) ? " ASC" : " DESC") + (rs.getBoolean(7) ? " NULLS FIRST" : " NULLS LAST"));
                }
            }
        }
        compression.values().forEach(c -> items.add(c.item()));
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT view_schema, view_name, view_definition, materialized_only "
                + "FROM timescaledb_information.continuous_aggregates ORDER BY 1, 2")) {
            while (rs.next()) {
                items.add(new ContinuousAggregate(rs.getString(1), rs.getString(2), rs.getString(3), rs.getBoolean(4)).item());
            }
        }
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT CASE WHEN j.proc_schema LIKE '\\_timescaledb%' "
                + "THEN j.proc_name ELSE format('%I.%I', j.proc_schema, j.proc_name) END, " + POLICY_OWNER + ", j.config::text, "
                + "j.schedule_interval::text, j.max_runtime::text, j.max_retries::text, j.retry_period::text, j.scheduled, j.fixed_schedule, "
                + "CASE WHEN j.check_name IS NOT NULL THEN format('%I.%I', j.check_schema, j.check_name) END, j.job_id " + POLICY_JOBS + " ORDER BY 1, 2, 3")) {
            while (rs.next()) {
                Map<String, String> settings = new LinkedHashMap<>();
                settings.put("config", rs.getString(4));
                settings.put("schedule_interval", rs.getString(5));
                settings.put("max_runtime", rs.getString(6));
                settings.put("max_retries", rs.getString(7));
                settings.put("retry_period", rs.getString(8));
                settings.put("scheduled", rs.getBoolean(9) ? "t" : "f");
                settings.put("fixed_schedule", rs.getBoolean(10) ? "t" : "f");
                settings.put("check", rs.getString(11));
                settings.put("job_id", rs.getString(12));
                items.add(new Policy(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), settings).item());
            }
        }
        Map<String, CompressedChunks> chunks = new LinkedHashMap<>();
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT hypertable_schema, hypertable_name, "
                + CompressedChunks.RANGE + "::text FROM timescaledb_information.chunks WHERE is_compressed ORDER BY 1, 2, 3")) {
            while (rs.next()) {
                String schema = rs.getString(1);
                String table = rs.getString(2);
                // The row's text, "(1772323200.000000,1772409600.000000)": numbers only, so it is a SQL row constructor as it is.
                String range = rs.getString(3);
                if (!range.matches("\\(-?[0-9.]+,-?[0-9.]+\\)")) {
                    throw new IllegalStateException("unexpected chunk range " + range + " of " + schema + "." + table);
                }
                chunks.computeIfAbsent(Ident.readable(schema, table), k -> new CompressedChunks(schema, table, new ArrayList<>())).ranges().add(range);
            }
        }
        chunks.values().forEach(c -> items.add(c.item()));
        return items;
    }

    /**
     * Recreates the items on the target when its license allows them (the Community edition), and otherwise
     * reports each one it skipped, with the statement to run on a target that allows it.
     */
    static void apply(List<Item> items, Connection tgt, Consumer<String> say, Parallel parallel) throws Exception {
        if (items.isEmpty()) {
            return;
        }
        String license = license(tgt);
        if (!"timescale".equals(license)) {
            say.accept("Skipped " + items.size() + " TimescaleDB features of the source: the target's TimescaleDB is the " + license
                    + "-licensed edition, which refuses compression, continuous aggregates and their policies. To recreate them on a target with "
                    + "the Community edition, run:");
            items.forEach(i -> say.accept("  -- " + i.what() + "\n  " + i.manual() + ";"));
            return;
        }
        try (Statement st = tgt.createStatement()) {
            st.execute("CREATE SCHEMA IF NOT EXISTS tsmigrate");
            TargetJobs.createList(st);
            for (Item i : items) {
                if (i.kind() == Item.Kind.AGGREGATE) {
                    continue;
                }
                try {
                    if (i.pieces().isEmpty()) {
                        st.execute(i.sql());
                    } else {
                        parallel.run(i.pieces());
                    }
                    say.accept("Recreated " + i.what());
                } catch (SQLException e) {
                    say.accept("WARN could not recreate " + i.what() + ": " + e.getMessage() + "; statement: " + i.sql());
                }
            }
        }
    }

    /**
     * The target's TimescaleDB license even before the extension exists in its database: then it is created in a
     * transaction that is rolled back (the setting exists once the library is loaded). Null when that is not possible.
     */
    public static String probeLicense(Connection c) throws SQLException {
        if (hasTimescale(c)) {
            return license(c);
        }
        boolean auto = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
            try (ResultSet rs = st.executeQuery("SELECT current_setting('timescaledb.license', true)")) {
                rs.next();
                return rs.getString(1);
            }
        } catch (SQLException e) {
            return null;
        } finally {
            c.rollback();
            c.setAutoCommit(auto);
        }
    }

    /**
     * Drops on the target what a TimescaleDB source's retention (drop_chunks) dropped during the migration: dropping a
     * chunk writes no row changes to the WAL, so nothing streams. A source hypertable holds no row before its
     * earliest chunk's start, so every target row of that hypertable before it was dropped there: whole target chunks
     * go with drop_chunks, the rest of a chunk that straddles the point with DELETE; a source hypertable left without
     * any chunk holds no row at all. The same for retention on a continuous aggregate (drop_chunks on the aggregate
     * drops chunks of its materialization; the target's materialization has the source's name). Returns one line per
     * hypertable or aggregate that had something to drop.
     */
    public static List<String> mirrorDroppedChunks(Connection src, Connection tgt) throws SQLException {
        List<String> out = new ArrayList<>();
        if (!hasTimescale(src) || !hasTimescale(tgt)) {
            return out;
        }
        // Per hypertable: what drop_chunks takes (the hypertable, or the aggregate over a materialization), the table that
        // holds the rows, its time column, and the source's earliest chunk start (null: no chunk left).
        List<String[]> firsts = new ArrayList<>();
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT format('%I.%I', coalesce(ca.view_schema, d.hypertable_schema), "
                + "coalesce(ca.view_name, d.hypertable_name)), format('%I.%I', d.hypertable_schema, d.hypertable_name), d.column_name, "
                + "min(c.range_start)::text, min(c.range_start_integer)::text, count(c.chunk_name) > 0, ca.view_name IS NOT NULL "
                + "FROM timescaledb_information.dimensions d LEFT JOIN timescaledb_information.continuous_aggregates ca ON "
                + "ca.materialization_hypertable_schema = d.hypertable_schema AND ca.materialization_hypertable_name = d.hypertable_name "
                + "LEFT JOIN timescaledb_information.chunks c ON c.hypertable_schema = d.hypertable_schema AND c.hypertable_name = d.hypertable_name "
                + "WHERE d.dimension_number = 1 AND (d.hypertable_schema <> '_timescaledb_internal' OR ca.view_name IS NOT NULL) "
                + "GROUP BY 1, 2, 3, 7 ORDER BY 7, 1")) {
            while (rs.next()) {
                firsts.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
                        rs.getBoolean(6) ? "chunks" : null, rs.getBoolean(7) ? "aggregate" : "hypertable"});
            }
        }
        try (Statement st = tgt.createStatement()) {
            st.execute("SET timezone = 'UTC'");
            for (String[] f : firsts) {
                String owner = f[0];
                String table = f[1];
                if (Db.one(tgt, "SELECT to_regclass(" + Ident.literal(table) + ")") == null
                        || Db.one(tgt, "SELECT to_regclass(" + Ident.literal(owner) + ")") == null) {
                    continue;
                }
                if (f[5] == null) {
                    int deleted = st.executeUpdate("DELETE FROM " + table);
                    if (deleted > 0) {
                        out.add(f[6] + " " + owner + ": " + deleted + " rows (the source has no chunk left)");
                    }
                    continue;
                }
                String point = f[3] != null ? Ident.literal(f[3]) + "::timestamptz" : f[4];
                String dropped = Db.one(tgt, "SELECT count(*) FROM drop_chunks(" + Ident.literal(owner) + "::regclass, older_than => " + point + ")");
                int deleted = st.executeUpdate("DELETE FROM " + table + " WHERE " + Ident.quote(f[2]) + " < " + point);
                if (!"0".equals(dropped) || deleted > 0) {
                    out.add(f[6] + " " + owner + ": " + dropped + " chunks and " + deleted + " more rows before " + (f[3] != null ? f[3] : f[4])
                            + " (dropped on the source)");
                }
            }
        }
        return out;
    }

    static String license(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT current_setting('timescaledb.license', true)")) {
            rs.next();
            return rs.getString(1) == null ? "unknown" : rs.getString(1);
        }
    }

    /**
     * The source hypertables' integer_now functions (hypertables with an integer time column), by table id
     * ({@link Ident#readable}), as schema.function quoted. Without it on the target, policies of such a hypertable
     * are refused (invalid value for parameter drop_after) and so are its continuous aggregates.
     */
    static Map<String, String> integerNowFunctions(Connection src) throws SQLException {
        Map<String, String> out = new java.util.HashMap<>();
        if (!hasTimescale(src)) {
            return out;
        }
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT h.schema_name, h.table_name, "
                + "format('%I.%I', d.integer_now_func_schema, d.integer_now_func) FROM _timescaledb_catalog.dimension d "
                + "JOIN _timescaledb_catalog.hypertable h ON h.id = d.hypertable_id WHERE d.integer_now_func IS NOT NULL")) {
            while (rs.next()) {
                out.put(Ident.readable(rs.getString(1), rs.getString(2)), rs.getString(3));
            }
        }
        return out;
    }

    static boolean hasTimescale(Connection c) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) > 0 FROM pg_extension WHERE extname = 'timescaledb'")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** The top-level scalar entries of a policy's config, e.g. {"drop_after": "7 days", "hypertable_id": 1}. */
    static Map<String, String> parseFlatJson(String json) {
        Map<String, String> m = new LinkedHashMap<>();
        if (json == null) {
            return m;
        }
        try {
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(json).fields().forEachRemaining(e -> {
                if (e.getValue().isValueNode()) {
                    m.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText());
                }
            });
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("unreadable policy config: " + json, e);
        }
        return m;
    }
}

package io.tsmigrate.bootstrap;

import io.tsmigrate.common.StateStore;
import io.tsmigrate.common.MigrationScope;
import io.tsmigrate.common.Sequences;
import io.tsmigrate.common.Ident;

import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Schema steps with PostgreSQL's own pg_dump: pre-data (types, tables, sequences, functions, views) and the
 * hypertables in one target transaction; after the data, post-data (indexes and constraints in parallel,
 * then foreign keys, triggers and the rest), sequence values and ANALYZE.
 */
final class SchemaCopier {

    private final BootstrapPlan plan;
    private final PgTools tools;
    private final Connection src;
    private final Connection tgt;
    private final Consumer<String> say;
    private final DumpOptions dumpOptions;

    SchemaCopier(BootstrapPlan plan, PgTools tools, Connection src, Connection tgt, Consumer<String> say) {
        this.plan = plan;
        this.tools = tools;
        this.src = src;
        this.tgt = tgt;
        this.say = say;
        this.dumpOptions = new DumpOptions(plan, src, tgt, say);
    }

    /** Those of the tables to migrate that the target database has already (as schema.table, quoted where needed). */
    static List<String> existing(Connection tgt, List<TableInfo> tables) throws SQLException {
        List<String> out = new ArrayList<>();
        try (java.sql.PreparedStatement ps = tgt.prepareStatement("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "JOIN unnest(?::text[], ?::text[]) AS m(s, t) ON m.s = n.nspname AND m.t = c.relname ORDER BY 1, 2")) {
            ps.setArray(1, tgt.createArrayOf("text", tables.stream().map(TableInfo::schema).toArray()));
            ps.setArray(2, tgt.createArrayOf("text", tables.stream().map(TableInfo::name).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(Ident.readable(rs.getString(1), rs.getString(2)));
                }
            }
        }
        return out;
    }

    void preData(List<TableInfo> tables) throws SQLException {
        List<String> extensions = extensions();
        List<String> args = new ArrayList<>(List.of("--schema-only", "--section=pre-data", "--no-publications", "--no-subscriptions"));
        args.addAll(dumpOptions.args());
        for (String pattern : List.of("tsmigrate", "_timescaledb*", "timescaledb_*")) {
            args.add("--exclude-schema=" + pattern);
        }
        args.addAll(plan.selection().dumpArgs(MigrationScope.userSchemas(src), MigrationScope.userTables(src)));
        List<ContinuousAggregates.Aggregate> aggregates = ContinuousAggregates.read(src);
        args.addAll(ContinuousAggregates.dumpExclusions(aggregates));
        extensions.forEach(e -> args.add("--extension=" + e));
        String dump = dumpOptions.partitioned().plainRoots(tools.dump(plan.source(), args));
        StringBuilder script = new StringBuilder(dump);
        script.append("\nSET search_path = public, pg_catalog;\n");
        // pg_dump's script empties search_path: the hypertable functions are called by their extension's schema.
        // Created always, as the preflight said: the sink refuses a target database without it.
        String ts = timescaleSchema() + ".";
        Map<String, String> integerNow = TimescaleFeatures.integerNowFunctions(src);
        for (BootstrapPlan.HypertableSpec h : plan.hypertables()) {
            String interval = h.chunkInterval() != null ? h.chunkInterval() : ChunkInterval.derive(src, h);
            String by = interval.matches("\\d+") ? interval : "INTERVAL " + Ident.literal(interval);
            script.append("SELECT ").append(ts).append("create_hypertable(").append(Ident.literal(Ident.qualified(h.schemaName(), h.tableName())))
                    .append("::regclass, ").append(ts).append("by_range(").append(Ident.literal(h.timeColumn())).append(", ").append(by).append("), create_default_indexes => false);\n");
            if (h.partitionColumn() != null) {
                script.append("SELECT ").append(ts).append("add_dimension(").append(Ident.literal(Ident.qualified(h.schemaName(), h.tableName())))
                        .append("::regclass, ").append(ts).append("by_hash(").append(Ident.literal(h.partitionColumn())).append(", ")
                        .append(h.partitions() == null ? 4 : h.partitions()).append("));\n");
            }
            String now = integerNow.get(h.id());
            if (now != null) {
                // An integer time column's "now" (retention and compression policies, continuous aggregates need it).
                script.append("SELECT ").append(ts).append("set_integer_now_func(").append(Ident.literal(Ident.qualified(h.schemaName(), h.tableName())))
                        .append("::regclass, ").append(Ident.literal(now)).append("::regproc);\n");
            }
            say.accept("Hypertable " + h.table() + ": time column " + h.timeColumn() + ", chunk interval " + interval);
        }
        if (!aggregates.isEmpty()) {
            if ("timescale".equals(TimescaleFeatures.probeLicense(tgt))) {
                script.append(ContinuousAggregates.createSql(aggregates));
                aggregates.forEach(a -> say.accept("Continuous aggregate " + a.schema() + "." + a.view() + " created without data; its materialization "
                        + a.matTable() + " is copied with the data"));
            } else {
                aggregates.forEach(a -> say.accept("Skipped continuous aggregate " + a.schema() + "." + a.view() + ": the target's TimescaleDB is "
                        + "the Apache-licensed edition, which has no continuous aggregates"));
            }
        }
        // The phase moves in the same transaction: a crash leaves either nothing or all of it.
        script.append(StateStore.phaseSql(StateStore.Phase.SLOT));
        if (plan.copyRoles()) {
            copyRoles();
        }
        tools.psql(plan.target(), "\\set ON_ERROR_STOP 1\nBEGIN;\n" + script + "\nCOMMIT;\n");
        say.accept("Schema copied: " + tables.size() + " tables");
    }

    /**
     * The schema of the target's timescaledb extension, which is created first when missing (a freshly created
     * target database has none, and a plain PostgreSQL source brings none).
     */
    private String timescaleSchema() throws SQLException {
        try (Statement st = tgt.createStatement()) {
            st.execute("CREATE EXTENSION IF NOT EXISTS timescaledb");
            try (ResultSet rs = st.executeQuery("SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
                    + "WHERE e.extname = 'timescaledb'")) {
                rs.next();
                return rs.getString(1);
            }
        }
    }



    /** Roles (without passwords) that the target lacks, from pg_dumpall --roles-only; reported by name. */
    private void copyRoles() throws SQLException {
        List<String> before = roles(tgt);
        StringBuilder script = new StringBuilder();
        for (String line : tools.dumpRoles(plan.source()).split("\n")) {
            // Roles the target has already (its own superuser, for one) are left as they are.
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(CREATE|ALTER) ROLE (\"(?:[^\"]|\"\")+\"|[a-z_][a-z0-9_$]*)").matcher(line);
            if (m.find()) {
                String name = m.group(2).startsWith("\"") ? m.group(2).substring(1, m.group(2).length() - 1).replace("\"\"", "\"") : m.group(2);
                if (before.contains(name)) {
                    continue;
                }
            }
            script.append(line).append('\n');
        }
        tools.psql(plan.target(), "\\set ON_ERROR_STOP 1\n" + script);
        List<String> added = new ArrayList<>(roles(tgt));
        added.removeAll(before);
        say.accept(added.isEmpty() ? "Roles: the target has every role of the source already"
                : "Roles copied without passwords (set them on the target): " + String.join(", ", added));
    }

    private static List<String> roles(Connection c) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT rolname FROM pg_roles WHERE rolname !~ '^pg_' ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /**
     * Creates on the target the source's extensions it has, each in the source's schema for it; returns their names
     * (pg_dump's --extension list). An extension whose schema the target does not have yet (say {@code extensions}) is
     * left to the schema copy, which creates the schema and then the extension in it.
     */
    private List<String> extensions() throws SQLException {
        List<String[]> wanted = new ArrayList<>();
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT e.extname, n.nspname FROM pg_extension e "
                + "JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql' ORDER BY e.oid")) {
            while (rs.next()) {
                wanted.add(new String[] {rs.getString(1), rs.getString(2)});
            }
        }
        List<String> present = new ArrayList<>();
        for (String[] w : wanted) {
            String ext = w[0];
            if ("1".equals(Db.one(tgt, "SELECT count(*) FROM pg_available_extensions WHERE name = " + Ident.literal(ext)))) {
                if ("1".equals(Db.one(tgt, "SELECT count(*) FROM pg_namespace WHERE nspname = " + Ident.literal(w[1])))) {
                    try (Statement st = tgt.createStatement()) {
                        st.execute("CREATE EXTENSION IF NOT EXISTS " + Ident.quote(ext) + " WITH SCHEMA " + Ident.quote(w[1]) + " CASCADE");
                    }
                }
                present.add(ext);
            } else {
                say.accept("WARN extension " + ext + " of the source is not available on the target; objects that use it will fail to copy");
            }
        }
        return present;
    }

    /**
     * pg_dump's post-data section for the migrated tables (indexes, constraints, triggers, ...), adapted for hypertables,
     * in pg_dump's order; creates the table that records which entries are done.
     */
    List<PostData.Entry> postDataEntries(Set<String> extend) throws Exception {
        List<String> args = new ArrayList<>(List.of("--schema-only", "--section=post-data", "--no-publications", "--no-subscriptions"));
        args.addAll(dumpOptions.args());
        for (String pattern : List.of("tsmigrate", "_timescaledb*", "timescaledb_*")) {
            args.add("--exclude-schema=" + pattern);
        }
        args.addAll(plan.selection().dumpArgs(MigrationScope.userSchemas(src), MigrationScope.userTables(src)));
        args.addAll(ContinuousAggregates.dumpExclusions(ContinuousAggregates.read(src)));
        Map<String, String> hypertables = new HashMap<>();
        Set<String> extendSpelled = new HashSet<>();
        for (BootstrapPlan.HypertableSpec h : plan.hypertables()) {
            String spelled = Db.one(src, "SELECT quote_ident(" + Ident.literal(h.schemaName()) + ") || '.' || quote_ident("
                    + Ident.literal(h.tableName()) + ")");
            hypertables.put(spelled, Db.one(src, "SELECT quote_ident(" + Ident.literal(h.timeColumn()) + ")"));
            if (extend.contains(h.id())) {
                extendSpelled.add(spelled);
            }
        }
        try (Statement st = tgt.createStatement()) {
            st.execute("CREATE TABLE IF NOT EXISTS tsmigrate.bootstrap_post_data (entry text PRIMARY KEY, statement text NOT NULL, "
                    + "done_at timestamptz NOT NULL DEFAULT now())");
        }
        List<PostData.Entry> entries = new ArrayList<>();
        for (PostData.Entry e : PostData.adapt(PostData.parse(tools.dump(plan.source(), args)), hypertables, extendSpelled, say)) {
            String referenced = PostData.referenced(e);
            if (referenced != null && !migrated(referenced)) {
                say.accept("WARN foreign key " + e.name() + " references " + referenced + ", which the migration leaves out: it is not created on "
                        + "the target (once that table is there: " + e.sql().lines().filter(l -> !l.startsWith("--")).collect(java.util.stream.Collectors.joining(" "))
                        .replaceAll("\\s+", " ").strip() + ")");
                continue;
            }
            entries.add(e);
        }
        return entries;
    }

    /** Whether the table pg_dump spells so is one the migration copies (a table the selection leaves out is not). */
    private boolean migrated(String spelled) throws SQLException {
        try (Statement st = src.createStatement(); ResultSet rs = st.executeQuery("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
                + "ON n.oid = c.relnamespace WHERE c.oid = to_regclass(" + Ident.literal(spelled) + ")")) {
            return rs.next() && plan.selection().covers(rs.getString(1), rs.getString(2));
        }
    }

    /** The entries that build only after every table's data and keys are in (foreign keys, triggers, rules, ...), in order. */
    void postDataSerial(List<PostData.Entry> entries) throws SQLException {
        for (PostData.Entry e : entries) {
            if (!e.parallel()) {
                executeOnce(tgt, e.sql());
            }
        }
    }

    void sequences() throws SQLException {
        Sequences.copy(src, tgt);
    }

    /** ANALYZE of the tables the index builds did not analyze (see {@link PostDataBuilds}), largest first. */
    void analyze(List<TableInfo> tables) throws Exception {
        List<TargetAnalyze.Job> jobs = new ArrayList<>(TargetAnalyze.plan(tgt, tables, t -> false));
        jobs.sort(java.util.Comparator.comparingLong(TargetAnalyze.Job::bytes).reversed());
        inParallel(jobs, plan.indexJobs(), TargetAnalyze::run);
    }

    /** Runs independent statements on the target on {@code --index-jobs} connections. */
    void parallel(List<String> statements) throws Exception {
        // TimescaleDB's functions by their extension's schema, like the schema copy's script.
        String path = Ident.literal(timescaleSchema() + ", pg_catalog");
        inParallel(statements, plan.indexJobs(), (c, sql) -> {
            try (Statement st = c.createStatement()) {
                st.execute("SELECT pg_catalog.set_config('search_path', " + path + ", false)");
                st.execute(sql);
            }
        });
    }

    /** Runs one statement on a connection. */
    private interface Runner<T> {
        void run(Connection c, T statement) throws SQLException;
    }

    private <T> void inParallel(List<T> statements, int jobs, Runner<T> runner) throws Exception {
        if (statements.isEmpty()) {
            return;
        }
        Queue<T> queue = new ConcurrentLinkedQueue<>(statements);
        ExecutorService pool = Executors.newFixedThreadPool(jobs);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < Math.min(jobs, statements.size()); i++) {
                futures.add(pool.submit(() -> {
                    try (Connection c = plan.target().open("tsmigrate-bootstrap-index")) {
                        T sql;
                        while ((sql = queue.poll()) != null) {
                            runner.run(c, sql);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    throw e.getCause() instanceof Exception ex ? ex : new RuntimeException(e.getCause());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Runs a post-data entry (an index, a constraint, a trigger) and records it done in the same transaction, or
     * skips it when it is recorded: a bootstrap that stopped while building them resumes without "already exists".
     */
    static void executeOnce(Connection c, String sql) throws SQLException {
        executeOnce(c, sql, tx -> { });
    }

    /** {@link #executeOnce(Connection, String)}, with {@code before} run in the entry's transaction first. */
    static void executeOnce(Connection c, String sql, Db.Work before) throws SQLException {
        Db.inTransaction(c, tx -> {
            try (java.sql.PreparedStatement done = tx.prepareStatement("SELECT count(*) FROM tsmigrate.bootstrap_post_data WHERE entry = pg_catalog.md5(?)")) {
                done.setString(1, sql);
                try (java.sql.ResultSet rs = done.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
            }
            before.run(tx);
            execute(tx, sql);
            try (java.sql.PreparedStatement mark = tx.prepareStatement("INSERT INTO tsmigrate.bootstrap_post_data (entry, statement) VALUES (pg_catalog.md5(?), ?)")) {
                mark.setString(1, sql);
                mark.setString(2, sql);
                mark.executeUpdate();
            }
        });
    }

    private static void execute(Connection c, String sql) throws SQLException {
        // pg_dump's statements name every object: with an empty search_path nothing else is found by accident. Only for
        // this statement: the bootstrap's own connection runs TimescaleDB's functions by name afterwards (a foreign key,
        // built on it, left its search_path empty, and the policies that followed failed to find add_*_policy).
        boolean transaction = !c.getAutoCommit();
        try (Statement st = c.createStatement()) {
            st.execute("SELECT pg_catalog.set_config('search_path', '', " + transaction + ")");
            st.execute(sql);
            if (!transaction) {
                st.execute("RESET search_path");
            }
        } catch (SQLException e) {
            throw new SQLException("on the target: " + e.getMessage() + " in: " + (sql.length() > 300 ? sql.substring(0, 300) + "..." : sql),
                    e.getSQLState(), e);
        }
    }
}

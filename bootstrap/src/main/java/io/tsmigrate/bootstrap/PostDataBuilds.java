package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Ident;

import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The post-data entries that build in parallel (indexes, primary and unique keys, checks) on {@code --index-jobs}
 * connections, each table's started as soon as that table's copy is complete, beside the copy of the tables still
 * copying. A bootstrap's longest builds are those of its largest table, whose copy ends first (pieces go largest
 * first); they no longer wait for the last small table, and the cores the copy leaves idle at its end build indexes.
 * Ready entries go largest table first. Each entry runs once (recorded with it, so a rerun skips what is built).
 *
 * <p>The connections take the jobs through a {@link BuildQueue}, so none waits on a lock of a table another one builds.
 *
 * <p>Each build runs without parallel workers ({@link ChunkBuilds#withoutParallelWorkers}): the builds run side by side
 * instead, {@code --index-jobs} of them.
 *
 * <p>A copied table's ANALYZE ({@link TargetAnalyze}: a hypertable's chunks one by one, then its inherited statistics)
 * also runs here, once the table's builds are done, when its statistics depend on nothing built later: the source
 * table has no extended statistics (those are created after the builds). The small tables' ANALYZE then runs beside the
 * biggest table's last builds instead of after them.
 */
final class PostDataBuilds implements AutoCloseable {

    /** One entry to build ({@code sql}), a table to plan the ANALYZE of ({@code plan}) or one ANALYZE ({@code analyze}). */
    private record Job(String sql, TableInfo plan, TargetAnalyze.Job analyze) {
    }

    /** The queue's size key for ANALYZE: after every build. */
    private static final long ANALYZE = Long.MIN_VALUE;

    private final Map<String, List<String>> byTable = new LinkedHashMap<>();
    private final List<String> other = new ArrayList<>();
    private final Map<String, Long> bytes = new HashMap<>();
    private final Map<String, TableInfo> early = new HashMap<>();
    private final Set<String> analyzed = ConcurrentHashMap.newKeySet();
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    private final BuildQueue<Job> queue = new BuildQueue<>();
    private final ExecutorService pool;
    private final List<Future<?>> workers = new ArrayList<>();
    private final int count;
    private final Consumer<String> say;
    private volatile Predicate<String> chunksAnalyzed = t -> false;
    private volatile SQLException failure;
    private volatile long firstStart;

    /**
     * @param entries the parallel entries, in pg_dump's order
     * @param tables  the copied tables
     * @param spelled pg_dump's spelling of each copied table's name ({@code public."My Table"}) to its id
     * @param analyze the tables whose ANALYZE runs here (see above)
     */
    PostDataBuilds(Db target, List<PostData.Entry> entries, List<TableInfo> tables, Map<String, String> spelled, List<TableInfo> analyze,
            int jobs, Consumer<String> say) {
        this.say = say;
        this.count = entries.size();
        tables.forEach(t -> bytes.put(t.id(), t.bytes()));
        analyze.forEach(t -> early.put(t.id(), t));
        for (PostData.Entry e : entries) {
            String table = spelled.get(PostData.table(e.sql()));
            if (table == null) {
                other.add(e.sql());
            } else {
                byTable.computeIfAbsent(table, k -> new ArrayList<>()).add(e.sql());
            }
        }
        pool = Executors.newFixedThreadPool(Math.max(1, jobs), r -> {
            Thread t = new Thread(r, "tsmigrate-index");
            t.setDaemon(true);
            return t;
        });
        for (int i = 0; i < Math.max(1, jobs); i++) {
            workers.add(pool.submit(() -> {
                work(target);
                return null;
            }));
        }
    }

    /** pg_dump's spelling of each table's name ({@code quote_ident} of schema and name) to the table's id. */
    static Map<String, String> spelled(Connection src, List<TableInfo> tables) throws SQLException {
        Map<String, String> out = new HashMap<>();
        try (PreparedStatement ps = src.prepareStatement("SELECT quote_ident(s) || '.' || quote_ident(n), s, n "
                + "FROM unnest(?::text[], ?::text[]) AS u(s, n)")) {
            ps.setArray(1, src.createArrayOf("text", tables.stream().map(TableInfo::schema).toArray()));
            ps.setArray(2, src.createArrayOf("text", tables.stream().map(TableInfo::name).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), Ident.readable(rs.getString(2), rs.getString(3)));
                }
            }
        }
        return out;
    }

    /** The copied tables whose statistics depend only on their data and indexes (see above), by the source's catalog. */
    static List<TableInfo> analyzable(Connection src, List<TableInfo> tables) throws SQLException {
        Set<String> not = new java.util.HashSet<>();
        try (PreparedStatement ps = src.prepareStatement("SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                + "WHERE EXISTS (SELECT FROM pg_statistic_ext x WHERE x.stxrelid = c.oid)"); ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                not.add(Ident.readable(rs.getString(1), rs.getString(2)));
            }
        }
        return tables.stream().filter(t -> !not.contains(t.id())).toList();
    }

    /** The tables whose chunks the copy analyzes ({@link ChunkBuilds#analyzesChunks}); set before the copy starts. */
    void chunksAnalyzedInCopy(Predicate<String> tables) {
        chunksAnalyzed = tables;
    }

    /** The tables analyzed here: the closing ANALYZE leaves them out. */
    Set<String> analyzed() {
        return analyzed;
    }

    /**
     * Starts the builds of a table whose copy is complete (once; later calls for it do nothing).
     *
     * @throws SQLException when a build has failed, so that the copy stops with it
     */
    void tableCopied(String table) throws SQLException {
        rethrow();
        if (started.add(table)) {
            long size = bytes.getOrDefault(table, 0L);
            List<String> sqls = byTable.getOrDefault(table, List.of());
            synchronized (queue) {
                for (String sql : sqls) {
                    // ADD CONSTRAINT (a key) holds the table's AccessExclusiveLock while it builds; CREATE INDEX a ShareLock.
                    queue.add(new Job(sql, null, null), table, sql.startsWith("ALTER TABLE") ? BuildQueue.Lock.EXCLUSIVE : BuildQueue.Lock.SHARED, size);
                }
                if (sqls.isEmpty()) {
                    analyzeLater(table);
                }
            }
        }
    }

    /** Starts what is left (every table's, and entries of no copied table: a partitioned parent's), and waits for all. */
    void finish() throws Exception {
        for (String table : byTable.keySet()) {
            tableCopied(table);
        }
        for (String sql : other) {
            queue.add(new Job(sql, null, null), null, BuildQueue.Lock.NONE, -1);
        }
        queue.close();
        for (Future<?> f : workers) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception ex ? ex : new RuntimeException(e.getCause());
            }
        }
        rethrow();
        long t0 = firstStart;
        say.accept(String.format(Locale.ROOT, "Indexes and constraints built: %d entries, %d tables analyzed, in %.1f s since the first began", count,
                analyzed.size(), t0 == 0 ? 0.0 : (System.nanoTime() - t0) / 1e9));
    }

    private void work(Db target) throws SQLException {
        try (Connection c = target.open("tsmigrate-bootstrap-index")) {
            while (true) {
                BuildQueue.Taken<Job> taken = queue.take();
                if (taken == null) {
                    return;
                }
                if (firstStart == 0) {
                    firstStart = System.nanoTime();
                }
                try {
                    if (failure == null) {
                        run(c, taken.item());
                    }
                } catch (SQLException e) {
                    failure = e;
                    queue.abort();
                }
                // Every job taken is given back, or a connection waiting for the rest would wait for ever.
                synchronized (queue) {
                    if (queue.done(taken) && failure == null) {
                        analyzeLater(taken.table());
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void run(Connection c, Job job) throws SQLException {
        if (job.sql() != null) {
            SchemaCopier.executeOnce(c, job.sql(), tx -> {
                ChunkBuilds.withoutParallelWorkers(tx);
                ChunkBuilds.prepareRoot(tx, job.sql());
            });
        } else if (job.plan() != null) {
            for (TargetAnalyze.Job a : TargetAnalyze.plan(c, List.of(job.plan()), chunksAnalyzed)) {
                queue.add(new Job(null, null, a), null, BuildQueue.Lock.NONE, ANALYZE);
            }
            analyzed.add(job.plan().id());
        } else {
            TargetAnalyze.run(c, job.analyze());
        }
    }

    /** Queues the ANALYZE of a table whose builds are done, when it is analyzed here. */
    private void analyzeLater(String table) {
        TableInfo t = early.get(table);
        if (t != null) {
            queue.add(new Job(null, t, null), table, BuildQueue.Lock.NONE, ANALYZE);
        }
    }

    private void rethrow() throws SQLException {
        SQLException e = failure;
        if (e != null) {
            throw new SQLException(e.getMessage(), e.getSQLState(), e);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}

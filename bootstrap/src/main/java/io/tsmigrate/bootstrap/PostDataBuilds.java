package io.tsmigrate.bootstrap;

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
import java.util.concurrent.PriorityBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The post-data entries that build in parallel (indexes, primary and unique keys, checks) on {@code --index-jobs}
 * connections, each table's started as soon as that table's copy is complete, beside the copy of the tables still
 * copying. A bootstrap's longest builds are those of its largest table, whose copy ends first (pieces go largest
 * first); they no longer wait for the last small table, and the cores the copy leaves idle at its end build indexes.
 * Ready entries go largest table first. Each entry runs once (recorded with it, so a rerun skips what is built).
 */
final class PostDataBuilds implements AutoCloseable {

    /** One entry to build; {@code order} keeps pg_dump's order among a table's entries. */
    private record Job(String sql, long bytes, long order) {
    }

    private static final Job DONE = new Job(null, Long.MIN_VALUE, Long.MAX_VALUE);

    private final Map<String, List<String>> byTable = new LinkedHashMap<>();
    private final List<String> other = new ArrayList<>();
    private final Map<String, Long> bytes = new HashMap<>();
    private final Set<String> started = ConcurrentHashMap.newKeySet();
    private final PriorityBlockingQueue<Job> queue = new PriorityBlockingQueue<>(64,
            java.util.Comparator.comparingLong(Job::bytes).reversed().thenComparingLong(Job::order));
    private final AtomicLong order = new AtomicLong();
    private final ExecutorService pool;
    private final List<Future<?>> workers = new ArrayList<>();
    private final int count;
    private final Consumer<String> say;
    private volatile SQLException failure;
    private volatile long firstStart;

    /**
     * @param entries the parallel entries, in pg_dump's order
     * @param tables  the copied tables
     * @param spelled pg_dump's spelling of each copied table's name ({@code public."My Table"}) to its id
     */
    PostDataBuilds(Db target, List<PostData.Entry> entries, List<TableInfo> tables, Map<String, String> spelled, int jobs,
            Consumer<String> say) {
        this.say = say;
        this.count = entries.size();
        tables.forEach(t -> bytes.put(t.id(), t.bytes()));
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
        try (PreparedStatement ps = src.prepareStatement("SELECT quote_ident(s) || '.' || quote_ident(n), s || '.' || n "
                + "FROM unnest(?::text[], ?::text[]) AS u(s, n)")) {
            ps.setArray(1, src.createArrayOf("text", tables.stream().map(TableInfo::schema).toArray()));
            ps.setArray(2, src.createArrayOf("text", tables.stream().map(TableInfo::name).toArray()));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        }
        return out;
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
            for (String sql : byTable.getOrDefault(table, List.of())) {
                queue.add(new Job(sql, size, order.getAndIncrement()));
            }
        }
    }

    /** Starts what is left (every table's, and entries of no copied table: a partitioned parent's), and waits for all. */
    void finish() throws Exception {
        for (String table : byTable.keySet()) {
            tableCopied(table);
        }
        for (String sql : other) {
            queue.add(new Job(sql, -1, order.getAndIncrement()));
        }
        for (int i = 0; i < workers.size(); i++) {
            queue.add(DONE);
        }
        for (Future<?> f : workers) {
            try {
                f.get();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception ex ? ex : new RuntimeException(e.getCause());
            }
        }
        rethrow();
        long t0 = firstStart;
        say.accept(String.format(Locale.ROOT, "Indexes and constraints built: %d entries in %.1f s since the first began", count,
                t0 == 0 ? 0.0 : (System.nanoTime() - t0) / 1e9));
    }

    private void work(Db target) throws SQLException {
        try (Connection c = target.open("tsmigrate-bootstrap-index")) {
            while (true) {
                Job job = queue.take();
                if (job == DONE || failure != null) {
                    return;
                }
                if (firstStart == 0) {
                    firstStart = System.nanoTime();
                }
                try {
                    SchemaCopier.executeOnce(c, job.sql());
                } catch (SQLException e) {
                    failure = e;
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
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

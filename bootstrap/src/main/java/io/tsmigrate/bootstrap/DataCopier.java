package io.tsmigrate.bootstrap;

import io.tsmigrate.common.StateStore;
import io.tsmigrate.common.Ident;

import io.tsmigrate.common.Db;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongConsumer;

/**
 * Copies pieces database to database with parallel workers. Each worker imports the exported snapshot once
 * ({@code SET TRANSACTION SNAPSHOT}) and streams {@code COPY ... TO STDOUT} from the source into
 * {@code COPY ... FROM STDIN} on the target ({@link CopyRelay}). A piece's rows and its done-mark commit in one
 * target transaction.
 */
final class DataCopier {

    private final Db source;
    private final Db target;
    private final String snapshot;
    private final Map<String, TableInfo> tables;
    private final boolean binary;
    /** Tables copied as text even where the copy is binary: they have columns of OID alias types ({@link SourceCatalog#OID_ALIAS_TABLES}). */
    private final java.util.Set<String> textOnly;
    private final Progress progress;
    private final ChunkBuilds builds;

    DataCopier(Db source, Db target, String snapshot, Map<String, TableInfo> tables, boolean binary, java.util.Set<String> textOnly,
            ChunkBuilds builds, Progress progress) {
        this.textOnly = textOnly;
        this.builds = builds;
        this.source = source;
        this.target = target;
        this.snapshot = snapshot;
        this.tables = tables;
        this.binary = binary;
        this.progress = progress;
    }

    /** Told the id of each table whose last piece is copied, on the copying thread; may throw to stop the copy. */
    interface TableCopied {
        void accept(String table) throws SQLException;
    }

    /** Copies the pieces on {@code jobs} connections; {@code copied} hears of each table once its pieces are all in. */
    void copy(List<Piece> pieces, int jobs, TableCopied copied) throws Exception {
        Queue<Piece> queue = new ConcurrentLinkedQueue<>(pieces);
        Map<String, AtomicInteger> left = new ConcurrentHashMap<>();
        pieces.forEach(p -> left.computeIfAbsent(p.table(), k -> new AtomicInteger()).incrementAndGet());
        ExecutorService pool = Executors.newFixedThreadPool(jobs, r -> {
            Thread t = new Thread(r, "tsmigrate-copy");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<?>> futures = new java.util.ArrayList<>();
            boolean makesChunks = pieces.stream().anyMatch(p -> p.span() != null || p.chunk() != null);
            int workers = Math.min(jobs, pieces.size());
            for (int i = 0; i < workers; i++) {
                futures.add(pool.submit(() -> {
                    worker(queue, left, copied, makesChunks, KeyOrder.budget(workers));
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    Throwable cause = e.getCause();
                    throw cause instanceof Exception ex ? ex : new RuntimeException(cause);
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * @param makesChunks whether pieces make target chunks: they are made on a connection of their own, each committed
     *                    at once, because TimescaleDB holds a lock on the hypertable from making a chunk to the end of
     *                    that transaction, and another worker's next chunk would wait for this worker's whole piece
     * @param holds       bytes of a chunk's rows the worker may hold to put them in key order ({@link KeyOrder})
     */
    private void worker(Queue<Piece> queue, Map<String, AtomicInteger> left, TableCopied copied, boolean makesChunks, long holds) throws SQLException {
        try (Connection src = source.openForCopy("tsmigrate-bootstrap-copy"); Connection tgt = target.open("tsmigrate-bootstrap-copy");
             Connection chunks = makesChunks ? target.open("tsmigrate-bootstrap-chunks") : null) {
            importSnapshot(src, snapshot);
            tgt.setAutoCommit(false);
            boolean flushes = handsOverCounts(tgt);
            KeyOrder order = new KeyOrder(holds);
            Piece piece;
            while ((piece = queue.poll()) != null) {
                copyPiece(src, tgt, chunks, piece, flushes, order);
                if (left.get(piece.table()).decrementAndGet() == 0) {
                    copied.accept(piece.table());
                }
            }
            src.commit();
        }
    }

    /**
     * Joins the exported snapshot; fails with the bootstrap's message when it is gone.
     *
     * @throws BootstrapException when the snapshot no longer exists
     */
    static void importSnapshot(Connection src, String snapshot) throws SQLException {
        src.setAutoCommit(false);
        src.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
        src.setReadOnly(true);
        try (Statement st = src.createStatement()) {
            st.execute("SET TRANSACTION SNAPSHOT " + Ident.literal(snapshot));
        } catch (SQLException e) {
            if ("22023".equals(e.getSQLState()) || String.valueOf(e.getMessage()).contains("snapshot")) {
                throw new BootstrapException("the exported snapshot " + snapshot + " of the earlier run is gone (the process that held it ended), "
                        + "so the copy cannot resume without mixing data from two points in time; rerun with --restart to drop the slot and "
                        + "start over", e);
            }
            throw e;
        }
    }

    /** Whether the target hands a backend's row counts to its statistics when asked (PostgreSQL 15 and later). */
    static boolean handsOverCounts(Connection tgt) throws SQLException {
        return tgt.getMetaData().getDatabaseMajorVersion() >= 15;
    }

    /**
     * Copies one piece and commits it with its done-mark; then hands its row counts over and analyzes its chunks.
     *
     * @param flushes whether the target hands a backend's row counts to its statistics when asked
     *                ({@link #handsOverCounts}). A backend does so when idle, at most once a second, while an ANALYZE
     *                of the table (the chunks' below, or the index jobs' once the table is complete) sets its count of
     *                rows changed since to zero at once: the piece's rows, counted later, would count as changed since
     *                that ANALYZE, and autovacuum would analyze the table again. {@code pg_stat_force_next_flush}
     *                makes the backend hand them over at its next idle moment: after the commit that follows it,
     *                before its reply.
     * @param order   the job's {@link KeyOrder}, for the chunks of a table whose rows it can put in key order
     */
    private void copyPiece(Connection src, Connection tgt, Connection chunks, Piece piece, boolean flushes, KeyOrder order) throws SQLException {
        TableInfo t = tables.get(piece.table());
        LongConsumer moved = b -> progress.bytes(piece.table(), b);
        List<ChunkPieces.Chunk> filled = new ArrayList<>();
        boolean binary = this.binary && !textOnly.contains(piece.table());
        try {
            long rows = piece.chunk() != null ? CompressedCopy.copy(src, tgt, chunks, piece, t, binary, moved)
                    : piece.span() != null ? ChunkPieces.copy(src, tgt, chunks, piece, t, binary, builds.of(piece.table()), moved, filled::add, order)
                    : copyRows(src, tgt, piece, t, binary, moved);
            progress.rows(piece.table(), rows);
            StateStore.pieceDone(tgt, piece.table(), piece.no(), rows);
            tgt.commit();
        } catch (SQLException e) {
            tgt.rollback();
            throw new SQLException("copying " + what(piece) + " failed: " + e.getMessage(), e.getSQLState(), e);
        }
        if (flushes) {
            try (Statement st = tgt.createStatement()) {
                st.execute("SELECT pg_catalog.pg_stat_force_next_flush()");
            }
            tgt.commit();
        }
        if (builds.analyzesChunks(piece.table())) {
            analyze(tgt, piece, filled);
        }
    }

    /**
     * ANALYZE of the chunks a piece filled, after its commit and its row counts (see {@link #copyPiece}; the table's
     * chunks are analyzed here only where those are handed over: {@link ChunkBuilds#analyzesChunks}). A bootstrap
     * killed before it leaves the chunk to the closing ANALYZE (it has no statistics then; {@link TargetAnalyze}).
     */
    private static void analyze(Connection tgt, Piece piece, List<ChunkPieces.Chunk> filled) throws SQLException {
        try (Statement st = tgt.createStatement()) {
            for (ChunkPieces.Chunk c : filled) {
                st.execute("ANALYZE " + c.qualified());
                tgt.commit();
            }
        } catch (SQLException e) {
            tgt.rollback();
            throw new SQLException("analyzing the chunks of " + what(piece) + " failed: " + e.getMessage(), e.getSQLState(), e);
        }
    }

    private static String what(Piece piece) {
        return piece.chunk() != null ? "chunk " + piece.chunk() + " of " + piece.table() : piece.table() + " (piece " + piece.no() + ")";
    }

    /** The piece's rows into the table (TimescaleDB routes them when it is a hypertable). */
    private long copyRows(Connection src, Connection tgt, Piece piece, TableInfo t, boolean binary, LongConsumer moved) throws SQLException {
        String cols = t.columnList();
        String format = binary ? " WITH (FORMAT binary)" : "";
        String out = "COPY (SELECT " + cols + " FROM " + t.sourceRelation() + " WHERE " + piece.where() + ") TO STDOUT" + format;
        // A table without columns (all dropped) still has rows: COPY takes no column list for it.
        String in = "COPY " + t.qualified() + (cols.isEmpty() ? "" : " (" + cols + ")") + " FROM STDIN" + format;
        return CopyRelay.stream(src, tgt, out, in, moved);
    }
}

package io.tsmigrate.sink;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTask;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The sink task: buffers records, applies them in one target transaction per flush together with their
 * Kafka offsets, and owns the error policy (retry transient errors, isolate and dead-letter bad records).
 * Offsets live in the target ({@link OffsetStore}): on {@link #open} the task seeks to them, every flush
 * skips what is already applied, and {@link #preCommit} reports what the target has committed, so every
 * record takes effect exactly once.
 *
 * <p>Writes are pipelined: a full buffer goes to the task's writer thread, which renders and writes it while
 * Connect polls and converts the next records, so the worker's CPU and the target's work overlap. At most one
 * write is in flight; the next flush (and every use of the connection from Connect's thread) waits for it. A
 * write that fails is applied again on Connect's thread, where the error policy runs as for any flush, so
 * nothing is lost, repeated or reported late. Called by one Connect thread.
 */
public final class TimescaleSinkTask extends SinkTask {

    private static final Logger LOG = LoggerFactory.getLogger(TimescaleSinkTask.class);

    private TimescaleSinkConfig config;
    private String connectorName;
    private EventReader reader;
    private OffsetStore offsetStore;
    private final MetadataCache metadata = new MetadataCache();
    private final SinkMetrics metrics = new SinkMetrics();
    private Applier applier;
    private KeyMoves keyMoves;
    private TruncateBarriers barriers;
    private TargetSession session;
    private DeadLetters deadLetters;
    private final List<Buffered> buffer = new ArrayList<>();
    /** Records an apply on this thread left for a later flush ({@link Applier.Result#held}), in buffer order. */
    private final List<Buffered> heldBack = new ArrayList<>();
    private final Map<TopicPartition, Long> bufferedMax = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private long lastFlushAt = System.currentTimeMillis();
    /** Runs the in-flight write; the task's thread and it never use the connection at the same time. */
    private ExecutorService writerThread;
    private Future<Applier.Result> inFlight;
    private List<Buffered> inFlightItems = List.of();
    private int retries;
    /** Until when a transient error's backoff runs (epoch ms). */
    private long retryNotBefore;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        config = new TimescaleSinkConfig(props);
        connectorName = props.getOrDefault("name", "tsmigrate-sink");
        reader = new EventReader(new TableRouter(config.tableNameFormat()));
        offsetStore = new OffsetStore(connectorName, config.stateSchema());
        keyMoves = new KeyMoves(config.stateSchema());
        barriers = new TruncateBarriers(config.stateSchema());
        applier = new Applier(config, offsetStore, metadata, keyMoves, barriers);
        session = new TargetSession(config, connectorName, offsetStore, keyMoves, barriers, metadata);
        deadLetters = new DeadLetters(context, metrics);
        metrics.register(connectorName, taskId(props), config.logInterval().toMillis());
        String threadName = "tsmigrate-sink-writer-" + connectorName + "-" + taskId(props);
        writerThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        LOG.info("Starting the Timescale sink {} against {}", connectorName, Redact.url(config.url()));
    }

    private static int taskId(Map<String, String> props) {
        try {
            return Integer.parseInt(props.getOrDefault("task.id", "0"));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        settle();
        for (int attempt = 1; ; attempt++) {
            try {
                session.ensure();
                Map<TopicPartition, Position> stored = offsetStore.open(session.connection(), partitions);
                session.connection().commit();
                for (TopicPartition tp : partitions) {
                    long offset = stored.getOrDefault(tp, Position.NONE).offset();
                    committed.put(tp, offset);
                    if (offset >= 0) {
                        context.offset(tp, offset + 1);
                    }
                }
                LOG.info("Opened {} partition(s); resuming after the offsets stored in the target: {}", partitions.size(), stored);
                return;
            } catch (SQLException e) {
                session.close();
                if (!ErrorClassifier.isTransient(e) || attempt > config.maxRetries()) {
                    throw new ConnectException("cannot read the stored offsets from the target: " + e.getMessage(), e);
                }
                LOG.warn("Reading stored offsets failed (attempt {}), retrying: {}", attempt, e.getMessage());
                sleep(backoff(attempt));
            }
        }
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        long backoffLeft = retryNotBefore - System.currentTimeMillis();
        if (backoffLeft > 0 && !buffer.isEmpty()) {
            // Connect redelivers earlier than asked when an offset commit falls due; keep to the backoff without
            // touching the target, and without taking more records into the buffer meanwhile.
            context.timeout(backoffLeft);
            throw new RetriableException("the target failed; retrying in " + backoffLeft + " ms");
        }
        for (SinkRecord r : records) {
            TopicPartition tp = new TopicPartition(r.topic(), r.kafkaPartition());
            long floor = Math.max(committed.getOrDefault(tp, -1L), bufferedMax.getOrDefault(tp, -1L));
            if (r.kafkaOffset() <= floor) {
                continue;
            }
            ChangeEvent event;
            try {
                event = reader.read(r);
            } catch (DataException e) {
                flushNow();
                deadLetters.report(new Buffered(r, null), e);
                skipRecord(new Buffered(r, null));
                continue;
            }
            buffer.add(new Buffered(r, event));
            bufferedMax.put(tp, r.kafkaOffset());
        }
        if (buffer.size() >= config.batchSize() || System.currentTimeMillis() - lastFlushAt >= config.flushInterval().toMillis()) {
            flush();
        }
        if (!buffer.isEmpty() || inFlight != null) {
            // Connect polls until its next offset commit (offset.flush.interval.ms, 60 s by default) and calls put()
            // only when records come; ask to be called again when the flush interval ends, so the tail of a burst
            // lands within flush.interval.ms whatever the worker's settings (and records a write in flight holds back
            // for a later flush come back to the buffer then).
            long left = config.flushInterval().toMillis() - (System.currentTimeMillis() - lastFlushAt);
            context.timeout(Math.max(1, left));
        }
    }

    @Override
    public Map<TopicPartition, OffsetAndMetadata> preCommit(Map<TopicPartition, OffsetAndMetadata> currentOffsets) {
        // While a transient error's backoff runs, leave the retry to put() (Connect redelivers after the timeout),
        // so an offset commit neither hammers the target nor counts as a retry.
        if (System.currentTimeMillis() >= retryNotBefore) {
            try {
                flush();
            } catch (RuntimeException e) {
                // put() raises the same error on its next call; here only report what the target holds. Ask for that
                // call now: Connect calls put() only when records come or a timeout asked for ends, and without it
                // a failure first seen here (a pipelined write) would be retried by each offset commit forever.
                LOG.debug("Flush before offset commit deferred: {}", e.getMessage());
                context.timeout(1);
            }
        }
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TopicPartition tp : currentOffsets.keySet()) {
            Long offset = committed.get(tp);
            if (offset != null && offset >= 0) {
                out.put(tp, new OffsetAndMetadata(offset + 1));
            }
        }
        return out;
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        // What is in flight belongs to partitions this task still owns until close returns: let it land.
        settle();
        buffer.removeIf(b -> partitions.contains(b.partition()));
        partitions.forEach(tp -> {
            bufferedMax.remove(tp);
            committed.remove(tp);
        });
    }

    @Override
    public void stop() {
        if (inFlight != null) {
            try {
                // A write that fails now is not retried: its records and offsets are not in the target, so the
                // next owner of the partitions reads them again.
                inFlight.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (ExecutionException e) {
                LOG.info("The last write before stopping failed; the next task applies its records again: {}", e.getCause().getMessage());
            }
            inFlight = null;
        }
        if (writerThread != null) {
            writerThread.shutdownNow();
        }
        session.close();
        metrics.unregister();
    }

    /**
     * Hands everything buffered to the writer thread, after the previous write has landed. Throws what
     * {@link #flushNow} throws when that previous write failed and applying it again fails too.
     */
    private void flush() {
        lastFlushAt = System.currentTimeMillis();
        drain();
        if (buffer.isEmpty()) {
            return;
        }
        try {
            session.ensure();
        } catch (SQLException | RuntimeException e) {
            flushNow();
            return;
        }
        List<Buffered> items = Buffered.takeBatch(buffer);
        if (items.isEmpty()) {
            return;
        }
        inFlightItems = items;
        long t0 = System.nanoTime();
        inFlight = writerThread.submit(() -> {
            try {
                return retryHeld(applyAndCommit(items, Set.of(), t0), t0);
            } catch (SQLException | RuntimeException e) {
                session.rollback();
                throw e;
            }
        });
    }

    /**
     * Records held back for another partition ({@link Holds}: a key change's new row waiting for its old row's stash, a
     * TRUNCATE waiting for every partition) are tried again here, on the writer thread, every few milliseconds for up
     * to the flush interval: the other partition's task commits what they wait for at any moment, and a wait that
     * lasted until the next flush would make a burst of such changes crawl. Returns the results merged.
     */
    private Applier.Result retryHeld(Applier.Result first, long t0) throws SQLException, InterruptedException {
        Applier.Result result = first;
        long until = System.nanoTime() + config.flushInterval().toNanos();
        while (!result.held().isEmpty() && System.nanoTime() < until) {
            if (result.records() == 0) {
                Thread.sleep(20);
            }
            Applier.Result next = applyAndCommit(result.held(), Set.of(), t0);
            Map<TopicPartition, Position> positions = new HashMap<>(result.positions());
            positions.putAll(next.positions());
            result = new Applier.Result(next.records(), positions, Math.max(result.lastLsn(), next.lastLsn()),
                    Math.max(result.lastSourceTsMs(), next.lastSourceTsMs()), next.held());
        }
        return result;
    }

    /**
     * Waits for the write in flight. When it failed, its records go back to the front of the buffer and are
     * applied here, on Connect's thread, with the whole error policy ({@link #flushNow}).
     */
    private void drain() {
        if (settle()) {
            flushNow();
        }
    }

    /**
     * Waits for the write in flight without applying a failed one again ({@link #open} and {@link #close} must
     * not fail on a write).
     *
     * @return whether it failed; its records are then back at the front of the buffer
     */
    private boolean settle() {
        if (inFlight == null) {
            return false;
        }
        Future<Applier.Result> pending = inFlight;
        List<Buffered> items = inFlightItems;
        inFlight = null;
        inFlightItems = List.of();
        try {
            Applier.Result result = pending.get();
            result.positions().forEach((tp, position) -> committed.put(tp, position.offset()));
            // Records left for a later flush precede whatever was buffered meanwhile.
            buffer.addAll(0, result.held());
            retries = 0;
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            buffer.addAll(0, items);
            throw new ConnectException("interrupted while waiting for a write to the target", e);
        } catch (ExecutionException e) {
            LOG.info("A write failed; its {} record(s) go back to the buffer: {}", items.size(), e.getCause().getMessage());
            buffer.addAll(0, items);
            return true;
        }
    }

    /** Applies everything buffered on this thread, or throws {@link RetriableException} with the buffer kept. */
    private void flushNow() {
        lastFlushAt = System.currentTimeMillis();
        drain();
        if (buffer.isEmpty()) {
            return;
        }
        try {
            session.ensure();
            List<Buffered> items = Buffered.takeBatch(buffer);
            heldBack.clear();
            try {
                applyIsolating(items);
            } catch (SQLException | RuntimeException e) {
                // What a split applied is in the target: put back only what it did not (the offsets skip the rest anyway).
                buffer.addAll(0, items);
                throw e;
            }
            buffer.addAll(0, heldBack);
            heldBack.clear();
            retries = 0;
        } catch (SQLException | RuntimeException e) {
            if (!ErrorClassifier.isTransient(e) || e instanceof TargetShapeException) {
                throw e instanceof ConnectException ce ? ce : new ConnectException(e.getMessage(), e);
            }
            session.close();
            retries++;
            metrics.retried();
            if (retries > config.maxRetries()) {
                throw new ConnectException("the target database kept failing, giving up after " + config.maxRetries() + " retries: " + e.getMessage(), e);
            }
            long wait = backoff(retries);
            retryNotBefore = System.currentTimeMillis() + wait;
            LOG.warn("Transient error from the target (retry {} of {} in {} ms): {}", retries, config.maxRetries(), wait, e.getMessage());
            context.timeout(wait);
            throw new RetriableException(e.getMessage(), e);
        }
    }

    /**
     * Applies {@code items} in one transaction. On a data error, splits them in halves (each a prefix or
     * suffix of every partition's records, so offsets stay exact) until the bad record is alone, then
     * reports it and applies the rest.
     */
    private void applyIsolating(List<Buffered> items) throws SQLException {
        Set<TopicPartition> held = new HashSet<>();
        applyIsolating(items, held);
    }

    /** @param held partitions whose records were held for a later flush: their later records must wait too (order) */
    private void applyIsolating(List<Buffered> items, Set<TopicPartition> held) throws SQLException {
        try {
            applyInTransaction(items, held);
        } catch (SQLException | DataException e) {
            session.rollback();
            if (ErrorClassifier.isTransient(e)) {
                throw e;
            }
            if (items.size() == 1) {
                deadLetters.report(items.get(0), e);
                skipRecord(items.get(0));
                return;
            }
            int half = items.size() / 2;
            applyIsolating(items.subList(0, half), held);
            applyIsolating(items.subList(half, items.size()), held);
        } catch (RuntimeException e) {
            session.rollback();
            throw e;
        }
    }

    private void applyInTransaction(List<Buffered> items, Set<TopicPartition> held) throws SQLException {
        Applier.Result result = applyAndCommit(items, held, System.nanoTime());
        result.positions().forEach((tp, position) -> committed.put(tp, position.offset()));
        if (!result.held().isEmpty()) {
            result.held().forEach(b -> held.add(b.partition()));
            heldBack.addAll(result.held());
        }
    }

    /** One target transaction: applies {@code items} (records of {@code held} partitions wait), commits, counts it. */
    private Applier.Result applyAndCommit(List<Buffered> items, Set<TopicPartition> held, long t0) throws SQLException {
        Applier.Result result = applier.apply(session.connection(), session.writer(), items, held);
        session.commit();
        metrics.flushed(result, session.writer().rowsWritten(), (System.nanoTime() - t0) / 1e6);
        return result;
    }

    /** Marks a record consumed without applying it (after it was reported). */
    private void skipRecord(Buffered b) {
        try {
            session.ensure();
            applyInTransaction(List.of(new Buffered(b.record(), null)), new HashSet<>());
        } catch (SQLException e) {
            session.rollback();
            throw new RetriableException("cannot record the offset of a dead-lettered record: " + e.getMessage(), e);
        }
    }

    private long backoff(int attempt) {
        long base = Math.max(1, config.retryBackoff().toMillis());
        return Math.min(30_000L, base << Math.min(attempt - 1, 15));
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("interrupted", e);
        }
    }
}

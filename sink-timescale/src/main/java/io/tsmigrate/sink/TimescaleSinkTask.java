package io.tsmigrate.sink;

import io.tsmigrate.sink.buffer.Buffered;
import io.tsmigrate.sink.buffer.RecordBuffer;
import io.tsmigrate.sink.read.ChangeEvent;
import io.tsmigrate.sink.read.EventReader;
import io.tsmigrate.sink.read.TableRouter;
import io.tsmigrate.sink.sql.MetadataCache;
import io.tsmigrate.sink.write.Applier;
import io.tsmigrate.sink.write.KeyMoves;
import io.tsmigrate.sink.write.OffsetStore;
import io.tsmigrate.sink.write.Position;
import io.tsmigrate.sink.write.TargetSession;
import io.tsmigrate.sink.write.TruncateBarriers;

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
import java.util.List;
import java.util.Map;

/**
 * The sink task: buffers records ({@link RecordBuffer}) and applies them in one target transaction per flush together with their
 * Kafka offsets ({@link FlushTransactions}, which also isolates and dead-letters bad records), on the target
 * connection of a {@link TargetSession}; a failed flush is retried or stops the task as {@link RetryPolicy} says.
 * Offsets live in the target ({@link OffsetStore}): on {@link #open} the task seeks to them, every flush
 * skips what is already applied, and {@link #preCommit} reports what the target has committed, so every
 * record takes effect exactly once.
 *
 * <p>Writes are pipelined: a full buffer goes to the task's {@link WriterThread}, which renders and writes it while
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
    private final MetadataCache metadata = new MetadataCache();
    private final SinkMetrics metrics = new SinkMetrics();
    private TargetSession session;
    private FlushTransactions transactions;
    private final RecordBuffer buffer = new RecordBuffer();
    /** Records an apply on this thread left for a later flush ({@link Applier.Result#held}), in buffer order. */
    private final List<Buffered> heldBack = new ArrayList<>();
    private long lastFlushAt = System.currentTimeMillis();
    /** Runs the in-flight write; the task's thread and it never use the connection at the same time. */
    private WriterThread writerThread;
    private RetryPolicy retry;

    @Override
    public String version() {
        return Version.get();
    }

    @Override
    public void start(Map<String, String> props) {
        config = new TimescaleSinkConfig(props);
        connectorName = props.getOrDefault("name", "tsmigrate-sink");
        reader = new EventReader(new TableRouter(config.tableNameFormat()));
        OffsetStore offsetStore = new OffsetStore(connectorName, config.stateSchema());
        KeyMoves keyMoves = new KeyMoves(config.stateSchema());
        TruncateBarriers barriers = new TruncateBarriers(config.stateSchema());
        session = new TargetSession(config, connectorName, offsetStore, keyMoves, barriers, metadata);
        transactions = new FlushTransactions(config, session, new Applier(config, offsetStore, metadata, keyMoves, barriers), metrics,
                new DeadLetters(context, metrics), this::landed);
        retry = new RetryPolicy(config.maxRetries(), config.retryBackoff().toMillis(), metrics);
        metrics.register(connectorName, TimescaleSinkConfig.taskId(props), config.logInterval().toMillis());
        writerThread = new WriterThread("tsmigrate-sink-writer-" + connectorName + "-" + TimescaleSinkConfig.taskId(props));
        LOG.info("Starting the Timescale sink {} against {}", connectorName, Redact.url(config.url()));
    }

    @Override
    public void open(Collection<TopicPartition> partitions) {
        settle();
        Map<TopicPartition, Position> stored = session.storedOffsets(partitions, retry);
        for (TopicPartition tp : partitions) {
            long offset = stored.getOrDefault(tp, Position.NONE).offset();
            buffer.committed(tp, offset);
            if (offset >= 0) {
                context.offset(tp, offset + 1);
            }
        }
        LOG.info("Opened {} partition(s); resuming after the offsets stored in the target: {}", partitions.size(), stored);
    }

    @Override
    public void put(Collection<SinkRecord> records) {
        long backoffLeft = retry.backoffLeft();
        if (backoffLeft > 0 && !buffer.isEmpty()) {
            // Connect redelivers earlier than asked when an offset commit falls due; keep to the backoff without
            // touching the target, and without taking more records into the buffer meanwhile.
            context.timeout(backoffLeft);
            throw new RetriableException("the target failed; retrying in " + backoffLeft + " ms");
        }
        for (SinkRecord r : records) {
            if (!buffer.isNew(r)) {
                continue;
            }
            ChangeEvent event;
            try {
                event = reader.read(r);
            } catch (DataException e) {
                flushNow();
                transactions.report(new Buffered(r, null), e);
                continue;
            }
            buffer.add(new Buffered(r, event));
        }
        if (buffer.size() >= config.batchSize() || System.currentTimeMillis() - lastFlushAt >= config.flushInterval().toMillis()) {
            flush();
        }
        if (!buffer.isEmpty() || writerThread.busy()) {
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
        if (retry.backoffLeft() <= 0) {
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
        return buffer.toCommit(currentOffsets.keySet());
    }

    @Override
    public void close(Collection<TopicPartition> partitions) {
        // What is in flight belongs to partitions this task still owns until close returns: let it land.
        settle();
        buffer.forget(partitions);
    }

    @Override
    public void stop() {
        if (writerThread != null) {
            writerThread.stop();
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
        List<Buffered> items = buffer.take();
        if (items.isEmpty()) {
            return;
        }
        long t0 = System.nanoTime();
        writerThread.submit(items, () -> transactions.applyRetryingHeld(items, t0));
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
        WriterThread.Settled settled = writerThread.settle();
        if (settled == null) {
            return false;
        }
        if (settled.result() == null) {
            buffer.putBack(settled.failed());
            if (settled.interrupted()) {
                throw new ConnectException("interrupted while waiting for a write to the target");
            }
            return true;
        }
        settled.result().positions().forEach((tp, position) -> buffer.committed(tp, position.offset()));
        // Records left for a later flush precede whatever was buffered meanwhile.
        buffer.putBack(settled.result().held());
        retry.succeeded();
        return false;
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
            List<Buffered> items = buffer.take();
            heldBack.clear();
            try {
                transactions.applyIsolating(items);
            } catch (SQLException | RuntimeException e) {
                // What a split applied is in the target: put back only what it did not (the offsets skip the rest anyway).
                buffer.putBack(items);
                throw e;
            }
            buffer.putBack(heldBack);
            heldBack.clear();
            retry.succeeded();
        } catch (SQLException | RuntimeException e) {
            RuntimeException answer = retry.failed(e);
            if (answer instanceof RetriableException) {
                session.close();
                context.timeout(retry.backoffLeft());
            }
            throw answer;
        }
    }

    /** A flush transaction on this thread committed ({@link FlushTransactions#applyIsolating}, {@link FlushTransactions#report}). */
    private void landed(Applier.Result result) {
        result.positions().forEach((tp, position) -> buffer.committed(tp, position.offset()));
        heldBack.addAll(result.held());
    }
}

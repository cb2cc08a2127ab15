package io.tsmigrate.sink;

import io.tsmigrate.sink.buffer.Buffered;
import io.tsmigrate.sink.buffer.RecordBuffer;
import io.tsmigrate.sink.write.Applier;
import io.tsmigrate.sink.write.TargetSession;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.apache.kafka.connect.sink.SinkTaskContext;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The task's write pipeline: hands the buffer to the {@link WriterThread}, which renders and writes it while Connect
 * polls and converts the next records, so the worker's CPU and the target's work overlap. At most one write is in
 * flight; the next flush (and every use of the connection from Connect's thread) waits for it. A write that fails is
 * applied again on Connect's thread ({@link #flushNow}), where the error policy ({@link RetryPolicy}, isolation and
 * dead letters in {@link FlushTransactions}) runs as for any flush, so nothing is lost, repeated or reported late.
 * What lands moves the buffer's committed offsets. Called by the task's thread only.
 */
final class WritePipeline {

    private final RecordBuffer buffer;
    private final TargetSession session;
    private final FlushTransactions transactions;
    private final WriterThread writerThread;
    private final RetryPolicy retry;
    private final SinkTaskContext context;
    /** Records an apply on this thread left for a later flush ({@link Applier.Result#held}), in buffer order. */
    private final List<Buffered> heldBack = new ArrayList<>();
    private long lastFlushAt = System.currentTimeMillis();

    WritePipeline(RecordBuffer buffer, TargetSession session, Applier applier, TimescaleSinkConfig config, SinkMetrics metrics,
                  RetryPolicy retry, SinkTaskContext context, String threadName) {
        this.buffer = buffer;
        this.session = session;
        this.retry = retry;
        this.context = context;
        this.transactions = new FlushTransactions(config, session, applier, metrics, new DeadLetters(context, metrics), this::landed);
        this.writerThread = new WriterThread(threadName);
    }

    /** Milliseconds since the last flush began. */
    long sinceLastFlush() {
        return System.currentTimeMillis() - lastFlushAt;
    }

    /** Whether a write is in flight. */
    boolean busy() {
        return writerThread.busy();
    }

    /** Applies what is buffered, then reports a record that cannot be read and marks it consumed ({@link DeadLetters}). */
    void reportUnreadable(Buffered b, Exception error) {
        flushNow();
        transactions.report(b, error);
    }

    void stop() {
        writerThread.stop();
    }

    /**
     * Hands everything buffered to the writer thread, after the previous write has landed. Throws what
     * {@link #flushNow} throws when that previous write failed and applying it again fails too.
     */
    void flush() {
        if (!begin()) {
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

    /** Starts a flush: the previous write settled ({@link #drain}); whether anything is buffered to write. */
    private boolean begin() {
        lastFlushAt = System.currentTimeMillis();
        drain();
        return !buffer.isEmpty();
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
     * Waits for the write in flight without applying a failed one again (the task's {@code open} and {@code close}
     * must not fail on a write).
     *
     * @return whether it failed; its records are then back at the front of the buffer
     */
    boolean settle() {
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
    void flushNow() {
        if (!begin()) {
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

package io.tsmigrate.sink;

import io.tsmigrate.sink.buffer.Buffered;
import io.tsmigrate.sink.write.Applier;
import io.tsmigrate.sink.write.Position;
import io.tsmigrate.sink.write.TargetSession;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.errors.RetriableException;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The target transactions of a flush: each applies records with their offsets ({@link Applier}) and commits, and
 * every committed one is handed to the task ({@code landed}: its positions and the records it held back). Bad records
 * are isolated here: a transaction that fails on data is split until the bad record is alone, which is reported
 * ({@link DeadLetters}) and passed over. Used by one thread at a time (the task's or its writer thread).
 */
final class FlushTransactions {

    private final TimescaleSinkConfig config;
    private final TargetSession session;
    private final Applier applier;
    private final SinkMetrics metrics;
    private final DeadLetters deadLetters;
    private final Consumer<Applier.Result> landed;

    FlushTransactions(TimescaleSinkConfig config, TargetSession session, Applier applier, SinkMetrics metrics, DeadLetters deadLetters,
                      Consumer<Applier.Result> landed) {
        this.config = config;
        this.session = session;
        this.applier = applier;
        this.metrics = metrics;
        this.deadLetters = deadLetters;
        this.landed = landed;
    }

    /**
     * The writer thread's flush: applies {@code items}, then tries the records held back for another partition
     * ({@link Holds}: a key change's new row waiting for its old row's stash, a TRUNCATE waiting for every partition)
     * again every few milliseconds for up to the flush interval: the other partition's task commits what they wait
     * for at any moment, and a wait that lasted until the next flush would make a burst of such changes crawl.
     * Returns the results merged; not handed to {@code landed} (the task takes them when it settles the write).
     */
    Applier.Result applyRetryingHeld(List<Buffered> items, long t0) throws SQLException, InterruptedException {
        try {
            Applier.Result result = applyAndCommit(items, Set.of(), t0);
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
        } catch (SQLException | RuntimeException e) {
            session.rollback();
            throw e;
        }
    }

    /**
     * Applies {@code items} in one transaction. On a data error, splits them in halves (each a prefix or suffix of
     * every partition's records, so offsets stay exact) until the bad record is alone, then reports it and applies
     * the rest. Each committed part goes to {@code landed} at once: when a later part fails, what the earlier ones
     * applied is known.
     */
    void applyIsolating(List<Buffered> items) throws SQLException {
        applyIsolating(items, new HashSet<>());
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
                report(items.get(0), e);
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

    /** Reports a record that cannot be applied ({@link DeadLetters}) and marks it consumed without applying it. */
    void report(Buffered b, Exception error) {
        deadLetters.report(b, error);
        try {
            session.ensure();
            applyInTransaction(List.of(new Buffered(b.record(), null)), new HashSet<>());
        } catch (SQLException e) {
            session.rollback();
            throw new RetriableException("cannot record the offset of a dead-lettered record: " + e.getMessage(), e);
        }
    }

    private void applyInTransaction(List<Buffered> items, Set<TopicPartition> held) throws SQLException {
        Applier.Result result = applyAndCommit(items, held, System.nanoTime());
        result.held().forEach(b -> held.add(b.partition()));
        landed.accept(result);
    }

    /** One target transaction: applies {@code items} (records of {@code held} partitions wait), commits, counts it. */
    private Applier.Result applyAndCommit(List<Buffered> items, Set<TopicPartition> held, long t0) throws SQLException {
        Applier.Result result = applier.apply(session.connection(), session.writer(), items, held);
        session.commit();
        metrics.flushed(result, session.writer().rowsWritten(), (System.nanoTime() - t0) / 1e6);
        return result;
    }
}

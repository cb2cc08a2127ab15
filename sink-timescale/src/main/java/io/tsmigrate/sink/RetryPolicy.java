package io.tsmigrate.sink;

import io.tsmigrate.sink.sql.TargetShapeException;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task's answer to a failed flush: a transient error of the target (connection lost, serialization failure,
 * deadlock, server shutting down; {@link ErrorClassifier}) is retried after an exponential backoff, up to
 * {@code max.retries} times in a row; anything else, and a target whose shape does not fit the records
 * ({@link TargetShapeException}), stops the task with the error. Not thread-safe: the task's thread.
 */
public final class RetryPolicy {

    private static final Logger LOG = LoggerFactory.getLogger(RetryPolicy.class);

    private final int maxRetries;
    private final long baseBackoffMs;
    private final SinkMetrics metrics;
    private int retries;
    /** Until when a transient error's backoff runs (epoch ms). */
    private long retryNotBefore;

    RetryPolicy(int maxRetries, long baseBackoffMs, SinkMetrics metrics) {
        this.maxRetries = maxRetries;
        this.baseBackoffMs = Math.max(1, baseBackoffMs);
        this.metrics = metrics;
    }

    /** How long the running backoff still lasts, in ms (0 or less when none runs). */
    long backoffLeft() {
        return retryNotBefore - System.currentTimeMillis();
    }

    /** A flush succeeded: the next failure is the first again. */
    void succeeded() {
        retries = 0;
    }

    /**
     * A flush failed with {@code e}.
     *
     * @return the {@link RetriableException} to throw (the backoff in {@link #backoffLeft}) when it is retried, else the
     *         {@link ConnectException} that stops the task
     */
    RuntimeException failed(Exception e) {
        if (!ErrorClassifier.isTransient(e) || e instanceof TargetShapeException) {
            return e instanceof ConnectException ce ? ce : new ConnectException(e.getMessage(), e);
        }
        retries++;
        metrics.retried();
        if (retries > maxRetries) {
            return new ConnectException("the target database kept failing, giving up after " + maxRetries + " retries: " + e.getMessage(), e);
        }
        long wait = backoff(retries);
        retryNotBefore = System.currentTimeMillis() + wait;
        LOG.warn("Transient error from the target (retry {} of {} in {} ms): {}", retries, maxRetries, wait, e.getMessage());
        return new RetriableException(e.getMessage(), e);
    }

    /** Whether an error on the {@code attempt}-th try of something outside a flush (reading offsets) is tried again. */
    public boolean again(Exception e, int attempt) {
        return ErrorClassifier.isTransient(e) && attempt <= maxRetries;
    }

    /** The wait before the {@code attempt}-th retry: doubling from {@code retry.backoff.ms}, at most 30 s. */
    public long backoff(int attempt) {
        return Math.min(30_000L, baseBackoffMs << Math.min(attempt - 1, 15));
    }
}

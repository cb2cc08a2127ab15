package io.tsmigrate.sink;

import io.tsmigrate.sink.buffer.Buffered;

import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.ErrantRecordReporter;
import org.apache.kafka.connect.sink.SinkRecord;
import org.apache.kafka.connect.sink.SinkTaskContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.ExecutionException;

/**
 * Reports a record the target refuses: to the worker's dead letter queue when the connector has one
 * ({@code errors.tolerance=all} with {@code errors.deadletterqueue.topic.name}), else by failing the task with the
 * record's place, the server's message and how to configure a dead letter queue.
 */
final class DeadLetters {

    private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

    private final SinkTaskContext context;
    private final SinkMetrics metrics;

    DeadLetters(SinkTaskContext context, SinkMetrics metrics) {
        this.context = context;
        this.metrics = metrics;
    }

    /** Reports {@code b}, waiting until the dead letter queue has it; throws when there is none. */
    void report(Buffered b, Exception error) {
        SinkRecord r = b.record();
        String where = "record at topic " + r.topic() + ", partition " + r.kafkaPartition() + ", offset " + r.kafkaOffset()
                + (b.event() == null ? "" : " for table " + b.event().table());
        ErrantRecordReporter reporter = null;
        try {
            reporter = context.errantRecordReporter();
        } catch (NoSuchMethodError | NoClassDefFoundError old) {
            // Workers before Kafka 2.6 have no dead letter queue for sinks.
        }
        if (reporter == null) {
            throw new ConnectException("cannot apply the " + where + ": " + describe(error)
                    + " (to send such records to a dead letter queue instead, set errors.tolerance=all and errors.deadletterqueue.topic.name)", error);
        }
        LOG.warn("Sending the {} to the dead letter queue: {}", where, describe(error));
        try {
            reporter.report(r, new DataException(where + ": " + describe(error), error)).get();
            metrics.deadLettered();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConnectException("interrupted while reporting a bad record", e);
        } catch (ExecutionException e) {
            throw new ConnectException("cannot report the " + where + " to the dead letter queue: " + e.getCause().getMessage(), e);
        }
    }

    /**
     * For the errors that source DDL the stream does not carry causes on the target: what happened and the fix. The
     * failed record is not committed, so once the target has the change the restarted task applies it: nothing is lost.
     */
    static String drift(String state, String message) {
        if ("23514".equals(state) && message.startsWith("no partition of relation")) {
            return "; a partition created on the source during the migration: create the same partition on the target (CREATE TABLE ... "
                    + "PARTITION OF ... FOR VALUES ..., as on the source), then restart the sink task, which applies this record again";
        }
        if ("22P02".equals(state) && message.startsWith("invalid input value for enum")) {
            return "; a value added to the type on the source during the migration: add it on the target too (ALTER TYPE ... ADD VALUE "
                    + "..., as on the source), then restart the sink task, which applies this record again";
        }
        return "";
    }

    /** The error's message, with the server's context (for COPY: the line and the column) when it has one. */
    static String describe(Exception error) {
        if (error instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null) {
            var m = p.getServerErrorMessage();
            StringBuilder sb = new StringBuilder(String.valueOf(m.getMessage()));
            if (m.getColumn() != null) {
                sb.append(" (column ").append(m.getColumn()).append(')');
            }
            if (m.getWhere() != null) {
                sb.append(" [").append(m.getWhere()).append(']');
            }
            if (m.getDetail() != null) {
                sb.append(" ").append(m.getDetail());
            }
            return sb.append(drift(m.getSQLState(), String.valueOf(m.getMessage()))).toString();
        }
        return error.getMessage();
    }
}

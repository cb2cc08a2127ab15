package io.tsmigrate.sink.sql;

import org.apache.kafka.connect.errors.ConnectException;

/**
 * The target's shape does not fit the events (a table, an index or a column type): no single record is at
 * fault, so the task stops rather than sending records to the dead letter queue.
 */
public class TargetShapeException extends ConnectException {
    public TargetShapeException(String message) {
        super(message);
    }
}

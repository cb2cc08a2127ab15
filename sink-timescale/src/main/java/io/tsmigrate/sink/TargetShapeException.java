package io.tsmigrate.sink;

import org.apache.kafka.connect.errors.ConnectException;

/**
 * The target's shape does not fit the events (a table, an index or a column type): no single record is at
 * fault, so the task stops rather than sending records to the dead letter queue.
 */
class TargetShapeException extends ConnectException {
    TargetShapeException(String message) {
        super(message);
    }
}

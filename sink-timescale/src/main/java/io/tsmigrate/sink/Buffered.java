package io.tsmigrate.sink;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;

import java.util.ArrayList;
import java.util.List;

/**
 * A record waiting to be applied, with the event read from it; a null event is a record the sink skips
 * (tombstone, heartbeat) whose offset still counts as consumed.
 */
record Buffered(SinkRecord record, ChangeEvent event) {

    TopicPartition partition() {
        return new TopicPartition(record.topic(), record.kafkaPartition());
    }

    long offset() {
        return record.kafkaOffset();
    }

    /** Takes everything buffered as the next batch. */
    static List<Buffered> takeBatch(List<Buffered> buffer) {
        List<Buffered> all = new ArrayList<>(buffer);
        buffer.clear();
        return all;
    }
}

package io.tsmigrate.sink.buffer;

import io.tsmigrate.sink.read.ChangeEvent;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;


/**
 * A record waiting to be applied, with the event read from it; a null event is a record the sink skips
 * (tombstone, heartbeat) whose offset still counts as consumed.
 */
public record Buffered(SinkRecord record, ChangeEvent event) {

    public TopicPartition partition() {
        return new TopicPartition(record.topic(), record.kafkaPartition());
    }

    public long offset() {
        return record.kafkaOffset();
    }
}

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

    /** Whether this is the DELETE half of a primary-key change, whose CREATE (with the old row's unchanged values) follows. */
    boolean startsKeyChange() {
        return event != null && event.deletesForKeyChange();
    }

    /**
     * Splits off the records to keep back from this flush: per partition, a trailing DELETE half of a key change
     * (and the tombstone after it). Its CREATE half takes unchanged TOASTed values from the old row, so both halves
     * are applied in one flush. Removes what is returned as the batch from {@code buffer}; the rest stays.
     */
    static List<Buffered> takeBatch(List<Buffered> buffer) {
        java.util.Map<TopicPartition, Integer> holdFrom = new java.util.HashMap<>();
        java.util.Set<TopicPartition> settled = new java.util.HashSet<>();
        for (int i = buffer.size() - 1; i >= 0; i--) {
            Buffered b = buffer.get(i);
            TopicPartition tp = b.partition();
            if (settled.contains(tp)) {
                continue;
            }
            if (b.event() == null && b.record().value() == null) {
                continue; // a tombstone: look at what precedes it
            }
            if (b.startsKeyChange()) {
                holdFrom.put(tp, i);
            }
            settled.add(tp);
        }
        if (holdFrom.isEmpty()) {
            List<Buffered> all = new ArrayList<>(buffer);
            buffer.clear();
            return all;
        }
        List<Buffered> batch = new ArrayList<>(buffer.size());
        List<Buffered> held = new ArrayList<>();
        for (int i = 0; i < buffer.size(); i++) {
            Buffered b = buffer.get(i);
            Integer from = holdFrom.get(b.partition());
            (from != null && i >= from ? held : batch).add(b);
        }
        buffer.clear();
        buffer.addAll(held);
        return batch;
    }
}

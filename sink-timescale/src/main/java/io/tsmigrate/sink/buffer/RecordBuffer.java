package io.tsmigrate.sink.buffer;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The records a sink task holds until its next flush, in arrival order, with each partition's highest buffered
 * offset and the offset the target has committed for it. A record at or below either is a redelivery and is not
 * taken again. Records a flush gives back (a failed write, records held for a later flush) go to the front, before
 * what arrived meanwhile. Not thread-safe: the task's thread only.
 */
public final class RecordBuffer {

    private final List<Buffered> records = new ArrayList<>();
    private final Map<TopicPartition, Long> bufferedMax = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();

    /** Whether {@code r} is past what is buffered and what the target has committed of its partition. */
    public boolean isNew(SinkRecord r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.kafkaPartition());
        return r.kafkaOffset() > Math.max(committed.getOrDefault(tp, -1L), bufferedMax.getOrDefault(tp, -1L));
    }

    public void add(Buffered b) {
        records.add(b);
        bufferedMax.put(b.partition(), b.offset());
    }

    public int size() {
        return records.size();
    }

    public boolean isEmpty() {
        return records.isEmpty();
    }

    /** Takes everything buffered as the next batch. */
    public List<Buffered> take() {
        List<Buffered> all = new ArrayList<>(records);
        records.clear();
        return all;
    }

    /** Puts records given back by a flush in front of what arrived meanwhile. */
    public void putBack(List<Buffered> items) {
        records.addAll(0, items);
    }

    /** The target committed the partition's records up to {@code offset} (-1: none). */
    public void committed(TopicPartition tp, long offset) {
        committed.put(tp, offset);
    }

    /** What Connect may commit to Kafka for the partitions it asks about: the next offset after the target's. */
    public Map<TopicPartition, OffsetAndMetadata> toCommit(Collection<TopicPartition> asked) {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (TopicPartition tp : asked) {
            Long offset = committed.get(tp);
            if (offset != null && offset >= 0) {
                out.put(tp, new OffsetAndMetadata(offset + 1));
            }
        }
        return out;
    }

    /** Forgets closed partitions: their records, buffered and committed offsets. */
    public void forget(Collection<TopicPartition> partitions) {
        records.removeIf(b -> partitions.contains(b.partition()));
        partitions.forEach(tp -> {
            bufferedMax.remove(tp);
            committed.remove(tp);
        });
    }
}

package io.tsmigrate.sink.buffer;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The task's buffer: redeliveries left out, records given back in front, offsets Connect may commit. */
class RecordBufferTest {

    private static final TopicPartition P0 = new TopicPartition("t", 0);
    private static final TopicPartition P1 = new TopicPartition("t", 1);

    private static SinkRecord record(TopicPartition p, long offset) {
        return new SinkRecord(p.topic(), p.partition(), null, null, null, "v", offset);
    }

    private static Buffered b(TopicPartition p, long offset) {
        return new Buffered(record(p, offset), null);
    }

    @Test
    void records_at_or_below_the_buffered_or_committed_offset_are_redeliveries() {
        RecordBuffer buffer = new RecordBuffer();
        buffer.committed(P0, 9);
        assertThat(buffer.isNew(record(P0, 9))).isFalse();
        assertThat(buffer.isNew(record(P0, 10))).isTrue();
        buffer.add(b(P0, 10));
        buffer.add(b(P0, 11));
        assertThat(buffer.isNew(record(P0, 11))).isFalse();
        assertThat(buffer.isNew(record(P0, 12))).isTrue();
        assertThat(buffer.isNew(record(P1, 0))).isTrue();
    }

    @Test
    void records_given_back_go_before_what_arrived_meanwhile() {
        RecordBuffer buffer = new RecordBuffer();
        buffer.add(b(P0, 1));
        buffer.add(b(P0, 2));
        List<Buffered> batch = buffer.take();
        assertThat(buffer.isEmpty()).isTrue();
        buffer.add(b(P0, 3));
        buffer.putBack(batch);
        assertThat(buffer.take().stream().map(Buffered::offset).toList()).containsExactly(1L, 2L, 3L);
    }

    @Test
    void connect_commits_the_offset_after_the_targets_and_nothing_for_a_partition_without_one() {
        RecordBuffer buffer = new RecordBuffer();
        buffer.committed(P0, 41);
        buffer.committed(P1, -1);
        assertThat(buffer.toCommit(Set.of(P0, P1))).containsOnlyKeys(P0).containsEntry(P0, new OffsetAndMetadata(42));
    }

    @Test
    void a_closed_partition_is_forgotten() {
        RecordBuffer buffer = new RecordBuffer();
        buffer.committed(P0, 5);
        buffer.add(b(P0, 6));
        buffer.add(b(P1, 0));
        buffer.forget(Set.of(P0));
        assertThat(buffer.size()).isEqualTo(1);
        assertThat(buffer.isNew(record(P0, 1))).isTrue();
        assertThat(buffer.toCommit(Set.of(P0))).isEmpty();
    }
}

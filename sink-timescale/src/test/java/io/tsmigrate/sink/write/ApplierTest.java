package io.tsmigrate.sink.write;

import io.tsmigrate.sink.buffer.Buffered;
import io.tsmigrate.sink.read.ChangeEvent;
import io.tsmigrate.sink.read.Op;
import io.tsmigrate.sink.read.Row;
import io.tsmigrate.sink.read.TableId;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** What a flush takes of its records (redelivery, held partitions, Debezium's resent changes) and in which order it applies them. */
class ApplierTest {

    private static final Schema ROW = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
    private static final TableId TABLE = new TableId("public", "t");
    private static final TopicPartition P0 = new TopicPartition("m.public.t", 0);
    private static final TopicPartition P1 = new TopicPartition("m.public.t", 1);

    /** A change at source position (commitLsn 100, changeLsn {@code lsn}) of transaction 7, {@code order} in it. */
    private static Buffered change(TopicPartition p, long offset, long lsn, long order, String header) {
        Struct after = new Struct(ROW).put("id", (int) offset);
        SinkRecord r = new SinkRecord(p.topic(), p.partition(), null, null, ROW, after, offset);
        if (header != null) {
            r.headers().addString(header, "{\"id\":0}");
        }
        Op op = ChangeEvent.NEW_KEY_HEADER.equals(header) ? Op.DELETE : Op.INSERT;
        return new Buffered(r, new ChangeEvent(r, TABLE, op, null, op == Op.DELETE ? null : Row.of(after), null, lsn, 1, 100, lsn, 7, order));
    }

    private static List<Long> offsets(Applier.Taking t) {
        return t.taken().stream().map(x -> x.b().offset()).toList();
    }

    @Test
    void records_at_or_below_the_stored_offset_are_not_taken_and_held_partitions_are_left_alone() {
        List<Buffered> items = List.of(change(P0, 4, 200, 1, null), change(P0, 5, 210, 2, null), change(P0, 6, 220, 3, null),
                change(P1, 1, 230, 4, null));
        Position stored = new Position(5, 100, 210, 7, 1, 1, 2);
        Applier.Taking t = Applier.take(items, Set.of(P1), Map.of(P0, stored));
        assertThat(offsets(t)).containsExactly(6L);
        assertThat(t.taken().get(0).apply()).isTrue();
        assertThat(t.taken().get(0).index()).isEqualTo(2);
        assertThat(t.replays()).isZero();
        // Nothing stored: everything is taken.
        assertThat(offsets(Applier.take(items, Set.of(), Map.of()))).containsExactly(4L, 5L, 6L, 1L);
    }

    @Test
    void changes_debezium_sends_again_after_a_restart_are_taken_but_not_applied() {
        // A COPY of three rows is one WAL position; two of its changes were applied when Debezium restarted and sent
        // the position's changes again from the first (orders 1, 2, 3) at new Kafka offsets.
        Position stored = new Position(12, 100, 200, 7, 2, 2, 2);
        List<Buffered> items = List.of(change(P0, 13, 200, 1, null), change(P0, 14, 200, 2, null), change(P0, 15, 200, 3, null),
                change(P0, 16, 250, 4, null));
        Applier.Taking t = Applier.take(items, Set.of(), Map.of(P0, stored));
        assertThat(offsets(t)).containsExactly(13L, 14L, 15L, 16L);
        assertThat(t.taken().stream().map(Holds.Taken::apply).toList()).containsExactly(false, false, true, true);
        assertThat(t.replays()).isEqualTo(2);
        // A change before the stored position (an earlier WAL record, sent again) is not applied either.
        Applier.Taking earlier = Applier.take(List.of(change(P0, 13, 150, 1, null)), Set.of(), Map.of(P0, stored));
        assertThat(earlier.taken()).singleElement().satisfies(x -> assertThat(x.apply()).isFalse());
        assertThat(earlier.replays()).isEqualTo(1);
    }

    @Test
    void a_copy_continuing_in_the_next_flush_is_applied_from_where_it_stopped() {
        // The flush before applied changes 1 and 2 of the position; the run continues (order 3 follows order 2).
        Position stored = new Position(12, 100, 200, 7, 2, 2, 2);
        Applier.Taking t = Applier.take(List.of(change(P0, 13, 200, 3, null)), Set.of(), Map.of(P0, stored));
        assertThat(t.taken()).singleElement().satisfies(x -> {
            assertThat(x.apply()).isTrue();
            assertThat(x.after().groupApplied()).isEqualTo(3);
        });
    }

    @Test
    void a_tables_changes_from_several_partitions_are_applied_in_source_order_the_delete_half_of_a_key_change_first() {
        List<Holds.Taken> taken = new ArrayList<>();
        List<Buffered> items = List.of(change(P0, 1, 300, 3, null), change(P1, 1, 200, 1, null),
                change(P0, 2, 250, 2, ChangeEvent.OLD_KEY_HEADER), change(P1, 2, 250, 2, ChangeEvent.NEW_KEY_HEADER));
        for (int i = 0; i < items.size(); i++) {
            taken.add(new Holds.Taken(i, items.get(i), Position.NONE, true));
        }
        assertThat(Applier.inSourceOrder(taken).stream().map(Holds.Taken::index).toList()).containsExactly(1, 3, 2, 0);
        // One partition: already in source order, kept as it is.
        List<Holds.Taken> one = taken.stream().filter(x -> x.b().partition().equals(P0)).toList();
        assertThat(Applier.inSourceOrder(one)).isSameAs(one);
    }
}

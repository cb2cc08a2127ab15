package io.tsmigrate.sink.buffer;

import io.tsmigrate.sink.read.ChangeEvent;
import io.tsmigrate.sink.read.Op;
import io.tsmigrate.sink.read.Row;
import io.tsmigrate.sink.read.TableId;
import io.tsmigrate.sink.sql.Column;
import io.tsmigrate.sink.sql.TableMeta;
import io.tsmigrate.sink.sql.ValueRenderer;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Reduction of a batch to the last state of every key. */
class TableBatchTest {

    private static final Schema ROW = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).field("body", Schema.OPTIONAL_STRING_SCHEMA)
            .field("n", Schema.OPTIONAL_INT32_SCHEMA).build();
    private static final Schema KEY = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
    private static final TableMeta META = new TableMeta(new TableId("public", "t"), 1,
            List.of(new Column("id", "integer", "int4", 'N', false, true, false), new Column("body", "text", "text", 'S', false, false, false),
                    new Column("n", "integer", "int4", 'N', false, false, false)),
            List.of("id"), List.of(List.of("id")), null);
    private static final String PLACEHOLDER = "__debezium_unavailable_value";

    private long offset;

    private ChangeEvent event(Op op, int id, String body, Integer n) {
        Struct key = new Struct(KEY).put("id", id);
        Struct after = op == Op.DELETE ? null : new Struct(ROW).put("id", id).put("body", body).put("n", n);
        SinkRecord r = new SinkRecord("topic", 0, KEY, key, ROW, after, offset++);
        return new ChangeEvent(r, META.id(), op, Row.of(key), after == null ? null : Row.of(after), null, -1, -1, -1, -1, -1, -1);
    }

    /** A half of the primary-key change {@code from -> to} made by source transaction 7 at LSN {@code lsn}. */
    private ChangeEvent half(Op op, int from, int to, String body, long lsn) {
        int id = op == Op.DELETE ? from : to;
        Struct key = new Struct(KEY).put("id", id);
        Struct after = op == Op.DELETE ? null : new Struct(ROW).put("id", id).put("body", body).put("n", 1);
        SinkRecord r = new SinkRecord("topic", 0, KEY, key, ROW, after, offset++);
        r.headers().addString(op == Op.DELETE ? ChangeEvent.NEW_KEY_HEADER : ChangeEvent.OLD_KEY_HEADER, "{\"id\":" + (op == Op.DELETE ? to : from) + "}");
        return new ChangeEvent(r, META.id(), op == Op.DELETE ? Op.DELETE : Op.INSERT, Row.of(key), after == null ? null : Row.of(after), null, lsn, -1,
                1, lsn, 7, -1);
    }

    @Test
    void a_key_change_within_the_batch_takes_unchanged_values_from_the_old_row() {
        TableBatch b = batch();
        b.add(event(Op.UPDATE, 1, "long text", 2));
        b.add(half(Op.DELETE, 1, 5, null, 100));
        b.add(half(Op.INSERT, 1, 5, PLACEHOLDER, 100));
        assertThat(b.stashes()).isEmpty();
        List<Pending> rows = List.copyOf(b.rows());
        assertThat(rows.get(0).delete).isTrue();
        assertThat(rows.get(1).cells).containsExactly("5", "long text", "1");
        assertThat(rows.get(1).fresh).isFalse();
    }

    @Test
    void a_delete_half_without_its_create_stashes_the_old_row_and_a_lone_create_half_takes_from_the_stash() {
        TableBatch b = batch();
        b.add(event(Op.UPDATE, 1, "long text", 2));
        b.add(half(Op.DELETE, 1, 5, null, 100));
        b.add(half(Op.DELETE, 3, 6, null, 110));
        assertThat(b.stashes()).satisfiesExactly(s -> {
            assertThat(s.stash).isEqualTo("7/100");
            assertThat(s.cells).containsExactly("1", "long text", "2");
        }, s -> {
            // Not in this batch: the target's row, as it stands before the delete.
            assertThat(s.stash).isEqualTo("7/110");
            assertThat(s.cells[0]).isEqualTo("3");
            assertThat(s.cells[1]).isSameAs(TableBatch.KEEP);
        });
        TableBatch next = batch();
        next.add(half(Op.INSERT, 1, 5, PLACEHOLDER, 100));
        next.add(event(Op.UPDATE, 5, PLACEHOLDER, 9));
        assertThat(next.stashes()).isEmpty();
        assertThat(next.rows()).singleElement().satisfies(r -> {
            assertThat(r.take).isEqualTo("7/100");
            assertThat(r.cells[1]).isSameAs(TableBatch.KEEP);
            assertThat(r.cells[2]).isEqualTo("9");
            assertThat(r.fresh).as("a key change's new row is never appended blindly").isFalse();
        });
    }

    private static final TableMeta DEFERRABLE = new TableMeta(META.id(), 1, META.columns(), META.primaryKey(), META.indexes(), null,
            java.util.Set.of(), List.of(List.of("id")));

    /** A half of the key change {@code from -> to} of a REPLICA IDENTITY FULL table: the DELETE half carries the whole old row. */
    private ChangeEvent fullHalf(Op op, int from, int to, String body, long lsn) {
        ChangeEvent e = half(op, from, to, body, lsn);
        Struct before = op == Op.DELETE ? new Struct(ROW).put("id", from).put("body", body).put("n", 1) : null;
        return new ChangeEvent(e.record(), META.id(), e.op(), e.key(), e.after(), before == null ? null : Row.of(before), lsn, -1, 1, lsn, 7, -1);
    }

    @Test
    void under_a_deferrable_key_renumbering_every_key_keeps_every_row() {
        // UPDATE t SET id = id + 1 on rows 1..4: each row moves onto the next one's key before that one moves on.
        TableBatch b = new TableBatch(DEFERRABLE, List.of("id"), new ValueRenderer(), PLACEHOLDER, false);
        for (int id = 1; id <= 4; id++) {
            b.add(fullHalf(Op.DELETE, id, id + 1, "row " + id, 100 + id));
            b.add(fullHalf(Op.INSERT, id, id + 1, "row " + id, 100 + id));
        }
        assertThat(b.stashes()).isEmpty();
        assertThat(b.rows()).extracting(r -> r.delete ? "-" + r.cells[0] : r.cells[0] + "=" + r.cells[1])
                .containsExactly("-1", "2=row 1", "3=row 2", "4=row 3", "5=row 4");
        assertThat(b.rows()).first().satisfies(r -> assertThat(r.guarded).as("its old row may already be overwritten on the target").isTrue());
    }

    @Test
    void under_a_deferrable_key_a_swap_in_either_order_keeps_both_rows() {
        for (boolean createFirst : new boolean[] {false, true}) {
            TableBatch b = new TableBatch(DEFERRABLE, List.of("id"), new ValueRenderer(), PLACEHOLDER, false);
            // UPDATE t SET id = 3 - id: 1 -> 2 and 2 -> 1; the create half of the second may come before its delete half's turn.
            b.add(fullHalf(Op.DELETE, 1, 2, "one", 100));
            b.add(fullHalf(Op.INSERT, 1, 2, "one", 100));
            if (createFirst) {
                b.add(event(Op.INSERT, 3, "three", 1));
            }
            b.add(fullHalf(Op.DELETE, 2, 1, "two", 110));
            b.add(fullHalf(Op.INSERT, 2, 1, "two", 110));
            assertThat(b.rows()).filteredOn(r -> !r.delete).extracting(r -> r.cells[0] + "=" + r.cells[1]).contains("1=two", "2=one");
            assertThat(b.rows()).noneMatch(r -> r.delete);
        }
    }

    @Test
    void under_a_deferrable_key_the_first_delete_at_a_key_is_guarded_and_a_later_one_is_not() {
        TableBatch b = new TableBatch(DEFERRABLE, List.of("id"), new ValueRenderer(), PLACEHOLDER, false);
        b.add(fullHalf(Op.DELETE, 2, 3, "two", 100));
        assertThat(b.rows()).singleElement().satisfies(r -> {
            assertThat(r.guarded).isTrue();
            assertThat(r.cells).containsExactly("2", "two", "1");
        });
        assertThat(b.stashes()).singleElement().satisfies(st -> assertThat(st.cells).containsExactly("2", "two", "1"));
        b.add(fullHalf(Op.INSERT, 1, 2, "one", 110));
        b.add(fullHalf(Op.DELETE, 2, 4, "one", 120));
        assertThat(b.rows()).singleElement().satisfies(r -> {
            assertThat(r.delete).isTrue();
            assertThat(r.guarded).as("both rows that held the key are gone").isFalse();
        });
        TableBatch plain = batch();
        plain.add(fullHalf(Op.DELETE, 2, 3, "two", 100));
        assertThat(plain.rows()).singleElement().satisfies(r -> assertThat(r.guarded).isFalse());
    }

    @Test
    void under_a_deferrable_key_a_value_the_old_row_lacks_comes_from_the_target() {
        TableBatch b = new TableBatch(DEFERRABLE, List.of("id"), new ValueRenderer(), PLACEHOLDER, false);
        // The old row of an identity index carries NULL outside it; the CREATE half keeps body (an unchanged TOASTed value).
        b.add(fullHalf(Op.DELETE, 1, 2, null, 100));
        b.add(half(Op.INSERT, 1, 2, PLACEHOLDER, 100));
        assertThat(b.rows()).filteredOn(r -> !r.delete).singleElement().satisfies(r -> {
            assertThat(r.cells[1]).isSameAs(TableBatch.KEEP);
            assertThat(r.fromKey[0]).isEqualTo("1");
        });
    }

    private TableBatch batch() {
        return new TableBatch(META, List.of("id"), new ValueRenderer(), PLACEHOLDER, false);
    }

    @Test
    void insert_then_update_is_one_fresh_row() {
        TableBatch b = batch();
        b.add(event(Op.INSERT, 1, "a", 1));
        b.add(event(Op.UPDATE, 1, "b", 2));
        assertThat(b.rows()).singleElement().satisfies(r -> {
            assertThat(r.cells).containsExactly("1", "b", "2");
            assertThat(r.fresh).isTrue();
            assertThat(r.delete).isFalse();
        });
    }

    @Test
    void update_then_delete_is_a_delete() {
        TableBatch b = batch();
        b.add(event(Op.UPDATE, 1, "b", 2));
        b.add(event(Op.DELETE, 1, null, null));
        assertThat(b.rows()).singleElement().satisfies(r -> assertThat(r.delete).isTrue());
    }

    @Test
    void delete_then_insert_replaces_the_row_and_is_not_fresh() {
        TableBatch b = batch();
        b.add(event(Op.DELETE, 1, null, null));
        b.add(event(Op.INSERT, 1, "new", 3));
        assertThat(b.rows()).singleElement().satisfies(r -> {
            assertThat(r.delete).isFalse();
            assertThat(r.fresh).isFalse();
            assertThat(r.cells).containsExactly("1", "new", "3");
        });
    }

    @Test
    void unchanged_toast_value_is_taken_from_an_earlier_event_in_the_batch_or_kept() {
        TableBatch b = batch();
        b.add(event(Op.INSERT, 1, "long text", 1));
        b.add(event(Op.UPDATE, 1, PLACEHOLDER, 2));
        b.add(event(Op.UPDATE, 2, PLACEHOLDER, 5));
        List<Pending> rows = List.copyOf(b.rows());
        assertThat(rows.get(0).cells).containsExactly("1", "long text", "2");
        assertThat(rows.get(1).cells[1]).isSameAs(TableBatch.KEEP);
        assertThat(rows.get(1).hasKeep()).isTrue();
    }

    @Test
    void keys_are_written_once_per_batch() {
        TableBatch b = batch();
        for (int i = 0; i < 100; i++) {
            b.add(event(Op.UPDATE, i % 10, "v" + i, i));
        }
        assertThat(b.rows()).hasSize(10);
        assertThat(b.events()).isEqualTo(100);
    }

    @Test
    void a_table_without_key_refuses_updates_with_a_clear_message() {
        TableBatch b = new TableBatch(META, List.of(), new ValueRenderer(), PLACEHOLDER, false);
        b.add(event(Op.INSERT, 1, "a", 1));
        b.add(event(Op.INSERT, 1, "a", 1));
        assertThat(b.rows()).hasSize(2);
        assertThatThrownBy(() -> b.add(event(Op.UPDATE, 1, "b", 1))).isInstanceOf(DataException.class)
                .hasMessageContaining("public.t").hasMessageContaining("primary key");
    }

    @Test
    void touched_values_give_old_and_new_versions_and_unknown_old_values_as_null() {
        TableBatch b = batch();
        b.add(event(Op.INSERT, 1, "a", 10));
        b.add(event(Op.UPDATE, 2, "b", 20));
        b.add(event(Op.DELETE, 3, null, null));
        // The key column: every version is known (an update keeps its key; a key change is a delete plus an insert).
        assertThat(b.touched(0)).containsExactlyInAnyOrder("1", "2", "3");
        // A column outside the key: the update's old value and the delete's are not in the events.
        assertThat(b.touched(2)).containsExactlyInAnyOrder("10", null, "20", null);
        // An SQL NULL of a new row is a value (its range is the NULL range), not an unknown one.
        TableBatch n = batch();
        n.add(event(Op.INSERT, 4, "d", null));
        assertThat(n.touched(2)).containsExactly(TableBatch.SQL_NULL);
    }
}

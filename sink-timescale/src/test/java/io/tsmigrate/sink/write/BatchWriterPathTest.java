package io.tsmigrate.sink.write;

import io.tsmigrate.sink.buffer.TableBatch;
import io.tsmigrate.sink.read.ChangeEvent;
import io.tsmigrate.sink.read.Op;
import io.tsmigrate.sink.read.Row;
import io.tsmigrate.sink.read.TableId;
import io.tsmigrate.sink.sql.Column;
import io.tsmigrate.sink.sql.TableMeta;
import io.tsmigrate.sink.sql.ValueRenderer;

import io.tsmigrate.sink.write.BatchWriter.Path;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Which way a batch reaches the target (COPY straight in, COPY with an upsert fallback, staged, keyless in order). */
class BatchWriterPathTest {

    private static final Schema ROW = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).field("body", Schema.OPTIONAL_STRING_SCHEMA).build();
    private static final Schema KEY = SchemaBuilder.struct().field("id", Schema.INT32_SCHEMA).build();
    private static final TableMeta META = new TableMeta(new TableId("public", "t"), 1,
            List.of(new Column("id", "integer", "int4", 'N', false, true, false), new Column("body", "text", "text", 'S', false, false, false)),
            List.of("id"), List.of(List.of("id")), null);
    private static final String PLACEHOLDER = "__debezium_unavailable_value";

    private long offset;

    private ChangeEvent event(Op op, int id, String body) {
        Struct key = new Struct(KEY).put("id", id);
        Struct after = op == Op.DELETE ? null : new Struct(ROW).put("id", id).put("body", body);
        Struct before = op == Op.INSERT ? null : new Struct(ROW).put("id", id).put("body", "old");
        SinkRecord r = new SinkRecord("topic", 0, KEY, key, ROW, after, offset++);
        return new ChangeEvent(r, META.id(), op, Row.of(key), after == null ? null : Row.of(after), Row.of(before == null ? after : before),
                -1, -1, -1, -1, -1, -1);
    }

    private static Path path(TableBatch b) {
        return BatchWriter.path(b, BatchWriter.toWrite(b));
    }

    private static TableBatch keyed(boolean truncate) {
        return new TableBatch(META, List.of("id"), new ValueRenderer(), PLACEHOLDER, truncate);
    }

    private static TableBatch keyless() {
        return new TableBatch(META, List.of(), new ValueRenderer(), PLACEHOLDER, false);
    }

    @Test
    void an_empty_batch_writes_nothing() {
        assertThat(path(keyed(false))).isEqualTo(Path.NOTHING);
    }

    @Test
    void new_keys_are_copied_in_with_an_upsert_fallback_and_straight_in_after_a_truncate() {
        TableBatch b = keyed(false);
        b.add(event(Op.INSERT, 1, "a"));
        b.add(event(Op.INSERT, 2, "b"));
        assertThat(path(b)).isEqualTo(Path.APPEND_OR_UPSERT);
        TableBatch t = keyed(true);
        t.add(event(Op.INSERT, 1, "a"));
        assertThat(path(t)).isEqualTo(Path.APPEND);
    }

    @Test
    void an_insert_then_update_of_one_key_is_still_a_new_row() {
        TableBatch b = keyed(false);
        b.add(event(Op.INSERT, 1, "a"));
        b.add(event(Op.UPDATE, 1, "b"));
        assertThat(path(b)).isEqualTo(Path.APPEND_OR_UPSERT);
    }

    @Test
    void updates_and_deletes_go_through_the_staging_table() {
        TableBatch u = keyed(false);
        u.add(event(Op.INSERT, 1, "a"));
        u.add(event(Op.UPDATE, 2, "b"));
        assertThat(path(u)).isEqualTo(Path.STAGED);
        TableBatch d = keyed(false);
        d.add(event(Op.DELETE, 3, null));
        assertThat(path(d)).isEqualTo(Path.STAGED);
        // An insert and a delete of one key in the batch: the row may exist in the target (a re-snapshot), so it is deleted.
        TableBatch id = keyed(false);
        id.add(event(Op.INSERT, 4, "x"));
        id.add(event(Op.DELETE, 4, null));
        assertThat(path(id)).isEqualTo(Path.STAGED);
    }

    @Test
    void an_unchanged_toasted_value_in_some_new_rows_only_is_staged_and_in_all_of_them_appended_without_the_column() {
        TableBatch some = keyed(false);
        some.add(event(Op.INSERT, 1, PLACEHOLDER));
        some.add(event(Op.INSERT, 2, "b"));
        assertThat(path(some)).isEqualTo(Path.STAGED);
        TableBatch all = keyed(true);
        all.add(event(Op.INSERT, 1, PLACEHOLDER));
        all.add(event(Op.INSERT, 2, PLACEHOLDER));
        assertThat(path(all)).isEqualTo(Path.APPEND);
    }

    @Test
    void a_table_without_a_key_appends_inserts_and_applies_updates_and_deletes_in_order() {
        TableBatch inserts = keyless();
        inserts.add(event(Op.INSERT, 1, "a"));
        inserts.add(event(Op.INSERT, 1, "a"));
        assertThat(path(inserts)).isEqualTo(Path.APPEND);
        assertThat(BatchWriter.toWrite(inserts)).hasSize(2);
        TableBatch mixed = keyless();
        mixed.add(event(Op.INSERT, 1, "a"));
        mixed.add(event(Op.UPDATE, 1, "b"));
        mixed.add(event(Op.DELETE, 1, null));
        assertThat(path(mixed)).isEqualTo(Path.KEYLESS);
        assertThat(mixed.keylessChanges()).hasSize(3);
    }
}

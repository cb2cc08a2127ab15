package io.tsmigrate.sink.read;

import io.tsmigrate.sink.ErrorClassifier;
import io.tsmigrate.sink.TimescaleSinkConfig;
import io.tsmigrate.sink.write.Position;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Envelope reading, flat rows, table routing, positions, error classes, configuration. */
class ReaderAndRoutingTest {

    private static final Schema ROW = SchemaBuilder.struct().optional().field("id", Schema.INT32_SCHEMA).build();
    private static final Schema SOURCE = SchemaBuilder.struct().field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA)
            .field("lsn", Schema.OPTIONAL_INT64_SCHEMA).field("ts_ms", Schema.INT64_SCHEMA).field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
            .field("txId", Schema.OPTIONAL_INT64_SCHEMA).build();
    private static final Schema ENVELOPE = SchemaBuilder.struct().name("x.Envelope").field("before", ROW).field("after", ROW)
            .field("source", SOURCE).field("op", Schema.STRING_SCHEMA).build();

    private final EventReader reader = new EventReader(new TableRouter("${source.schema}.${source.table}"));

    private SinkRecord envelope(String op, Integer before, Integer after) {
        Struct source = new Struct(SOURCE).put("schema", "public").put("table", "Orders").put("lsn", 42L).put("ts_ms", 1000L)
                .put("sequence", "[\"100\",\"120\"]").put("txId", 777L);
        Struct v = new Struct(ENVELOPE).put("op", op).put("source", source)
                .put("before", before == null ? null : new Struct(ROW).put("id", before))
                .put("after", after == null ? null : new Struct(ROW).put("id", after));
        return new SinkRecord("prefix.public.Orders", 0, null, null, ENVELOPE, v, 5);
    }

    @Test
    void reads_debezium_operations() {
        assertThat(reader.read(envelope("c", null, 1)).op()).isEqualTo(Op.INSERT);
        assertThat(reader.read(envelope("r", null, 1)).op()).isEqualTo(Op.INSERT);
        assertThat(reader.read(envelope("u", 1, 1)).op()).isEqualTo(Op.UPDATE);
        ChangeEvent d = reader.read(envelope("d", 1, null));
        assertThat(d.op()).isEqualTo(Op.DELETE);
        assertThat(d.key().value("id")).isEqualTo(1);
        ChangeEvent c = reader.read(envelope("c", null, 7));
        assertThat(c.table()).isEqualTo(new TableId("public", "Orders"));
        assertThat(c.sourceLsn()).isEqualTo(42);
        assertThat(c.commitLsn()).isEqualTo(100);
        assertThat(c.changeLsn()).isEqualTo(120);
        assertThat(c.txId()).isEqualTo(777);
    }

    @Test
    void skips_tombstones_and_logical_decoding_messages_and_reads_flat_rows_as_inserts() {
        assertThat(reader.read(new SinkRecord("a.b.c", 0, null, null, null, null, 1))).isNull();
        Schema message = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA).field("source", SOURCE)
                .field("message", SchemaBuilder.struct().field("prefix", Schema.STRING_SCHEMA).build()).build();
        Struct m = new Struct(message).put("op", "m").put("source", new Struct(SOURCE).put("schema", "").put("table", "").put("ts_ms", 1L))
                .put("message", new Struct(message.field("message").schema()).put("prefix", "tsmigrate"));
        assertThat(reader.read(new SinkRecord("p.message", 0, null, null, message, m, 1))).isNull();
        ChangeEvent flat = reader.read(new SinkRecord("prefix.sales.items", 0, null, null, ROW, new Struct(ROW).put("id", 3), 1));
        assertThat(flat.op()).isEqualTo(Op.INSERT);
        assertThat(flat.table()).isEqualTo(new TableId("sales", "items"));
        ChangeEvent schemaless = reader.read(new SinkRecord("t", 0, null, null, null, Map.of("id", 1), 1));
        assertThat(schemaless.table()).isEqualTo(new TableId("public", "t"));
    }

    @Test
    void routes_with_placeholders_keeping_dots_inside_names() {
        assertThat(new TableRouter("archive.${source.table}_copy").route("t", "s", "a.b")).isEqualTo(new TableId("archive", "a.b_copy"));
        assertThat(new TableRouter("${topic}").route("x.y", null, null)).isEqualTo(new TableId("public", "x.y"));
        assertThatThrownBy(() -> new TableRouter("a.b.c")).isInstanceOf(ConfigException.class);
    }

    @Test
    void positions_detect_changes_resent_after_a_restart() {
        Position.Step first = Position.NONE.take(10, reader.read(envelope("c", null, 1)));
        assertThat(first.apply()).isTrue();
        assertThat(first.next()).isEqualTo(new Position(10, 100, 120, 777, 1, 1, -1));
        // Without transaction metadata another change at the same position continues the run (a COPY's rows).
        assertThat(first.next().take(11, reader.read(envelope("c", null, 1))).apply()).isTrue();
        assertThat(Position.parseSequence("[null,\"5\"]")).containsExactly(-1, 5);
        assertThat(Position.parseSequence(null)).containsExactly(-1, -1);
        assertThat(Position.parseSequence("[\"24023928\",\"24023992\"]")).containsExactly(24023928, 24023992);
        assertThat(Position.parseSequence("[\"7\", null]")).containsExactly(7, -1);
        assertThat(Position.parseSequence("[\"x7\",\"5\"]")).containsExactly(-1, -1);
        assertThat(Position.parseSequence("[\"99999999999999999999\",\"5\"]")).containsExactly(-1, -1);
    }

    private static ChangeEvent at(long commit, long change, long order) {
        return in(commit, commit, change, order);
    }

    /** A change of source transaction {@code tx}; {@code commit} -1 where Debezium leaves the sequence's first part out. */
    private static ChangeEvent in(long tx, long commit, long change, long order) {
        return new ChangeEvent(new SinkRecord("t", 0, null, null, null, null, 0), new TableId("public", "t"), Op.INSERT, null, null, null, change,
                -1, commit, change, tx, order);
    }

    /** Walks the records through positions from {@code start}; returns which were applied, as 1 and 0. */
    private static String walk(Position start, ChangeEvent... events) {
        StringBuilder out = new StringBuilder();
        Position p = start;
        long offset = 0;
        for (ChangeEvent e : events) {
            Position.Step s = p.take(offset++, e);
            out.append(s.apply() ? '1' : '0');
            p = s.next();
        }
        return out.toString();
    }

    @Test
    void changes_sharing_a_position_are_told_apart_by_their_transaction_order() {
        // A COPY's five rows at one position, all new.
        assertThat(walk(Position.NONE, at(1, 50, 3), at(1, 50, 4), at(1, 50, 5), at(1, 50, 6), at(1, 50, 7))).isEqualTo("11111");
        // The worker died after three of them; Debezium sends the whole run again (orders restart at 3), then goes on.
        assertThat(walk(Position.NONE, at(1, 50, 3), at(1, 50, 4), at(1, 50, 5), at(1, 50, 3), at(1, 50, 4), at(1, 50, 5), at(1, 50, 6),
                at(1, 50, 7), at(1, 60, 8))).isEqualTo("111000111");
        // Resent from an earlier position: everything before the last position is skipped, then the run at it counted.
        assertThat(walk(Position.NONE, at(1, 40, 1), at(1, 50, 2), at(1, 50, 3), at(1, 40, 1), at(1, 50, 2), at(1, 50, 3), at(1, 50, 4)))
                .isEqualTo("1110001");
        // Resent with orders shifted down (Debezium skipped part of an earlier run on restart): still told from a continuation.
        assertThat(walk(Position.NONE, at(1, 50, 10), at(1, 50, 11), at(1, 50, 7), at(1, 50, 8), at(1, 50, 9))).isEqualTo("11001");
        // A stored position from before a restart of the sink: the run goes on where it stood.
        assertThat(walk(new Position(5, 1, 50, 1, 2, 2, 11), at(1, 50, 12), at(1, 50, 10), at(1, 50, 11), at(1, 50, 12), at(1, 50, 13)))
                .isEqualTo("10001");
        // A later transaction's first change: new, whatever its order.
        assertThat(walk(new Position(5, 1, 50, 1, 2, 2, 11), at(2, 10, 1))).isEqualTo("1");
    }

    @Test
    void a_partition_of_a_topic_with_several_sees_part_of_a_run() {
        // A COPY's run at position 50 has orders 3..10; this partition holds the rows with orders 3, 5, 6 and 9.
        assertThat(walk(Position.NONE, at(1, 50, 3), at(1, 50, 5), at(1, 50, 6), at(1, 50, 9), at(1, 60, 11))).isEqualTo("11111");
        // Two of them applied, then the run sent again with the same orders: the first two skipped, the rest applied once.
        assertThat(walk(Position.NONE, at(1, 50, 3), at(1, 50, 5), at(1, 50, 3), at(1, 50, 5), at(1, 50, 6), at(1, 50, 9))).isEqualTo("110011");
        // Sent again with orders shifted down (1..8): the same rows of this partition now carry 1, 3, 4 and 7.
        assertThat(walk(Position.NONE, at(1, 50, 3), at(1, 50, 5), at(1, 50, 1), at(1, 50, 3), at(1, 50, 4), at(1, 50, 7))).isEqualTo("110011");
        // The sink restarted after the first two (stored: 2 applied, last order 5); the resend starts below it.
        assertThat(walk(new Position(1, 1, 50, 1, 2, 2, 5), at(1, 50, 3), at(1, 50, 5), at(1, 50, 6), at(1, 50, 9))).isEqualTo("0011");
    }

    @Test
    void the_first_transaction_after_a_fresh_start_is_placed_by_its_transaction() {
        // Debezium with no offsets streams its first transaction (9) without the sequence's first part, then
        // transaction 10 after its commit (LSN 80). Killed before its offsets were stored, it sends it all again.
        assertThat(walk(Position.NONE, in(9, -1, 50, 1), in(9, -1, 50, 2), in(9, -1, 60, 3), in(10, 80, 70, 1),
                in(9, -1, 50, 1), in(9, -1, 50, 2), in(9, -1, 60, 3), in(10, 80, 70, 1), in(10, 80, 75, 2))).isEqualTo("111100001");
        // Resumed from an offset inside transaction 9, Debezium fills the first part with that offset's LSN (50).
        assertThat(walk(Position.NONE, in(9, -1, 50, 1), in(9, -1, 50, 2), in(9, -1, 60, 3), in(9, -1, 60, 4),
                in(9, 50, 60, 3), in(9, 50, 60, 4), in(9, 50, 65, 5), in(10, 80, 70, 1))).isEqualTo("11110011");
        // A stored position inside transaction 9 (a restart of the sink), then the resend with the first part filled.
        assertThat(walk(new Position(3, -1, 60, 9, 1, 1, 3), in(9, 50, 60, 3), in(9, 50, 60, 4), in(9, 50, 65, 5))).isEqualTo("011");
        // A stored position in a later transaction: the first transaction after a fresh start is a resend.
        assertThat(walk(new Position(3, 80, 70, 10, 1, 1, 1), in(9, -1, 50, 1), in(10, 80, 70, 1), in(10, 80, 75, 2))).isEqualTo("001");
    }

    @Test
    void classifies_transient_sql_errors() {
        assertThat(ErrorClassifier.isTransient(new SQLException("x", "08006"))).isTrue();
        assertThat(ErrorClassifier.isTransient(new SQLException("x", "40P01"))).isTrue();
        assertThat(ErrorClassifier.isTransient(new SQLException("x", "57P01"))).isTrue();
        assertThat(ErrorClassifier.isTransient(new SQLException("x", "53300"))).isTrue();
        assertThat(ErrorClassifier.isTransient(new SQLException("x", "22003"))).isFalse();
        assertThat(ErrorClassifier.isTransient(new SQLException("x", "23505"))).isFalse();
    }

    @Test
    void configuration_is_strict_and_keeps_passwords_out_of_errors() {
        assertThatThrownBy(() -> new TimescaleSinkConfig(Map.of("connection.url", "jdbc:postgresql://h/db", "schema.evolution", "sometimes")))
                .hasMessageContaining("schema.evolution").hasMessageContaining("add_columns, none");
        assertThatThrownBy(() -> new TimescaleSinkConfig(Map.of("connection.url", "jdbc:mysql://h/db?password=hunter2")))
                .hasMessageContaining("jdbc:postgresql://").hasMessageNotContaining("hunter2");
        TimescaleSinkConfig c = new TimescaleSinkConfig(Map.of("connection.url", "jdbc:postgresql://h/db", "connection.password", "s3cret"));
        assertThat(c.password().toString()).doesNotContain("s3cret");
        assertThat(c.schemaEvolution()).isEqualTo(TimescaleSinkConfig.SchemaEvolution.ADD_COLUMNS);
    }
}

package io.tsmigrate.source;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TruncateCopiesTest {

    private static final Schema SOURCE = SchemaBuilder.struct().field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA).build();
    private static final Schema VALUE = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA).field("source", SOURCE).build();

    private static SourceRecord change(String topic, String op) {
        Struct v = new Struct(VALUE).put("op", op).put("source", new Struct(SOURCE).put("schema", "app").put("table", "hot"));
        return new SourceRecord(Map.of("server", "x"), Map.of("lsn", 1L), topic, null, null, null, VALUE, v);
    }

    private static String header(SourceRecord r, String name) {
        Header h = r.headers().lastWithName(name);
        return h == null ? null : h.value().toString();
    }

    @Test
    void a_truncate_of_a_split_table_names_its_group_and_its_copy_among_all_streams() {
        TruncateCopies second = new TruncateCopies(Map.of(TruncateCopies.SPLIT_TOPICS, "m_2\\.app\\.hot", TruncateCopies.SPLIT_STREAMS, "3",
                TruncateCopies.SPLIT_STREAM, "2"));
        List<SourceRecord> out = second.apply(List.of(change("m_2.app.hot", "c"), change("m_2.app.hot", "t"), change("m_2.app.other", "t")));
        assertThat(out).hasSize(3);
        assertThat(header(out.get(0), TruncateCopies.HEADER)).as("a row change is left alone").isNull();
        assertThat(header(out.get(1), TruncateCopies.HEADER)).isEqualTo("3");
        assertThat(header(out.get(1), TruncateCopies.GROUP_HEADER)).isEqualTo("app.hot");
        assertThat(header(out.get(1), TruncateCopies.COPY_HEADER)).isEqualTo("1");
        assertThat(header(out.get(2), TruncateCopies.HEADER)).as("another table's TRUNCATE").isNull();
    }

    @Test
    void a_split_table_whose_topics_are_also_spread_gets_a_copy_per_partition_numbered_across_streams() {
        TruncateCopies first = new TruncateCopies(Map.of(TruncateCopies.TOPICS, "m\\.app\\.hot", TruncateCopies.PARTITIONS, "2",
                TruncateCopies.SPLIT_TOPICS, "m\\.app\\.hot", TruncateCopies.SPLIT_STREAMS, "2", TruncateCopies.SPLIT_STREAM, "2"));
        List<SourceRecord> out = first.apply(List.of(change("m.app.hot", "t")));
        assertThat(out).extracting(SourceRecord::kafkaPartition).containsExactly(0, 1);
        assertThat(out).extracting(r -> header(r, TruncateCopies.COPY_HEADER)).containsExactly("2", "3");
        assertThat(out).extracting(r -> header(r, TruncateCopies.HEADER)).containsExactly("4", "4");
        TruncateCopies spreadOnly = new TruncateCopies(Map.of(TruncateCopies.TOPICS, "m\\.app\\.hot", TruncateCopies.PARTITIONS, "3"));
        List<SourceRecord> spread = spreadOnly.apply(List.of(change("m.app.hot", "t")));
        assertThat(spread).extracting(r -> header(r, TruncateCopies.HEADER)).containsExactly("3", "3", "3");
        assertThat(spread).extracting(r -> header(r, TruncateCopies.COPY_HEADER)).containsOnlyNulls();
    }

    @Test
    void a_stream_number_outside_the_streams_is_refused() {
        assertThatThrownBy(() -> new TruncateCopies(Map.of(TruncateCopies.SPLIT_TOPICS, "x", TruncateCopies.SPLIT_STREAMS, "2",
                TruncateCopies.SPLIT_STREAM, "3"))).hasMessageContaining("tsmigrate.split.stream must be 1 to");
    }
}

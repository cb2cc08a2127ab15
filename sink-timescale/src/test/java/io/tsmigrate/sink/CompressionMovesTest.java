package io.tsmigrate.sink;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class CompressionMovesTest {

    private static final Schema SOURCE = SchemaBuilder.struct().field("schema", Schema.STRING_SCHEMA).field("table", Schema.STRING_SCHEMA).build();
    private static final Schema CHANGE = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA).field("source", SOURCE).build();
    private static final Schema BLOCK = SchemaBuilder.struct().field("prefix", Schema.STRING_SCHEMA).build();
    private static final Schema MESSAGE = SchemaBuilder.struct().field("op", Schema.STRING_SCHEMA).field("message", BLOCK).build();

    private static SourceRecord change(String schema, String table) {
        Struct v = new Struct(CHANGE).put("op", "c").put("source", new Struct(SOURCE).put("schema", schema).put("table", table));
        return new SourceRecord(null, null, "t", CHANGE, v);
    }

    private static SourceRecord message(String prefix) {
        return new SourceRecord(null, null, "t.message", MESSAGE, new Struct(MESSAGE).put("op", "m").put("message", new Struct(BLOCK).put("prefix", prefix)));
    }

    @Test
    void drops_the_moves_between_markers_and_the_compressed_chunks_always() {
        CompressionMoves<SourceRecord> t = new CompressionMoves<>();
        SourceRecord chunk = change("_timescaledb_internal", "_hyper_1_3_chunk");
        assertThat(t.apply(chunk)).isSameAs(chunk);
        assertThat(t.apply(change("_timescaledb_internal", "compress_hyper_2_9_chunk"))).isNull();
        assertThat(t.apply(message("::timescaledb-decompression-start"))).isNull();
        assertThat(t.moving()).isTrue();
        assertThat(t.apply(chunk)).isNull();
        SourceRecord plain = change("public", "devices");
        assertThat(t.apply(plain)).as("tables outside TimescaleDB's schema are the application's").isSameAs(plain);
        assertThat(t.apply(message("::timescaledb-decompression-end"))).isNull();
        assertThat(t.apply(chunk)).as("the user's DML after the markers").isSameAs(chunk);
        SourceRecord other = message("app-audit");
        assertThat(t.apply(other)).isSameAs(other);
        assertThat(t.apply(message("::timescaledb-compression-start"))).isNull();
        assertThat(t.apply(chunk)).isNull();
        assertThat(t.apply(message("::timescaledb-compression-end"))).isNull();
        assertThat(t.moving()).isFalse();
    }

    @Test
    void names_the_hypertable_of_a_chunk_by_its_prefix_and_routes_it() {
        CompressionMoves<SourceRecord> t = new CompressionMoves<>();
        t.configure(java.util.Map.of("topic.prefix", "mig", "hypertables", "{\"_timescaledb_internal._hyper_1\": [\"public\", \"metrics\"]}"));
        SourceRecord routed = t.apply(change("_timescaledb_internal", "_hyper_1_17_chunk"));
        assertThat(routed.topic()).isEqualTo("mig.public.metrics");
        assertThat(((Struct) routed.value()).getStruct("source").getString("table")).isEqualTo("metrics");
        SourceRecord other = change("_timescaledb_internal", "_hyper_11_2_chunk");
        assertThat(t.apply(other)).as("another hypertable's prefix").isSameAs(other);
        assertThat(t.hypertableOf("_timescaledb_internal", "_hyper_1_x_chunk")).isNull();
    }
}

package io.tsmigrate.sink.sql;

import io.tsmigrate.sink.buffer.Pending;
import io.tsmigrate.sink.buffer.TableBatch;

import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Values rendered as PostgreSQL text input, type by type. */
class ValueRendererTest {

    private final ValueRenderer r = new ValueRenderer();

    private static Column col(String type, char category) {
        return new Column("c", type, type, category, false, false, false);
    }

    private static Schema named(Schema.Type type, String name) {
        return new SchemaBuilder(type).name(name).build();
    }

    @Test
    void numbers() {
        assertThat(r.render(42, Schema.INT32_SCHEMA, col("int4", 'N'))).isEqualTo("42");
        assertThat(r.render(Double.NaN, Schema.FLOAT64_SCHEMA, col("float8", 'N'))).isEqualTo("NaN");
        assertThat(r.render(Double.NEGATIVE_INFINITY, Schema.FLOAT64_SCHEMA, col("float8", 'N'))).isEqualTo("-Infinity");
        assertThat(r.render(4.0, Schema.FLOAT64_SCHEMA, col("numeric", 'N'))).isEqualTo("4");
        assertThat(r.render(1e-7, Schema.FLOAT64_SCHEMA, col("numeric", 'N'))).isEqualTo("0.0000001");
        assertThat(r.render(0.1f, Schema.FLOAT32_SCHEMA, col("float4", 'N'))).isEqualTo("0.1");
        assertThat(r.render(new BigDecimal("1E+3"), Decimal.schema(0), col("numeric", 'N'))).isEqualTo("1000");
        assertThat(r.render("POSITIVE_INFINITY", Schema.STRING_SCHEMA, col("numeric", 'N'))).isEqualTo("Infinity");
        Schema vsd = SchemaBuilder.struct().name("io.debezium.data.VariableScaleDecimal").field("scale", Schema.INT32_SCHEMA)
                .field("value", Schema.BYTES_SCHEMA).build();
        Struct v = new Struct(vsd).put("scale", 3).put("value", new BigInteger("-123456").toByteArray());
        assertThat(r.render(v, vsd, col("numeric", 'N'))).isEqualTo("-123.456");
    }

    @Test
    void dates_and_times() {
        assertThat(r.render(0, named(Schema.Type.INT32, "io.debezium.time.Date"), col("date", 'D'))).isEqualTo("1970-01-01");
        assertThat(r.render(-719162, named(Schema.Type.INT32, "io.debezium.time.Date"), col("date", 'D'))).isEqualTo("0001-01-01");
        assertThat(r.render(-622191234, named(Schema.Type.INT32, "io.debezium.time.Date"), col("date", 'D'))).isEqualTo("infinity");
        assertThat(r.render(86_400_000_000L, named(Schema.Type.INT64, "io.debezium.time.MicroTime"), col("time", 'D'))).isEqualTo("24:00:00");
        assertThat(r.render(3_723_456_789L, named(Schema.Type.INT64, "io.debezium.time.MicroTime"), col("time", 'D'))).isEqualTo("01:02:03.456789000");
        assertThat(r.render(-62_135_596_799_999_999L, named(Schema.Type.INT64, "io.debezium.time.MicroTimestamp"), col("timestamp", 'D')))
                .isEqualTo("0001-01-01 00:00:00.000001000");
        assertThat(r.render(9223372036825200000L, named(Schema.Type.INT64, "io.debezium.time.MicroTimestamp"), col("timestamp", 'D')))
                .isEqualTo("infinity");
        assertThat(r.render(0L, named(Schema.Type.INT64, "io.debezium.time.MicroTimestamp"), col("timestamptz", 'D')))
                .isEqualTo("1970-01-01 00:00:00.000000000+00");
        assertThat(r.render("2026-01-01T10:00:00.5Z", named(Schema.Type.STRING, "io.debezium.time.IsoTimestamp"), col("timestamp", 'D')))
                .isEqualTo("2026-01-01T10:00:00.5");
        Schema zoned = named(Schema.Type.STRING, "io.debezium.time.ZonedTimestamp");
        assertThat(r.render("2026-01-01T10:00:00.5Z", zoned, col("timestamptz", 'D'))).isEqualTo("2026-01-01T10:00:00.5Z");
        assertThat(r.render("-0043-03-15T12:00:00.000000Z", zoned, col("timestamptz", 'D'))).isEqualTo("0044-03-15T12:00:00.000000Z BC");
        assertThat(r.render("0000-03-15T12:00:00Z", zoned, col("timestamptz", 'D'))).isEqualTo("0001-03-15T12:00:00Z BC");
        assertThat(r.render("-12345-01-01T00:00:00Z", zoned, col("timestamptz", 'D'))).isEqualTo("12346-01-01T00:00:00Z BC");
        assertThat(r.render("+10000-01-01T00:00:00Z", zoned, col("timestamptz", 'D'))).isEqualTo("10000-01-01T00:00:00Z");
        assertThat(r.render("infinity", zoned, col("timestamptz", 'D'))).isEqualTo("infinity");
        assertThat(r.render("-infinity", zoned, col("timestamptz", 'D'))).isEqualTo("-infinity");
        assertThat(r.render(-86_401_500_000L, named(Schema.Type.INT64, "io.debezium.time.MicroDuration"), col("interval", 'T')))
                .isEqualTo("-1 days -00:00:01.500000");
    }

    @Test
    void binary_bits_arrays_and_maps() {
        assertThat(r.render(new byte[] {(byte) 0xde, (byte) 0xad}, Schema.BYTES_SCHEMA, col("bytea", 'U'))).isEqualTo("\\xdead");
        Schema bits = SchemaBuilder.bytes().name("io.debezium.data.Bits").parameter("length", "4").build();
        assertThat(r.render(new byte[] {0b1010}, bits, col("bit", 'V'))).isEqualTo("1010");
        assertThat(r.render(new byte[] {0b0101}, bits, col("varbit", 'V'))).isEqualTo("101");
        Schema arr = SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build();
        assertThat(r.render(Arrays.asList("a b", null, "q\"x", "back\\slash", ""), arr, new Column("c", "text[]", "text", 'S', true, false, false)))
                .isEqualTo("{\"a b\",NULL,\"q\\\"x\",\"back\\\\slash\",\"\"}");
        assertThat(r.render("{\"k\":\"v\",\"n\":null}", named(Schema.Type.STRING, "io.debezium.data.Json"), col("hstore", 'U')))
                .isEqualTo("\"k\"=>\"v\", \"n\"=>NULL");
        assertThat(r.render(Map.of("a", "1"), SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.STRING_SCHEMA).build(), col("hstore", 'U')))
                .isEqualTo("\"a\"=>\"1\"");
    }

    @Test
    void copy_text_escapes_what_copy_would_misread() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        Pending row = new Pending(new String[] {"a\tb\nc\\d\re", null}, false, true, null);
        CopyText.writeRows(List.of(row), List.of(0, 1), null, out::write);
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo("a\\tb\\nc\\\\d\\re\t\\N\n");
    }

    @Test
    void copy_text_is_the_utf8_that_string_encoding_gives() throws Exception {
        for (String s : List.of("", "plain", "é ü ß", "日本語", "emoji \uD83D\uDE00 pair", "unpaired \uD800 high", "unpaired \uDC00 low", "end \uD83D")) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            Pending row = new Pending(new String[] {s, null}, false, true, null);
            CopyText.writeRows(List.of(row), List.of(0, 1), null, out::write);
            assertThat(out.toByteArray()).as(s).isEqualTo((s + "\t\\N\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }

    @Test
    void copy_text_of_many_rows_spans_chunks_whole() throws Exception {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        List<Pending> rows = new java.util.ArrayList<>();
        StringBuilder expected = new StringBuilder();
        for (int i = 0; i < 20_000; i++) {
            String big = i % 1000 == 0 ? "x".repeat(100_000) : "row " + i;
            rows.add(new Pending(new String[] {big, TableBatch.KEEP}, false, true, null));
            expected.append(big).append("\t\\N\n");
        }
        CopyText.writeRows(rows, List.of(0, 1), null, out::write);
        assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(expected.toString());
    }

    @Test
    void geometry_gets_its_srid_into_the_ewkb() {
        Schema geometry = SchemaBuilder.struct().name("io.debezium.data.geometry.Geometry")
                .field("wkb", Schema.BYTES_SCHEMA).field("srid", Schema.OPTIONAL_INT32_SCHEMA).build();
        // POINT(1 2), little endian WKB.
        byte[] point = java.util.HexFormat.of().parseHex("0101000000000000000000f03f0000000000000040");
        assertThat(r.render(new Struct(geometry).put("wkb", point).put("srid", 4326), geometry, col("geometry", 'U')))
                .isEqualTo("0101000020e6100000000000000000f03f0000000000000040");
        assertThat(r.render(new Struct(geometry).put("wkb", point), geometry, col("geometry", 'U')))
                .isEqualTo("0101000000000000000000f03f0000000000000040");
        // Big endian, and an EWKB that carries its SRID already: left as it is.
        byte[] bigEndian = java.util.HexFormat.of().parseHex("00000000013ff00000000000004000000000000000");
        assertThat(r.render(new Struct(geometry).put("wkb", bigEndian).put("srid", 3857), geometry, col("geometry", 'U')))
                .isEqualTo("002000000100000f113ff00000000000004000000000000000");
        byte[] ewkb = java.util.HexFormat.of().parseHex("0101000020e6100000000000000000f03f0000000000000040");
        assertThat(r.render(new Struct(geometry).put("wkb", ewkb).put("srid", 4326), geometry, col("geography", 'U')))
                .isEqualTo("0101000020e6100000000000000000f03f0000000000000040");
    }
}

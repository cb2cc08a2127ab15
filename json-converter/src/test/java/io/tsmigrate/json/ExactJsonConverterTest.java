package io.tsmigrate.json;

import org.apache.kafka.connect.data.Date;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.data.Timestamp;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The fast reader gives what JsonConverter gives, except that float NaN and infinities survive. */
class ExactJsonConverterTest {

    private static final Schema ROW = SchemaBuilder.struct().name("row").optional()
            .field("i8", Schema.INT8_SCHEMA).field("i16", Schema.INT16_SCHEMA).field("i32", Schema.INT32_SCHEMA).field("i64", Schema.INT64_SCHEMA)
            .field("f32", Schema.FLOAT32_SCHEMA).field("f64", Schema.FLOAT64_SCHEMA).field("nan", Schema.FLOAT64_SCHEMA)
            .field("b", Schema.BOOLEAN_SCHEMA).field("s", Schema.OPTIONAL_STRING_SCHEMA).field("bytes", Schema.BYTES_SCHEMA)
            .field("dec", Decimal.schema(3)).field("date", Date.SCHEMA).field("ts", Timestamp.SCHEMA)
            .field("arr", SchemaBuilder.array(Schema.OPTIONAL_STRING_SCHEMA).build())
            .field("map", SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build())
            .field("imap", SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build())
            .field("nested", SchemaBuilder.struct().field("x", Schema.FLOAT32_SCHEMA).optional().build())
            .field("named", SchemaBuilder.int64().name("io.debezium.time.MicroTimestamp").build())
            .build();

    @Test
    void reads_what_json_converter_writes() {
        Struct row = new Struct(ROW).put("i8", (byte) -1).put("i16", (short) 300).put("i32", 70000).put("i64", Long.MIN_VALUE)
                .put("f32", 1.5f).put("f64", 0.1).put("nan", Double.NaN).put("b", true).put("s", "q\"u\\o\nte ü").put("bytes", new byte[] {0, -1, 7})
                .put("dec", new BigDecimal("-12.345")).put("date", new java.util.Date(86_400_000L * 3)).put("ts", new java.util.Date(1234567L))
                .put("arr", Arrays.asList("a", null, "c")).put("map", Map.of("k", 1)).put("imap", Map.of(5, "five"))
                .put("nested", new Struct(ROW.field("nested").schema()).put("x", Float.NEGATIVE_INFINITY)).put("named", 42L);
        JsonConverter writer = new JsonConverter();
        writer.configure(Map.of("schemas.enable", "true"), false);
        byte[] json = writer.fromConnectData("t", ROW, row);
        ExactJsonConverter reader = new ExactJsonConverter();
        reader.configure(Map.of("schemas.enable", "true"), false);
        for (int i = 0; i < 2; i++) {
            SchemaAndValue read = reader.toConnectData("t", json);
            Struct s = (Struct) read.value();
            assertThat(read.schema()).isEqualTo(ROW);
            assertThat(Double.isNaN(s.getFloat64("nan"))).isTrue();
            assertThat(s.getStruct("nested").getFloat32("x")).isEqualTo(Float.NEGATIVE_INFINITY);
            assertThat(s.getBytes("bytes")).containsExactly(0, -1, 7);
            // Everything else as JsonConverter reads it.
            Struct expected = (Struct) writer.toConnectData("t", json).value();
            for (String f : List.of("i8", "i16", "i32", "i64", "f32", "f64", "b", "s", "dec", "date", "ts", "arr", "map", "imap", "named")) {
                assertThat(s.get(f)).as(f).isEqualTo(expected.get(f));
            }
        }
        assertThat(reader.toConnectData("t", null)).isEqualTo(SchemaAndValue.NULL);
        byte[] schemaless = "{\"schema\":null,\"payload\":{\"a\":1}}".getBytes(StandardCharsets.UTF_8);
        assertThat(reader.toConnectData("t", schemaless).value()).isEqualTo(Map.of("a", 1L));
    }

    @Test
    void reads_values_longer_than_jacksons_default_limit() {
        // A 30 MB text and a 16 MB bytea (22 MB of base64): Jackson refuses strings over 20,000,000 characters by default.
        Schema schema = SchemaBuilder.struct().field("body", Schema.OPTIONAL_STRING_SCHEMA).field("img", Schema.OPTIONAL_BYTES_SCHEMA).build();
        String body = "ü".repeat(15_000_000) + "x".repeat(15_000_000);
        byte[] img = new byte[16_000_000];
        new java.util.Random(7).nextBytes(img);
        ExactJsonConverter converter = new ExactJsonConverter();
        converter.configure(Map.of("schemas.enable", "true"), false);
        byte[] json = converter.fromConnectData("t", schema, new Struct(schema).put("body", body).put("img", img));
        Struct read = (Struct) converter.toConnectData("t", json).value();
        assertThat(read.getString("body")).isEqualTo(body);
        assertThat(read.getBytes("img")).isEqualTo(img);
    }

    @Test
    void reads_alike_on_the_owning_thread_and_on_others_at_once() throws Exception {
        Schema schema = SchemaBuilder.struct().field("id", Schema.INT64_SCHEMA).field("s", Schema.OPTIONAL_STRING_SCHEMA).build();
        JsonConverter writer = new JsonConverter();
        writer.configure(Map.of("schemas.enable", "true"), false);
        ExactJsonConverter reader = new ExactJsonConverter();
        reader.configure(Map.of("schemas.enable", "true"), false);
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Boolean>> results = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                results.add(pool.submit(() -> {
                    for (int i = 0; i < 20_000; i++) {
                        String text = "row " + thread + "/" + (i % 50) + " ü";
                        byte[] json = writer.fromConnectData("t", schema, new Struct(schema).put("id", (long) i).put("s", text));
                        Struct s = (Struct) reader.toConnectData("t", json).value();
                        if (s.getInt64("id") != i || !text.equals(s.getString("s"))) {
                            return false;
                        }
                    }
                    return true;
                }));
            }
            for (java.util.concurrent.Future<Boolean> r : results) {
                assertThat(r.get()).isTrue();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void fills_structs_directly_and_keeps_each_fields_own_strings() {
        // A Kafka whose Struct is laid out otherwise would fall back to put(): slower, and this test says so.
        assertThat(PayloadReader.direct()).isTrue();
        Schema shape = SchemaBuilder.struct().field("a", Schema.OPTIONAL_STRING_SCHEMA).field("b", Schema.OPTIONAL_STRING_SCHEMA)
                .field("n", Schema.INT32_SCHEMA).build();
        JsonConverter writer = new JsonConverter();
        writer.configure(Map.of("schemas.enable", "true"), false);
        ExactJsonConverter reader = new ExactJsonConverter();
        reader.configure(Map.of("schemas.enable", "true"), false);
        String[][] rows = {{"same", "same"}, {"same", "samf"}, {"x", null}, {"x", "x"}, {"ü日", "ü日"}, {"ü月", "ü日"}, {"", ""}};
        for (String[] r : rows) {
            Struct s = (Struct) reader.toConnectData("t", writer.fromConnectData("t", shape, new Struct(shape).put("a", r[0]).put("b", r[1]).put("n", 1)))
                    .value();
            s.validate();
            assertThat(s.getString("a")).isEqualTo(r[0]);
            assertThat(s.getString("b")).isEqualTo(r[1]);
        }
        // A NULL in a required field is still refused.
        String good = new String(writer.fromConnectData("t", shape, new Struct(shape).put("n", 1)), StandardCharsets.UTF_8);
        assertThat(good).endsWith("\"n\":1}}");
        byte[] bad = good.replace("\"n\":1}}", "\"n\":null}}").getBytes(StandardCharsets.UTF_8);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> reader.toConnectData("t", bad)).hasMessageContaining("required field");
    }

    @Test
    void writes_what_json_converter_writes_byte_for_byte() {
        Schema withDefaults = SchemaBuilder.struct().name("d").field("a", SchemaBuilder.int32().defaultValue(7).build())
                .field("b", SchemaBuilder.string().optional().defaultValue("x").build()).field("c", Schema.OPTIONAL_INT64_SCHEMA)
                .field("t", org.apache.kafka.connect.data.Time.SCHEMA).field("bb", Schema.OPTIONAL_BYTES_SCHEMA).build();
        // What JsonConverter writes when NULL is kept NULL (Debezium puts column defaults into the schema).
        JsonConverter json = new JsonConverter();
        json.configure(Map.of("schemas.enable", "true", "replace.null.with.default", "false"), false);
        ExactJsonConverter exact = new ExactJsonConverter();
        exact.configure(Map.of("schemas.enable", "true"), false);
        for (int round = 0; round < 3; round++) {
            Struct row = new Struct(ROW).put("i8", (byte) round).put("i16", (short) -300).put("i32", Integer.MAX_VALUE).put("i64", Long.MIN_VALUE + round)
                    .put("f32", 1.1f * round).put("f64", round == 2 ? Double.POSITIVE_INFINITY : 0.1 * round).put("nan", Double.NaN).put("b", round == 1)
                    .put("s", round == 0 ? null : "q\"u\\o\nte ü\u0001 \ud83d\ude00").put("bytes", new byte[] {0, -1, (byte) round})
                    .put("dec", new BigDecimal("-12.345").add(BigDecimal.valueOf(round))).put("date", new java.util.Date(86_400_000L * round))
                    .put("ts", new java.util.Date(1234567L * round)).put("arr", Arrays.asList("a", null, "c" + round))
                    .put("map", new java.util.TreeMap<>(Map.of("k", round, "j", 2))).put("imap", new java.util.TreeMap<>(Map.of(5, "five", 6, "six")))
                    .put("nested", round == 1 ? null : new Struct(ROW.field("nested").schema()).put("x", Float.NEGATIVE_INFINITY)).put("named", 42L * round);
            assertThat(new String(exact.fromConnectData("t", ROW, row), StandardCharsets.UTF_8))
                    .isEqualTo(new String(json.fromConnectData("t", ROW, row), StandardCharsets.UTF_8));
            Struct d = new Struct(withDefaults).put("a", round).put("c", round == 0 ? null : (long) round).put("t", new java.util.Date(1000L * round))
                    .put("bb", round == 2 ? java.nio.ByteBuffer.wrap(new byte[] {1, 2}) : null);
            byte[] written = exact.fromConnectData("t", withDefaults, d);
            assertThat(written).isEqualTo(json.fromConnectData("t", withDefaults, d));
            // An explicit NULL in a field with a default reads back as NULL, not as the default.
            assertThat(((Struct) exact.toConnectData("t", written).value()).getWithoutDefault("b")).isNull();
        }
        // A record that cannot be written fails alone: the next one of the same schema is written whole.
        Schema required = SchemaBuilder.struct().name("r").field("a", Schema.INT32_SCHEMA).field("b", Schema.STRING_SCHEMA).build();
        Struct good = new Struct(required).put("a", 1).put("b", "x");
        assertThat(exact.fromConnectData("t", required, good)).isEqualTo(json.fromConnectData("t", required, good));
        Struct bad = new Struct(required).put("a", 2);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> exact.fromConnectData("t", required, bad)).hasMessageContaining("topic t");
        assertThat(exact.fromConnectData("t", required, good)).isEqualTo(json.fromConnectData("t", required, good));
        assertThat(exact.fromConnectData("t", null, null)).isEqualTo(json.fromConnectData("t", null, null));
        assertThat(exact.fromConnectData("t", Schema.OPTIONAL_STRING_SCHEMA, null)).isEqualTo(json.fromConnectData("t", Schema.OPTIONAL_STRING_SCHEMA, null));
        assertThat(exact.fromConnectData("t", Schema.STRING_SCHEMA, "plain")).isEqualTo(json.fromConnectData("t", Schema.STRING_SCHEMA, "plain"));
        assertThat(exact.fromConnectData("t", Schema.STRING_SCHEMA, "plain2")).isEqualTo(json.fromConnectData("t", Schema.STRING_SCHEMA, "plain2"));
    }

    @Test
    void writes_structs_of_an_equal_schema_object_and_refuses_another_schema_after_them() {
        // Debezium builds some structs with a schema equal to the record's but not the same object.
        Schema record = SchemaBuilder.struct().name("env").field("id", Schema.INT32_SCHEMA).field("tx", SchemaBuilder.struct().name("tx")
                .optional().field("order", Schema.INT64_SCHEMA).build()).build();
        Schema sameShape = SchemaBuilder.struct().name("env").field("id", Schema.INT32_SCHEMA).field("tx", SchemaBuilder.struct().name("tx")
                .optional().field("order", Schema.INT64_SCHEMA).build()).build();
        Schema other = SchemaBuilder.struct().name("env").field("id", Schema.INT32_SCHEMA).field("tx", SchemaBuilder.struct().name("tx")
                .optional().field("order", Schema.INT32_SCHEMA).build()).build();
        JsonConverter json = new JsonConverter();
        json.configure(Map.of("schemas.enable", "true", "replace.null.with.default", "false"), false);
        ExactJsonConverter exact = new ExactJsonConverter();
        exact.configure(Map.of("schemas.enable", "true"), false);
        for (int round = 0; round < 3; round++) {
            Struct value = new Struct(sameShape).put("id", round).put("tx", new Struct(sameShape.field("tx").schema()).put("order", 10L + round));
            assertThat(exact.fromConnectData("t", record, value)).isEqualTo(json.fromConnectData("t", record, value));
        }
        // A struct of a schema that only looks alike (another field type) is still refused, as JsonConverter refuses it.
        Struct wrong = new Struct(other).put("id", 1).put("tx", new Struct(other.field("tx").schema()).put("order", 5));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> json.fromConnectData("t", record, wrong)).hasMessageContaining("Mismatching schema");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> exact.fromConnectData("t", record, wrong)).hasMessageContaining("Mismatching schema");
        Struct good = new Struct(sameShape).put("id", 9).put("tx", null);
        assertThat(exact.fromConnectData("t", record, good)).isEqualTo(json.fromConnectData("t", record, good));
    }
}

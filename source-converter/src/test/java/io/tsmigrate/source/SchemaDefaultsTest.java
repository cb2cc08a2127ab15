package io.tsmigrate.source;

import io.apicurio.registry.utils.converter.avro.AvroData;
import io.apicurio.registry.utils.converter.avro.AvroDataConfig;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An explicit NULL in a column with a DEFAULT through Apicurio Registry's Avro converter (its real AvroData, the part of
 * the converter that maps Connect data to Avro and back; the registry only stores the schemas): as Debezium writes the
 * record, AvroData puts the default in place of the null; with the schema defaults left out by the source task, the
 * NULL stays NULL, and values that are not null are unchanged.
 */
class SchemaDefaultsTest {

    private static final Schema ROW = SchemaBuilder.struct().name("app.public.orders.Value").optional()
            .field("id", Schema.INT32_SCHEMA)
            .field("status", SchemaBuilder.string().optional().defaultValue("new").build())
            .field("n", SchemaBuilder.int32().optional().defaultValue(7).build())
            .field("tags", SchemaBuilder.array(Schema.STRING_SCHEMA).optional().defaultValue(List.of()).build())
            .field("at", SchemaBuilder.string().name("io.debezium.time.ZonedTimestamp").version(1).optional().defaultValue("1970-01-01T00:00:00Z").build())
            .build();
    private static final Schema ENVELOPE = SchemaBuilder.struct().name("app.public.orders.Envelope")
            .field("before", ROW).field("after", ROW).field("op", Schema.STRING_SCHEMA).build();

    private static SourceRecord record(Integer n, String status) {
        Struct after = new Struct(ROW).put("id", 1).put("status", status).put("n", n).put("tags", null).put("at", null);
        Struct value = new Struct(ENVELOPE).put("after", after).put("op", "c");
        return new SourceRecord(Map.of("server", "app"), Map.of("lsn", 1L), "app.public.orders", null, null, null, ENVELOPE, value);
    }

    /** The record through AvroData as the Avro converter writes it and reads it back. */
    private static Struct throughAvro(SourceRecord r) {
        AvroData avro = new AvroData(new AvroDataConfig(Map.of()));
        Object written = avro.fromConnectData(r.valueSchema(), r.value());
        return (Struct) avro.toConnectData(avro.fromConnectSchema(r.valueSchema()), written).value();
    }

    @Test
    void apicurio_avro_turns_an_explicit_null_into_the_column_default() {
        Struct after = throughAvro(record(null, null)).getStruct("after");
        assertThat(after.getWithoutDefault("status")).isEqualTo("new");
        assertThat(after.getWithoutDefault("n")).isEqualTo(7);
    }

    @Test
    void without_schema_defaults_the_null_stays_null_and_values_stay_as_they_are() {
        SchemaDefaults drop = new SchemaDefaults(Map.of(SchemaDefaults.SETTING, "drop"));
        SourceRecord nulls = drop.apply(List.of(record(null, null))).get(0);
        Struct after = throughAvro(nulls).getStruct("after");
        assertThat(after.getWithoutDefault("status")).isNull();
        assertThat(after.getWithoutDefault("n")).isNull();
        assertThat(after.getWithoutDefault("tags")).isNull();
        assertThat(after.getWithoutDefault("at")).isNull();
        SourceRecord values = drop.apply(List.of(record(3, "paid"))).get(0);
        assertThat(throughAvro(values).getStruct("after").getWithoutDefault("status")).isEqualTo("paid");
        assertThat(values.sourceOffset()).isEqualTo(Map.of("lsn", 1L));
        // The logical type's name and version survive; one schema object per source schema.
        Schema at = values.valueSchema().field("after").schema().field("at").schema();
        assertThat(at.name()).isEqualTo("io.debezium.time.ZonedTimestamp");
        assertThat(at.version()).isEqualTo(1);
        assertThat(at.defaultValue()).isNull();
        assertThat(drop.apply(List.of(record(1, "x"))).get(0).valueSchema()).isSameAs(values.valueSchema());
    }

    @Test
    void kept_by_default_and_a_wrong_setting_is_refused() {
        SourceRecord r = record(null, null);
        assertThat(new SchemaDefaults(Map.of()).apply(List.of(r)).get(0)).isSameAs(r);
        assertThatThrownBy(() -> new SchemaDefaults(Map.of(SchemaDefaults.SETTING, "off"))).hasMessageContaining("keep or drop");
    }
}

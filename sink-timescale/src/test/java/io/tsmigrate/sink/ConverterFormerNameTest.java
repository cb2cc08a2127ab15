package io.tsmigrate.sink;

import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.storage.Converter;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Connectors created by an earlier release name the converter io.tsmigrate.sink.ExactJsonConverter: the sink's plugin still serves it. */
class ConverterFormerNameTest {

    @Test
    @SuppressWarnings("deprecation")
    void the_former_name_is_the_converter_and_the_plugin_announces_it() throws Exception {
        Converter former = new ExactJsonConverter();
        assertThat(former).isInstanceOf(io.tsmigrate.json.ExactJsonConverter.class);
        former.configure(Map.of(), false);
        Schema schema = SchemaBuilder.struct().field("note", SchemaBuilder.string().optional().defaultValue("dflt").build())
                .field("x", Schema.FLOAT64_SCHEMA).build();
        Struct row = new Struct(schema).put("note", null).put("x", Double.NaN);
        SchemaAndValue back = former.toConnectData("t", former.fromConnectData("t", schema, row));
        Struct read = (Struct) back.value();
        assertThat(read.getWithoutDefault("note")).isNull();
        assertThat(read.getFloat64("x")).isNaN();
        try (InputStream in = getClass().getResourceAsStream("/META-INF/services/org.apache.kafka.connect.storage.Converter")) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).contains("io.tsmigrate.sink.ExactJsonConverter");
        }
    }
}

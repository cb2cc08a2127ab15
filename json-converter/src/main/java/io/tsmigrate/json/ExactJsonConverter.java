package io.tsmigrate.json;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.storage.Converter;

import java.util.Map;

/**
 * Reads and writes what Kafka's {@link JsonConverter} writes ({@code {"schema":…,"payload":…}}), faster and exactly:
 * <ul>
 *   <li>reading ({@link JsonRecordReader}): each distinct schema is parsed once (JsonConverter parses every record's
 *       schema, which is most of a Debezium record's bytes), and the payload is streamed straight into Connect
 *       values; float NaN and ±Infinity survive (JSON has no such numbers, so the writer puts the strings "NaN",
 *       "Infinity", "-Infinity" where a number belongs, which JsonConverter reads back as 0.0);</li>
 *   <li>writing ({@link JsonRecordWriter}): byte for byte what JsonConverter writes, with the schema's JSON and its
 *       payload's writer kept per schema object, so a source connector (Debezium) uses it as its converter too.</li>
 * </ul>
 * Anything else (schemas disabled, another layout, output settings other than {@code schemas.enable}) goes through
 * JsonConverter. Use it as {@code key.converter} and {@code value.converter} with the same settings as
 * JsonConverter. Thread-safe. Not final only for the sink's former name of it ({@code io.tsmigrate.sink.ExactJsonConverter}).
 */
public class ExactJsonConverter implements Converter {

    private final JsonConverter delegate = new JsonConverter();
    private final JsonRecordWriter writer = new JsonRecordWriter();
    private JsonRecordReader reader;
    private boolean fastWrite = true;

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // Unlike JsonConverter's default, null is never replaced by a field's schema default (Debezium puts column
        // defaults into the schema, so an explicit NULL would arrive as the DEFAULT).
        Map<String, Object> settings = new java.util.HashMap<>(configs);
        settings.putIfAbsent("replace.null.with.default", "false");
        delegate.configure(settings, isKey);
        Object enabled = configs.get("schemas.enable");
        boolean schemasEnabled = enabled == null || Boolean.parseBoolean(enabled.toString());
        reader = new JsonRecordReader(delegate, schemasEnabled);
        // The fast writer reproduces JsonConverter's default output; other output settings go through JsonConverter.
        fastWrite = schemasEnabled && configs.keySet().stream().map(Object::toString)
                .allMatch(k -> k.equals("schemas.enable") || k.equals("schemas.cache.size") || k.equals("converter.type")
                        || (k.equals("replace.null.with.default") && !Boolean.parseBoolean(String.valueOf(configs.get(k)))));
    }

    @Override
    public byte[] fromConnectData(String topic, Schema schema, Object value) {
        if (!fastWrite || value == null) {
            return delegate.fromConnectData(topic, schema, value);
        }
        return writer.write(topic, schema, value, v -> delegate.fromConnectData(topic, schema, v));
    }

    @Override
    public SchemaAndValue toConnectData(String topic, byte[] value) {
        return reader.read(topic, value);
    }

    @Override
    public ConfigDef config() {
        return delegate.config();
    }

    @Override
    public void close() {
        delegate.close();
    }
}

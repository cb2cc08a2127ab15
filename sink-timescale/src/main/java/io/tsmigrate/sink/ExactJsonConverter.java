package io.tsmigrate.sink;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.storage.Converter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * Kafka's {@link JsonConverter}, except that float NaN and ±Infinity survive. JSON has no such numbers, so
 * the producing JsonConverter writes them as the strings "NaN", "Infinity" and "-Infinity", and the
 * consuming JsonConverter reads a string where it expects a number as 0.0. This converter reads the record
 * with JsonConverter and then puts those values back in the float fields that held such strings. Use it as
 * the sink's {@code value.converter} (and {@code key.converter}) in place of JsonConverter, with the same
 * settings. Thread-safe as JsonConverter is.
 */
public final class ExactJsonConverter implements Converter {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final byte[] NAN = "\"NaN\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] INFINITY = "Infinity\"".getBytes(StandardCharsets.US_ASCII);

    private final JsonConverter delegate = new JsonConverter();
    private boolean schemasEnabled = true;

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        delegate.configure(configs, isKey);
        Object enabled = configs.get("schemas.enable");
        schemasEnabled = enabled == null || Boolean.parseBoolean(enabled.toString());
    }

    @Override
    public byte[] fromConnectData(String topic, Schema schema, Object value) {
        return delegate.fromConnectData(topic, schema, value);
    }

    @Override
    public SchemaAndValue toConnectData(String topic, byte[] value) {
        SchemaAndValue result = delegate.toConnectData(topic, value);
        if (value == null || !(result.value() instanceof Struct struct) || (indexOf(value, NAN) < 0 && indexOf(value, INFINITY) < 0)) {
            return result;
        }
        try {
            JsonNode root = MAPPER.readTree(value);
            patch(struct, schemasEnabled ? root.get("payload") : root);
        } catch (IOException e) {
            throw new DataException("cannot re-read a JSON record of topic " + topic, e);
        }
        return result;
    }

    @Override
    public ConfigDef config() {
        return delegate.config();
    }

    @Override
    public void close() {
        delegate.close();
    }

    private static void patch(Struct struct, JsonNode node) {
        if (node == null || !node.isObject()) {
            return;
        }
        for (Field f : struct.schema().fields()) {
            JsonNode child = node.get(f.name());
            Object value = struct.get(f);
            if (child == null || value == null) {
                continue;
            }
            switch (f.schema().type()) {
                case FLOAT32, FLOAT64 -> {
                    Double special = special(child);
                    if (special != null) {
                        struct.put(f, f.schema().type() == Schema.Type.FLOAT32 ? (Object) special.floatValue() : special);
                    }
                }
                case STRUCT -> patch((Struct) value, child);
                case ARRAY -> patchList(value, f.schema().valueSchema(), child);
                default -> { }
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static void patchList(Object value, Schema element, JsonNode node) {
        if (!(value instanceof List<?> list) || !node.isArray()) {
            return;
        }
        for (int i = 0; i < list.size() && i < node.size(); i++) {
            if (element.type() == Schema.Type.FLOAT32 || element.type() == Schema.Type.FLOAT64) {
                Double special = special(node.get(i));
                if (special != null) {
                    ((List<Object>) list).set(i, element.type() == Schema.Type.FLOAT32 ? (Object) special.floatValue() : special);
                }
            } else if (element.type() == Schema.Type.STRUCT && list.get(i) instanceof Struct s) {
                patch(s, node.get(i));
            }
        }
    }

    private static Double special(JsonNode node) {
        if (!node.isTextual()) {
            return null;
        }
        return switch (node.asText()) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> null;
        };
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

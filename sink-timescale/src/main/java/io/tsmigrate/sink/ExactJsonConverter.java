package io.tsmigrate.sink;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.storage.Converter;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads what Kafka's {@link JsonConverter} writes ({@code {"schema":…,"payload":…}}), faster and exactly:
 * <ul>
 *   <li>each distinct schema is parsed once, keyed by its bytes (JsonConverter parses every record's schema,
 *       which is most of a Debezium record's bytes), and the payload is streamed straight into Connect values;</li>
 *   <li>float NaN and ±Infinity survive: JSON has no such numbers, so the writer puts the strings "NaN",
 *       "Infinity", "-Infinity" where a number belongs, which JsonConverter reads back as 0.0.</li>
 * </ul>
 * Anything else (schemas disabled, another layout) goes through JsonConverter. Use it as the sink's
 * {@code key.converter} and {@code value.converter} with the same settings as JsonConverter. Thread-safe.
 *
 * <p>It also writes what JsonConverter writes, byte for byte, faster: the schema part of the first record of each
 * schema object is kept and copied into the next records, and the payload is streamed, so a source connector
 * (Debezium) can use it as its value converter too. With settings other than {@code schemas.enable} it writes
 * through JsonConverter.
 */
public final class ExactJsonConverter implements Converter {

    // Exact (correctly rounded) and several times faster than the JDK's parsing of doubles and big decimals.
    private static final ObjectMapper MAPPER = com.fasterxml.jackson.databind.json.JsonMapper.builder()
            .enable(com.fasterxml.jackson.core.StreamReadFeature.USE_FAST_DOUBLE_PARSER, com.fasterxml.jackson.core.StreamReadFeature.USE_FAST_BIG_NUMBER_PARSER)
            .build();
    private static final byte[] PREFIX = "{\"schema\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PAYLOAD = ",\"payload\":".getBytes(StandardCharsets.US_ASCII);
    private static final int CACHE_LIMIT = 2000;

    private final JsonConverter delegate = new JsonConverter();
    private final Map<SchemaBytes, Schema> schemas = new ConcurrentHashMap<>();
    private boolean schemasEnabled = true;
    private boolean fastWrite = true;
    /** Schemas written before, by identity (Debezium keeps one schema object per table version), and their JSON. */
    private final Map<Schema, byte[]> written = java.util.Collections.synchronizedMap(new java.util.IdentityHashMap<>());

    /** A schema's JSON bytes as a map key. */
    /** The schema of a topic's latest record, and its JSON. */
    private record Last(byte[] bytes, Schema schema) {
    }

    private final Map<String, Last> lastByTopic = new ConcurrentHashMap<>();

    private record SchemaBytes(byte[] bytes, int hash) {
        static SchemaBytes of(byte[] src, int from, int to) {
            byte[] b = Arrays.copyOfRange(src, from, to);
            return new SchemaBytes(b, Arrays.hashCode(b));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof SchemaBytes s && s.hash == hash && Arrays.equals(s.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // Unlike JsonConverter's default, null is never replaced by a field's schema default (Debezium puts column
        // defaults into the schema, so an explicit NULL would arrive as the DEFAULT).
        Map<String, Object> settings = new java.util.HashMap<>(configs);
        settings.putIfAbsent("replace.null.with.default", "false");
        delegate.configure(settings, isKey);
        Object enabled = configs.get("schemas.enable");
        schemasEnabled = enabled == null || Boolean.parseBoolean(enabled.toString());
        // The fast writer reproduces JsonConverter's default output; other output settings go through JsonConverter.
        fastWrite = schemasEnabled && configs.keySet().stream().map(Object::toString)
                .allMatch(k -> k.equals("schemas.enable") || k.equals("schemas.cache.size") || k.equals("converter.type")
                        || (k.equals("replace.null.with.default") && !Boolean.parseBoolean(String.valueOf(configs.get(k)))));
    }

    @Override
    public byte[] fromConnectData(String topic, Schema schema, Object value) {
        // Only immutable schemas are remembered by identity (a SchemaBuilder could change after this record).
        if (!fastWrite || !(schema instanceof org.apache.kafka.connect.data.ConnectSchema) || value == null) {
            return delegate.fromConnectData(topic, schema, value);
        }
        byte[] schemaJson = written.get(schema);
        if (schemaJson == null) {
            // The first record of a schema goes through JsonConverter; its schema part is kept for the next ones.
            byte[] full = delegate.fromConnectData(topic, schema, value);
            int end = schemaEnd(full);
            if (end > 0 && startsWith(full, end, PAYLOAD)) {
                if (written.size() > CACHE_LIMIT) {
                    written.clear();
                }
                written.put(schema, Arrays.copyOfRange(full, PREFIX.length, end));
            }
            return full;
        }
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(schemaJson.length + 512);
            out.write(PREFIX);
            out.write(schemaJson);
            out.write(PAYLOAD);
            try (JsonGenerator g = MAPPER.getFactory().createGenerator(out)) {
                write(g, schema, value);
            }
            out.write('}');
            return out.toByteArray();
        } catch (IOException | ClassCastException e) {
            throw new DataException("cannot write a JSON record of topic " + topic + ": " + e.getMessage(), e);
        }
    }

    /** Writes a value as JsonConverter's convertToJson would (same defaults, logical types, field order). */
    private static void write(JsonGenerator g, Schema schema, Object value) throws IOException {
        if (value == null) {
            // An explicit NULL stays NULL (JsonConverter with replace.null.with.default=false); a schema default
            // stands in only where the schema does not allow null.
            if (schema.isOptional()) {
                g.writeNull();
            } else if (schema.defaultValue() != null) {
                write(g, schema, schema.defaultValue());
            } else {
                throw new DataException("null value for a required field without default");
            }
            return;
        }
        if (schema.name() != null) {
            switch (schema.name()) {
                case Decimal.LOGICAL_NAME -> {
                    g.writeBinary(Decimal.fromLogical(schema, (BigDecimal) value));
                    return;
                }
                case org.apache.kafka.connect.data.Date.LOGICAL_NAME -> {
                    g.writeNumber(org.apache.kafka.connect.data.Date.fromLogical(schema, (java.util.Date) value));
                    return;
                }
                case org.apache.kafka.connect.data.Time.LOGICAL_NAME -> {
                    g.writeNumber(org.apache.kafka.connect.data.Time.fromLogical(schema, (java.util.Date) value));
                    return;
                }
                case org.apache.kafka.connect.data.Timestamp.LOGICAL_NAME -> {
                    g.writeNumber(org.apache.kafka.connect.data.Timestamp.fromLogical(schema, (java.util.Date) value));
                    return;
                }
                default -> {
                    // not one of Kafka's logical types: written by its physical type
                }
            }
        }
        switch (schema.type()) {
            case INT8 -> g.writeNumber((Byte) value);
            case INT16 -> g.writeNumber((Short) value);
            case INT32 -> g.writeNumber((Integer) value);
            case INT64 -> g.writeNumber((Long) value);
            case FLOAT32 -> g.writeNumber((Float) value);
            case FLOAT64 -> g.writeNumber((Double) value);
            case BOOLEAN -> g.writeBoolean((Boolean) value);
            case STRING -> g.writeString(((CharSequence) value).toString());
            case BYTES -> g.writeBinary(value instanceof byte[] b ? b : ((java.nio.ByteBuffer) value).array());
            case ARRAY -> {
                g.writeStartArray();
                for (Object e : (java.util.Collection<?>) value) {
                    write(g, schema.valueSchema(), e);
                }
                g.writeEndArray();
            }
            case MAP -> {
                boolean objectMode = schema.keySchema().type() == Schema.Type.STRING;
                if (objectMode) {
                    g.writeStartObject();
                    for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                        g.writeFieldName(e.getKey().toString());
                        write(g, schema.valueSchema(), e.getValue());
                    }
                    g.writeEndObject();
                } else {
                    g.writeStartArray();
                    for (Map.Entry<?, ?> e : ((Map<?, ?>) value).entrySet()) {
                        g.writeStartArray();
                        write(g, schema.keySchema(), e.getKey());
                        write(g, schema.valueSchema(), e.getValue());
                        g.writeEndArray();
                    }
                    g.writeEndArray();
                }
            }
            case STRUCT -> {
                Struct struct = (Struct) value;
                if (!struct.schema().equals(schema)) {
                    throw new DataException("Mismatching schema.");
                }
                g.writeStartObject();
                for (Field f : schema.fields()) {
                    g.writeFieldName(f.name());
                    write(g, f.schema(), Row.raw(struct, f));
                }
                g.writeEndObject();
            }
            default -> throw new DataException("cannot write " + schema.type());
        }
    }

    @Override
    public SchemaAndValue toConnectData(String topic, byte[] value) {
        if (value == null) {
            return SchemaAndValue.NULL;
        }
        // Most records of a topic carry the same schema as the one before: compare bytes (vectorised), no scan, no hash.
        Last last = schemasEnabled ? lastByTopic.get(topic) : null;
        int lastEnd = last == null ? -1 : PREFIX.length + last.bytes().length;
        boolean same = last != null && startsWith(value, 0, PREFIX) && startsWith(value, lastEnd, PAYLOAD)
                && Arrays.equals(last.bytes(), 0, last.bytes().length, value, PREFIX.length, lastEnd);
        int schemaEnd = same ? lastEnd : schemasEnabled ? schemaEnd(value) : -1;
        if (schemaEnd < 0 || !startsWith(value, schemaEnd, PAYLOAD)) {
            return delegate.toConnectData(topic, value);
        }
        try {
            Schema schema = same ? last.schema() : schema(topic, value, PREFIX.length, schemaEnd);
            if (!same && schema != null) {
                if (lastByTopic.size() > CACHE_LIMIT) {
                    lastByTopic.clear();
                }
                lastByTopic.put(topic, new Last(Arrays.copyOfRange(value, PREFIX.length, schemaEnd), schema));
            }
            if (schema == null) {
                return delegate.toConnectData(topic, value);
            }
            int payloadStart = schemaEnd + PAYLOAD.length;
            try (JsonParser p = MAPPER.getFactory().createParser(value, payloadStart, value.length - payloadStart - 1)) {
                p.nextToken();
                return new SchemaAndValue(schema, PayloadReader.read(schema, p));
            }
        } catch (IOException | RuntimeException e) {
            throw new DataException("cannot read a JSON record of topic " + topic + ": " + e.getMessage(), e);
        }
    }

    @Override
    public ConfigDef config() {
        return delegate.config();
    }

    @Override
    public void close() {
        delegate.close();
    }

    private Schema schema(String topic, byte[] value, int from, int to) {
        SchemaBytes key = SchemaBytes.of(value, from, to);
        Schema s = schemas.get(key);
        if (s == null) {
            if (value[from] != '{') {
                return null;
            }
            if (schemas.size() > CACHE_LIMIT) {
                schemas.clear();
            }
            // JsonConverter turns the schema into a Connect schema. Its JsonNode type is the worker's, not this
            // plugin's, so the schema goes in as bytes: as the field of an optional struct whose value is null.
            byte[] wrapped = concat(WRAP_HEAD, Arrays.copyOfRange(value, from + 1, to), WRAP_TAIL);
            s = delegate.toConnectData(topic, wrapped).schema().field("x").schema();
            schemas.put(key, s);
        }
        return s;
    }

    private static final byte[] WRAP_HEAD = "{\"schema\":{\"type\":\"struct\",\"optional\":true,\"fields\":[{\"field\":\"x\",".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WRAP_TAIL = "]},\"payload\":null}".getBytes(StandardCharsets.US_ASCII);

    private static byte[] concat(byte[] a, byte[] b, byte[] c) {
        byte[] out = new byte[a.length + b.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        System.arraycopy(c, 0, out, a.length + b.length, c.length);
        return out;
    }

    /** Where the schema object that follows {@code {"schema":} ends, or -1 when the record is laid out otherwise. */
    private static int schemaEnd(byte[] b) {
        if (!startsWith(b, 0, PREFIX)) {
            return -1;
        }
        int depth = 0;
        boolean inString = false;
        for (int i = PREFIX.length; i < b.length; i++) {
            byte c = b[i];
            if (inString) {
                if (c == '\\') {
                    i++;
                } else if (c == '"') {
                    inString = false;
                }
                continue;
            }
            switch (c) {
                case '"' -> inString = true;
                case '{', '[' -> depth++;
                case '}', ']' -> {
                    depth--;
                    if (depth == 0) {
                        return i + 1;
                    }
                }
                default -> {
                    // "null" as the schema: depth stays 0 until its end.
                    if (depth == 0 && c == 'l' && i + 1 < b.length && b[i + 1] == ',') {
                        return i + 1;
                    }
                }
            }
        }
        return -1;
    }

    private static boolean startsWith(byte[] b, int at, byte[] prefix) {
        if (at < 0 || at + prefix.length > b.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if (b[at + i] != prefix[i]) {
                return false;
            }
        }
        return true;
    }
}

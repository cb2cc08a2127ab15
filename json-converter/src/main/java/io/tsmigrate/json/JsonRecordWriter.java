package io.tsmigrate.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import org.apache.kafka.connect.data.ConnectSchema;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * The writing half of {@link ExactJsonConverter}: a record as Kafka's JsonConverter writes it with its default
 * settings ({@code {"schema":…,"payload":…}}), byte for byte, for the source connector's every record.
 *
 * <p>Debezium keeps one immutable schema object per table version, so per schema object this keeps what does not
 * change from record to record: the schema's JSON (taken once from JsonConverter's output) and a writer for its
 * payload with every field name encoded beforehand. A record then costs its values and one copy of its bytes: the
 * JSON is built in a buffer reused from record to record (the generator stays open on it). Thread-safe: a thread
 * that finds the buffer in use by another takes a new one.
 */
final class JsonRecordWriter {

    private static final byte[] PREFIX = "{\"schema\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PAYLOAD = ",\"payload\":".getBytes(StandardCharsets.US_ASCII);
    private static final int CACHE_LIMIT = 2000;
    private static final JsonFactory FACTORY = new JsonFactory();

    /** What is written for one top-level schema object: its JSON and its payload's writer. */
    private record Compiled(byte[] schemaJson, Node payload) {
    }

    private final Map<Schema, Compiled> compiled = java.util.Collections.synchronizedMap(new IdentityHashMap<>());
    private final AtomicReference<Output> spare = new AtomicReference<>();

    /**
     * The record's bytes; {@code full} writes the first record of a schema object (JsonConverter's own output,
     * from which the schema's JSON is kept). Only immutable schemas are remembered: a SchemaBuilder could change.
     */
    byte[] write(String topic, Schema schema, Object value, Function<Object, byte[]> full) {
        Compiled c = schema instanceof ConnectSchema ? compiled.get(schema) : null;
        if (c == null) {
            byte[] bytes = full.apply(value);
            if (schema instanceof ConnectSchema) {
                remember(schema, bytes);
            }
            return bytes;
        }
        Output out = spare.getAndSet(null);
        if (out == null) {
            out = new Output();
        }
        try {
            out.bytes.write(PREFIX);
            out.bytes.write(c.schemaJson());
            out.bytes.write(PAYLOAD);
            c.payload().write(out.json, value);
            out.json.flush();
            out.bytes.write('}');
            byte[] record = out.bytes.toByteArray();
            out.bytes.reset();
            spare.set(out);
            return record;
        } catch (IOException | RuntimeException e) {
            // The generator may be mid-value: this buffer is not reused.
            throw new DataException("cannot write a JSON record of topic " + topic + ": " + e.getMessage(), e);
        }
    }

    private void remember(Schema schema, byte[] full) {
        int end = schemaEnd(full);
        if (end < 0 || !startsWith(full, end, PAYLOAD) || full[full.length - 1] != '}') {
            return;
        }
        if (compiled.size() > CACHE_LIMIT) {
            compiled.clear();
        }
        compiled.put(schema, new Compiled(java.util.Arrays.copyOfRange(full, PREFIX.length, end), node(schema)));
    }

    /** A generator that stays open on a reusable buffer, with no separator between the values written one after the other. */
    private static final class Output {
        final ByteArrayBuilder bytes = new ByteArrayBuilder(8192);
        final JsonGenerator json;

        Output() {
            try {
                json = FACTORY.createGenerator(bytes);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
            json.setRootValueSeparator(null);
        }
    }

    /** Writes one value of a known schema. */
    private interface Node {
        void write(JsonGenerator g, Object value) throws IOException;
    }

    /** The writer of a schema's values, as JsonConverter's convertToJson writes them (logical types, null and defaults, field order). */
    private static Node node(Schema schema) {
        Node value = nonNull(schema);
        boolean optional = schema.isOptional();
        Object fallback = schema.defaultValue();
        return (g, v) -> {
            if (v != null) {
                value.write(g, v);
            } else if (optional) {
                // An explicit NULL stays NULL (replace.null.with.default=false); a default stands in only where null is not allowed.
                g.writeNull();
            } else if (fallback != null) {
                value.write(g, fallback);
            } else {
                throw new DataException("null value for a required field without default");
            }
        };
    }

    private static Node nonNull(Schema schema) {
        if (schema.name() != null) {
            switch (schema.name()) {
                case Decimal.LOGICAL_NAME -> {
                    return (g, v) -> g.writeBinary(Decimal.fromLogical(schema, (BigDecimal) v));
                }
                case org.apache.kafka.connect.data.Date.LOGICAL_NAME -> {
                    return (g, v) -> g.writeNumber(org.apache.kafka.connect.data.Date.fromLogical(schema, (java.util.Date) v));
                }
                case org.apache.kafka.connect.data.Time.LOGICAL_NAME -> {
                    return (g, v) -> g.writeNumber(org.apache.kafka.connect.data.Time.fromLogical(schema, (java.util.Date) v));
                }
                case org.apache.kafka.connect.data.Timestamp.LOGICAL_NAME -> {
                    return (g, v) -> g.writeNumber(org.apache.kafka.connect.data.Timestamp.fromLogical(schema, (java.util.Date) v));
                }
                default -> {
                    // not one of Kafka's logical types: written by its physical type
                }
            }
        }
        return switch (schema.type()) {
            case INT8 -> (g, v) -> g.writeNumber((Byte) v);
            case INT16 -> (g, v) -> g.writeNumber((Short) v);
            case INT32 -> (g, v) -> g.writeNumber((Integer) v);
            case INT64 -> (g, v) -> g.writeNumber((Long) v);
            case FLOAT32 -> (g, v) -> g.writeNumber((Float) v);
            case FLOAT64 -> (g, v) -> g.writeNumber((Double) v);
            case BOOLEAN -> (g, v) -> g.writeBoolean((Boolean) v);
            case STRING -> (g, v) -> g.writeString(((CharSequence) v).toString());
            case BYTES -> (g, v) -> g.writeBinary(v instanceof byte[] b ? b : ((java.nio.ByteBuffer) v).array());
            case ARRAY -> array(schema);
            case MAP -> map(schema);
            case STRUCT -> struct(schema);
        };
    }

    private static Node array(Schema schema) {
        Node element = node(schema.valueSchema());
        return (g, v) -> {
            g.writeStartArray();
            for (Object e : (Collection<?>) v) {
                element.write(g, e);
            }
            g.writeEndArray();
        };
    }

    private static Node map(Schema schema) {
        Node key = node(schema.keySchema());
        Node value = node(schema.valueSchema());
        if (schema.keySchema().type() == Schema.Type.STRING) {
            return (g, v) -> {
                g.writeStartObject();
                for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                    g.writeFieldName(e.getKey().toString());
                    value.write(g, e.getValue());
                }
                g.writeEndObject();
            };
        }
        return (g, v) -> {
            g.writeStartArray();
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                g.writeStartArray();
                key.write(g, e.getKey());
                value.write(g, e.getValue());
                g.writeEndArray();
            }
            g.writeEndArray();
        };
    }

    private static Node struct(Schema schema) {
        List<Field> fields = schema.fields();
        Field[] field = fields.toArray(new Field[0]);
        SerializableString[] names = new SerializableString[field.length];
        Node[] nodes = new Node[field.length];
        for (int i = 0; i < field.length; i++) {
            names[i] = new SerializedString(field[i].name());
            nodes[i] = node(field[i].schema());
        }
        // The last other schema object found equal to this one: some structs of Debezium's records (the top-level one
        // and a nested one, by a profile) come with a schema equal to the record's but not the same object, and
        // ConnectSchema.equals compares every field deeply, on every record. A ConnectSchema cannot change once found
        // equal; the field is read and written without a lock (a lost write only means comparing again).
        Schema[] equal = {schema};
        return (g, v) -> {
            Struct struct = (Struct) v;
            Schema actual = struct.schema();
            if (actual != schema && actual != equal[0]) {
                if (!actual.equals(schema)) {
                    throw new DataException("Mismatching schema.");
                }
                if (actual instanceof ConnectSchema) {
                    equal[0] = actual;
                }
            }
            g.writeStartObject();
            for (int i = 0; i < field.length; i++) {
                g.writeFieldName(names[i]);
                nodes[i].write(g, StructValues.raw(struct, field[i]));
            }
            g.writeEndObject();
        };
    }

    /** Where the schema object that follows {@code {"schema":} ends, or -1 when the record is laid out otherwise. */
    static int schemaEnd(byte[] b) {
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

    static boolean startsWith(byte[] b, int at, byte[] prefix) {
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

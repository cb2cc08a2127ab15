package io.tsmigrate.json;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the payload of a JsonConverter record straight into Connect values of a known schema, as JsonConverter
 * would (NULL stays NULL; NaN and ±Infinity written as strings are read back). It allocates little per record, since
 * a sink reads millions of them:
 * <ul>
 *   <li>a struct's values go into it directly. {@code Struct.put} validates each value against its schema and, in
 *       Kafka 4, builds a message string for every call (a third of what reading a Debezium record allocated); the
 *       values read here have their schema's types by construction, so only a NULL in a required field goes through
 *       {@code put} (which refuses it). Where the struct's layout is not the expected one, every value goes through
 *       {@code put};</li>
 *   <li>a short string equal to the one the same field held in this thread's previous record is that same String
 *       (Debezium's source block repeats its version, connector, database, schema and table names in every record,
 *       and time-ordered rows repeat their timestamps).</li>
 * </ul>
 * Stateless; the caller passes its thread's {@link Memory}.
 */
final class PayloadReader {

    private static final int SHORT_STRING = 64;
    private static final int REMEMBERED_FIELDS = 4096;
    private static final VarHandle VALUES = valuesHandle();
    /**
     * What a reading thread keeps from record to record: each struct field's last short string, and each struct
     * schema's field names encoded for the parser's comparison (both by identity: a converter keeps one schema per
     * version). Not thread-safe: one per thread ({@link ReaderMemory}).
     */
    static final class Memory {
        final Map<Field, String> last = new IdentityHashMap<>();
        final Map<Schema, SerializableString[]> names = new IdentityHashMap<>();

        SerializableString[] names(Schema schema) {
            SerializableString[] n = names.get(schema);
            if (n == null) {
                if (names.size() > REMEMBERED_FIELDS) {
                    names.clear();
                }
                n = schema.fields().stream().map(f -> new SerializedString(f.name())).toArray(SerializableString[]::new);
                names.put(schema, n);
            }
            return n;
        }
    }

    private PayloadReader() {
    }

    /** Whether struct values are filled directly (false: through {@code Struct.put}, a Kafka whose Struct changed). */
    static boolean direct() {
        return VALUES != null;
    }

    /** Reads one value of {@code schema} with this thread's {@code memory}; the parser stands on its first token. */
    static Object read(Schema schema, JsonParser p, Memory memory) throws IOException {
        if (memory.last.size() > REMEMBERED_FIELDS) {
            memory.last.clear();
        }
        return read(schema, null, p, memory);
    }

    private static Object read(Schema schema, Field field, JsonParser p, Memory memory) throws IOException {
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            // NULL is NULL: Debezium puts column defaults into the schema, so substituting would turn NULL into the DEFAULT.
            return schema.isOptional() ? null : schema.defaultValue();
        }
        String name = schema.name();
        if (name != null) {
            switch (name) {
                case Decimal.LOGICAL_NAME -> {
                    int scale = Integer.parseInt(schema.parameters().get(Decimal.SCALE_FIELD));
                    return t == JsonToken.VALUE_STRING ? new BigDecimal(new BigInteger(p.getBinaryValue()), scale) : p.getDecimalValue().setScale(scale);
                }
                case org.apache.kafka.connect.data.Date.LOGICAL_NAME -> {
                    return new java.util.Date(p.getLongValue() * 86_400_000L);
                }
                case org.apache.kafka.connect.data.Time.LOGICAL_NAME, org.apache.kafka.connect.data.Timestamp.LOGICAL_NAME -> {
                    return new java.util.Date(p.getLongValue());
                }
                default -> { }
            }
        }
        return switch (schema.type()) {
            case INT8 -> (byte) p.getIntValue();
            case INT16 -> (short) p.getIntValue();
            case INT32 -> p.getIntValue();
            case INT64 -> p.getLongValue();
            case FLOAT32 -> t == JsonToken.VALUE_STRING ? (float) special(p.getText()) : p.getFloatValue();
            case FLOAT64 -> t == JsonToken.VALUE_STRING ? special(p.getText()) : p.getDoubleValue();
            case BOOLEAN -> p.getBooleanValue();
            case STRING -> field == null ? p.getText() : string(p, field, memory.last);
            case BYTES -> p.getBinaryValue();
            case ARRAY -> {
                List<Object> list = new ArrayList<>();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    list.add(read(schema.valueSchema(), null, p, memory));
                }
                yield list;
            }
            case MAP -> map(schema, p, memory);
            case STRUCT -> struct(schema, p, memory);
        };
    }

    private static Struct struct(Schema schema, JsonParser p, Memory memory) throws IOException {
        Struct s = new Struct(schema);
        List<Field> fields = schema.fields();
        Object[] values = values(s, fields.size());
        SerializableString[] names = memory.names(schema);
        int next = 0;
        while (true) {
            // Fields come in the schema's order (JsonConverter writes them so): the parser compares the next one's
            // encoded name with the input's bytes, without decoding the name; another name is looked up.
            Field f;
            if (next < names.length && p.nextFieldName(names[next])) {
                f = fields.get(next);
            } else {
                if (next >= names.length) {
                    p.nextToken();
                }
                if (p.currentToken() != JsonToken.FIELD_NAME) {
                    break;
                }
                f = schema.field(p.currentName());
            }
            next = f == null ? next : f.index() + 1;
            p.nextToken();
            if (f == null) {
                p.skipChildren();
                continue;
            }
            Object v = read(f.schema(), f, p, memory);
            if (values == null || (v == null && !f.schema().isOptional())) {
                s.put(f, v);
            } else {
                values[f.index()] = v;
            }
        }
        return s;
    }

    /** The struct's value array when it is laid out as expected (one slot per field), else null. */
    private static Object[] values(Struct s, int fields) {
        if (VALUES == null) {
            return null;
        }
        Object[] values = (Object[]) VALUES.get(s);
        return values != null && values.length == fields ? values : null;
    }

    private static VarHandle valuesHandle() {
        try {
            VarHandle h = MethodHandles.privateLookupIn(Struct.class, MethodHandles.lookup()).findVarHandle(Struct.class, "values", Object[].class);
            Schema probe = org.apache.kafka.connect.data.SchemaBuilder.struct().field("a", Schema.OPTIONAL_INT32_SCHEMA).build();
            Struct s = new Struct(probe);
            ((Object[]) h.get(s))[0] = 7;
            return Integer.valueOf(7).equals(s.get("a")) ? h : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }

    /** The text of a string token; the field's previous String when it has the same characters. */
    private static String string(JsonParser p, Field field, Map<Field, String> last) throws IOException {
        int n = p.getTextLength();
        if (n > SHORT_STRING) {
            return p.getText();
        }
        String before = last.get(field);
        if (before != null && before.length() == n) {
            char[] chars = p.getTextCharacters();
            int at = p.getTextOffset();
            int i = 0;
            while (i < n && chars[at + i] == before.charAt(i)) {
                i++;
            }
            if (i == n) {
                return before;
            }
        }
        String text = p.getText();
        last.put(field, text);
        return text;
    }

    private static Map<Object, Object> map(Schema schema, JsonParser p, Memory memory) throws IOException {
        Map<Object, Object> m = new LinkedHashMap<>();
        if (p.currentToken() == JsonToken.START_OBJECT) {
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String k = p.currentName();
                p.nextToken();
                m.put(k, read(schema.valueSchema(), null, p, memory));
            }
        } else {
            // Maps with non-string keys are arrays of [key, value] pairs.
            while (p.nextToken() == JsonToken.START_ARRAY) {
                p.nextToken();
                Object k = read(schema.keySchema(), null, p, memory);
                p.nextToken();
                Object v = read(schema.valueSchema(), null, p, memory);
                p.nextToken();
                m.put(k, v);
            }
        }
        return m;
    }

    private static double special(String text) {
        return switch (text) {
            case "NaN" -> Double.NaN;
            case "Infinity" -> Double.POSITIVE_INFINITY;
            case "-Infinity" -> Double.NEGATIVE_INFINITY;
            default -> throw new DataException("expected a number, got \"" + text + "\"");
        };
    }
}

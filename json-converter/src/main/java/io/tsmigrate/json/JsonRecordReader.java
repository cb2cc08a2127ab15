package io.tsmigrate.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.errors.DataException;
import org.apache.kafka.connect.json.JsonConverter;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reading half of {@link ExactJsonConverter}: what JsonConverter writes ({@code {"schema":…,"payload":…}}),
 * each distinct schema parsed once (keyed by its bytes; most records of a topic carry the schema of the one before,
 * compared as bytes without a scan or a hash), the payload streamed straight into Connect values by
 * {@link PayloadReader}. Records laid out otherwise go through JsonConverter. Thread-safe.
 */
final class JsonRecordReader {

    private static final byte[] PREFIX = "{\"schema\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PAYLOAD = ",\"payload\":".getBytes(StandardCharsets.US_ASCII);
    private static final int CACHE_LIMIT = 2000;
    private static final byte[] WRAP_HEAD = "{\"schema\":{\"type\":\"struct\",\"optional\":true,\"fields\":[{\"field\":\"x\",".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WRAP_TAIL = "]},\"payload\":null}".getBytes(StandardCharsets.US_ASCII);

    private final JsonConverter delegate;
    private final boolean schemasEnabled;
    private final Map<SchemaBytes, Schema> schemas = new ConcurrentHashMap<>();
    private final Map<String, Last> lastByTopic = new ConcurrentHashMap<>();
    // Exact (correctly rounded) and several times faster than the JDK's parsing of doubles and big decimals; the
    // parser's buffers reused per reading thread without a ThreadLocal lookup for the task's own thread.
    private final JsonFactory factory = JsonFactory.builder()
            .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER, StreamReadFeature.USE_FAST_BIG_NUMBER_PARSER)
            .recyclerPool(new ReaderMemory.Buffers())
            .streamReadConstraints(JsonLimits.READ)
            .build();
    private final ReaderMemory<PayloadReader.Memory> memory = new ReaderMemory<>(PayloadReader.Memory::new);

    JsonRecordReader(JsonConverter delegate, boolean schemasEnabled) {
        this.delegate = delegate;
        this.schemasEnabled = schemasEnabled;
    }

    /** The schema of a topic's latest record, and its JSON. */
    private record Last(byte[] bytes, Schema schema) {
    }

    /** A schema's JSON bytes as a map key. */
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

    SchemaAndValue read(String topic, byte[] value) {
        if (value == null) {
            return SchemaAndValue.NULL;
        }
        Last last = schemasEnabled ? lastByTopic.get(topic) : null;
        int lastEnd = last == null ? -1 : PREFIX.length + last.bytes().length;
        boolean same = last != null && JsonRecordWriter.startsWith(value, 0, PREFIX) && JsonRecordWriter.startsWith(value, lastEnd, PAYLOAD)
                && Arrays.equals(last.bytes(), 0, last.bytes().length, value, PREFIX.length, lastEnd);
        int schemaEnd = same ? lastEnd : schemasEnabled ? JsonRecordWriter.schemaEnd(value) : -1;
        if (schemaEnd < 0 || !JsonRecordWriter.startsWith(value, schemaEnd, PAYLOAD)) {
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
            try (JsonParser p = factory.createParser(value, payloadStart, value.length - payloadStart - 1)) {
                p.nextToken();
                return new SchemaAndValue(schema, PayloadReader.read(schema, p, memory.get()));
            }
        } catch (IOException | RuntimeException e) {
            throw new DataException("cannot read a JSON record of topic " + topic + ": " + e.getMessage(), e);
        }
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

    private static byte[] concat(byte[] a, byte[] b, byte[] c) {
        byte[] out = new byte[a.length + b.length + c.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        System.arraycopy(c, 0, out, a.length + b.length, c.length);
        return out;
    }
}

package io.tsmigrate.source;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Leaves column defaults out of the records' schemas ({@value #SETTING}{@code =drop}), so that a converter that puts a
 * field's default in place of null cannot turn an explicit NULL into the column's DEFAULT. Debezium writes each
 * column's default into the Connect schema; Kafka's JsonConverter replaces null by it unless
 * {@code replace.null.with.default=false}, and Apicurio Registry's AvroConverter (its AvroData, like Confluent's
 * before 7.3) always does, with no setting against it. The sink needs no schema default: a column an event lacks is
 * left out of its COPY and the target's own DEFAULT applies, as on the source. Schemas are rebuilt once per schema
 * object (Debezium keeps one per table version), values once per record. Called on the task's polling thread only.
 */
final class SchemaDefaults {

    static final String SETTING = "tsmigrate.schema.defaults";

    private final boolean drop;
    private final Map<Schema, Schema> plain = new IdentityHashMap<>();

    SchemaDefaults(Map<String, String> config) {
        String v = config.getOrDefault(SETTING, "keep").trim();
        if (!v.equals("keep") && !v.equals("drop")) {
            throw new IllegalArgumentException(SETTING + " must be keep or drop, not " + v);
        }
        this.drop = v.equals("drop");
    }

    List<SourceRecord> apply(List<SourceRecord> records) {
        if (!drop || records == null) {
            return records;
        }
        List<SourceRecord> out = new ArrayList<>(records.size());
        for (SourceRecord r : records) {
            Schema key = r.keySchema() == null ? null : without(r.keySchema());
            Schema value = r.valueSchema() == null ? null : without(r.valueSchema());
            if (key == r.keySchema() && value == r.valueSchema()) {
                out.add(r);
                continue;
            }
            out.add(r.newRecord(r.topic(), r.kafkaPartition(), key, convert(r.key(), key), value, convert(r.value(), value), r.timestamp(),
                    r.headers()));
        }
        if (plain.size() > 10_000) {
            plain.clear();
        }
        return out;
    }

    /** The schema without any default value, at any depth; the same object when it has none. */
    Schema without(Schema schema) {
        Schema done = plain.get(schema);
        if (done != null) {
            return done;
        }
        Schema result = rebuild(schema);
        plain.put(schema, result);
        return result;
    }

    private Schema rebuild(Schema s) {
        SchemaBuilder b;
        boolean changed = s.defaultValue() != null;
        switch (s.type()) {
            case STRUCT -> {
                b = SchemaBuilder.struct();
                for (Field f : s.fields()) {
                    Schema fs = without(f.schema());
                    changed |= fs != f.schema();
                    b.field(f.name(), fs);
                }
            }
            case ARRAY -> {
                Schema v = without(s.valueSchema());
                changed |= v != s.valueSchema();
                b = SchemaBuilder.array(v);
            }
            case MAP -> {
                Schema k = without(s.keySchema());
                Schema v = without(s.valueSchema());
                changed |= k != s.keySchema() || v != s.valueSchema();
                b = SchemaBuilder.map(k, v);
            }
            default -> b = new SchemaBuilder(s.type());
        }
        if (!changed) {
            return s;
        }
        if (s.name() != null) {
            b.name(s.name());
        }
        if (s.version() != null) {
            b.version(s.version());
        }
        if (s.doc() != null) {
            b.doc(s.doc());
        }
        if (s.parameters() != null && !s.parameters().isEmpty()) {
            b.parameters(new LinkedHashMap<>(s.parameters()));
        }
        if (s.isOptional()) {
            b.optional();
        }
        return b.build();
    }

    /** {@code value} under the rebuilt {@code schema}; values of schemas that did not change are kept as they are. */
    private static Object convert(Object value, Schema schema) {
        if (value instanceof Struct s && s.schema() != schema) {
            Struct out = new Struct(schema);
            for (Field f : schema.fields()) {
                // Not get(): that would put the old schema's default in place of null, the very thing left out here.
                out.put(f, convert(s.getWithoutDefault(f.name()), f.schema()));
            }
            return out;
        }
        if (value instanceof List<?> list && schema.type() == Schema.Type.ARRAY && schema.valueSchema().type() == Schema.Type.STRUCT) {
            List<Object> out = new ArrayList<>(list.size());
            for (Object o : list) {
                out.add(convert(o, schema.valueSchema()));
            }
            return out;
        }
        return value;
    }
}

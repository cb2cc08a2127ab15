package io.tsmigrate.sink.read;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One row image of a change event (Debezium's {@code after}, {@code before} or key, or a flat record),
 * with or without a Connect schema. Immutable view over the record's value.
 */
public interface Row {

    /** Field names in the event's order. */
    List<String> fields();

    /** The field's value; null when the value is SQL NULL or the field is absent. */
    Object value(String field);

    /** The field's Connect schema; null for schemaless records or absent fields. */
    Schema schema(String field);

    boolean has(String field);

    static Row of(Object value) {
        if (value instanceof Struct s) {
            return new StructRow(s);
        }
        if (value instanceof Map<?, ?> m) {
            return new MapRow(m);
        }
        throw new IllegalArgumentException("a row must be a Struct or a Map, got " + (value == null ? "null" : value.getClass().getName()));
    }

    /** A row read from a Connect {@link Struct}. */
    record StructRow(Struct struct) implements Row {
        @Override
        public List<String> fields() {
            List<String> names = new ArrayList<>();
            for (Field f : struct.schema().fields()) {
                names.add(f.name());
            }
            return names;
        }

        @Override
        public Object value(String field) {
            // Not get(): it puts a field's schema default in place of null, and Debezium puts column defaults into the
            // schema, so an explicit NULL would arrive as the column's DEFAULT.
            return struct.schema().field(field) == null ? null : struct.getWithoutDefault(field);
        }

        @Override
        public Schema schema(String field) {
            Field f = struct.schema().field(field);
            return f == null ? null : f.schema();
        }

        @Override
        public boolean has(String field) {
            return struct.schema().field(field) != null;
        }
    }

    /** A row read from a schemaless record (a map from field name to value). */
    record MapRow(Map<?, ?> map) implements Row {
        @Override
        public List<String> fields() {
            return map.keySet().stream().map(String::valueOf).toList();
        }

        @Override
        public Object value(String field) {
            return map.get(field);
        }

        @Override
        public Schema schema(String field) {
            return null;
        }

        @Override
        public boolean has(String field) {
            return map.containsKey(field);
        }
    }
}

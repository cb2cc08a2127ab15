package io.tsmigrate.json;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Struct;

/** Reading a Connect struct's values as they were sent; both the converter's writer and the sink read them so. */
public final class StructValues {

    private StructValues() {
    }

    /**
     * A struct field's value as sent: null stays null. {@code Struct.get} puts the field schema's default in place
     * of null, and Debezium puts column defaults into the schema, so an explicit NULL would arrive as the column's
     * DEFAULT. By index where the schema has no default (this runs per cell).
     */
    public static Object raw(Struct struct, Field f) {
        return f.schema().defaultValue() == null ? struct.get(f) : struct.getWithoutDefault(f.name());
    }
}

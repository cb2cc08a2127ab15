package io.tsmigrate.sink.sql;

import org.apache.kafka.connect.data.Schema;

import java.util.Map;

/**
 * Connect schemas against target column types: the SQL type to add for a new column, and whether a
 * column can take the values an event carries. Pure functions.
 */
public final class SchemaTypes {

    private static final Map<String, String> LOGICAL_SQL = Map.ofEntries(
            Map.entry("org.apache.kafka.connect.data.Decimal", "numeric"),
            Map.entry("io.debezium.data.VariableScaleDecimal", "numeric"),
            Map.entry("org.apache.kafka.connect.data.Date", "date"),
            Map.entry("io.debezium.time.Date", "date"),
            Map.entry("org.apache.kafka.connect.data.Time", "time"),
            Map.entry("io.debezium.time.Time", "time"),
            Map.entry("io.debezium.time.MicroTime", "time"),
            Map.entry("io.debezium.time.NanoTime", "time"),
            Map.entry("io.debezium.time.ZonedTime", "timetz"),
            Map.entry("org.apache.kafka.connect.data.Timestamp", "timestamp"),
            Map.entry("io.debezium.time.Timestamp", "timestamp"),
            Map.entry("io.debezium.time.MicroTimestamp", "timestamp"),
            Map.entry("io.debezium.time.NanoTimestamp", "timestamp"),
            Map.entry("io.debezium.time.ZonedTimestamp", "timestamptz"),
            Map.entry("io.debezium.time.MicroDuration", "interval"),
            Map.entry("io.debezium.time.Interval", "interval"),
            Map.entry("io.debezium.data.Json", "jsonb"),
            Map.entry("io.debezium.data.Xml", "xml"),
            Map.entry("io.debezium.data.Uuid", "uuid"),
            Map.entry("io.debezium.data.Bits", "varbit"),
            Map.entry("io.debezium.data.geometry.Point", "point"));

    private SchemaTypes() {
    }

    /**
     * The schema name tsmigrate's source converter ({@code io.tsmigrate.source.PgTextConverter}) gives a column it
     * carries as the source's own PostgreSQL text: the value is text input for the column's type.
     */
    static final String PG_TEXT = "io.tsmigrate.PgText";

    /** Parameters that Debezium's {@code column.propagate.source.type} puts on a field's schema. */
    static final String SOURCE_TYPE = "__debezium.source.column.type";
    static final String SOURCE_LENGTH = "__debezium.source.column.length";
    static final String SOURCE_SCALE = "__debezium.source.column.scale";

    /**
     * The source column's own type, from the parameters Debezium's {@code column.propagate.source.type} adds
     * (the templates set it): {@code numeric(12,2)}, {@code varchar(20)}, {@code timestamptz(3)}, {@code int4[]},
     * or a type name such as an enum's, which the caller resolves on the target. Null when the schema carries no
     * source type. Only digits from the parameters go into the modifiers; the name is returned for resolving.
     *
     * @return {name, modifier and array suffix}, or null
     */
    public static String[] sourceType(Schema schema) {
        Map<String, String> params = schema.parameters();
        String type = params == null ? null : params.get(SOURCE_TYPE);
        if (type == null || type.isEmpty()) {
            return null;
        }
        boolean array = type.startsWith("_");
        String base = (array ? type.substring(1) : type).toLowerCase(java.util.Locale.ROOT);
        if (!base.matches("[a-z_][a-z0-9_$]*")) {
            return null;
        }
        int length = number(params.get(SOURCE_LENGTH));
        int scale = number(params.get(SOURCE_SCALE));
        String modifier = switch (base) {
            // Unconstrained numeric and varchar report huge lengths: no modifier then.
            case "numeric" -> length > 0 && length <= 1000 ? "(" + length + "," + Math.max(scale, 0) + ")" : "";
            case "varchar", "bpchar", "bit", "varbit" -> length > 0 && length <= 10485760 ? "(" + length + ")" : "";
            case "time", "timetz", "timestamp", "timestamptz" -> scale >= 0 && scale < 6 ? "(" + scale + ")" : "";
            default -> "";
        };
        return new String[] {base, modifier + (array ? "[]" : "")};
    }

    private static int number(String s) {
        if (s == null || s.isEmpty() || s.length() > 9 || !s.chars().allMatch(Character::isDigit)) {
            return -1;
        }
        return Integer.parseInt(s);
    }

    /** The SQL type for a column added because the events carry a new field. */
    public static String sqlType(Schema schema) {
        if (schema.name() != null && LOGICAL_SQL.containsKey(schema.name())) {
            return LOGICAL_SQL.get(schema.name());
        }
        return switch (schema.type()) {
            case INT8, INT16 -> "smallint";
            case INT32 -> "integer";
            case INT64 -> "bigint";
            case FLOAT32 -> "real";
            case FLOAT64 -> "double precision";
            case BOOLEAN -> "boolean";
            case STRING -> "text";
            case BYTES -> "bytea";
            case ARRAY -> sqlType(schema.valueSchema()) + "[]";
            case MAP, STRUCT -> "jsonb";
        };
    }

    /**
     * Whether values of this schema can go into the column without loss. Strings are accepted by most
     * types (Debezium sends numeric, time and range values as strings in some modes); what is refused is
     * a kind of value the column's type cannot hold, which is what a type change on the source produces.
     */
    public static boolean compatible(Column column, Schema schema) {
        if (schema == null) {
            return true;
        }
        if (PG_TEXT.equals(schema.name())) {
            // The source's text for its type: compatible unless the source column's type is another one now.
            String[] source = sourceType(schema);
            return source == null || (source[0].equals(column.typeName()) && source[1].endsWith("[]") == column.array());
        }
        boolean isArray = schema.type() == Schema.Type.ARRAY;
        if (column.array() != isArray) {
            // Debezium sends an enum array's values as a comma-separated string in some modes.
            return !isArray && schema.type() == Schema.Type.STRING && column.array();
        }
        if (isArray) {
            return compatible(new Column(column.name(), column.sqlType(), column.typeName(), column.category(), false, false, false), schema.valueSchema());
        }
        String name = schema.name() == null ? "" : schema.name();
        Schema.Type type = schema.type();
        boolean integer = type == Schema.Type.INT8 || type == Schema.Type.INT16 || type == Schema.Type.INT32 || type == Schema.Type.INT64;
        boolean temporal = name.startsWith("io.debezium.time.") || name.startsWith("org.apache.kafka.connect.data.Date")
                || name.startsWith("org.apache.kafka.connect.data.Time");
        return switch (column.category()) {
            case 'N' -> (integer && !temporal) || type == Schema.Type.FLOAT32 || type == Schema.Type.FLOAT64
                    || (type == Schema.Type.STRING && name.isEmpty()) || name.endsWith("Decimal");
            case 'B' -> type == Schema.Type.BOOLEAN || integer;
            case 'D', 'T' -> temporal || (type == Schema.Type.STRING);
            case 'S' -> type == Schema.Type.STRING || (integer && !temporal);
            case 'V' -> type == Schema.Type.BOOLEAN || name.equals("io.debezium.data.Bits");
            default -> "bytea".equals(column.typeName()) ? type == Schema.Type.BYTES : type != Schema.Type.BYTES || name.equals("io.debezium.data.Bits");
        };
    }

    public static String describe(Schema schema) {
        return schema.name() != null ? schema.type() + " (" + schema.name() + ")" : schema.type().toString();
    }
}

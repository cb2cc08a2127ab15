package io.tsmigrate.sink.sql;

import com.fasterxml.jackson.core.io.NumberOutput;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Renders Connect values as PostgreSQL text input for a target column. A registry from the Connect or
 * Debezium logical type name to a small renderer; values without a logical name are rendered by their
 * Connect type. Output is the value's text form (not yet escaped for COPY); null means SQL NULL.
 * Stateless and thread-safe.
 */
public final class ValueRenderer {

    /** Renders one non-null value of a logical type. */
    @FunctionalInterface
    interface Renderer {
        String render(Object value, Schema schema, Column target);
    }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSSSSSSSS");
    private static final long MICROS_PER_DAY = 86_400_000_000L;

    // Debezium 3.6 passes PostgreSQL's infinite dates and timestamps through pgjdbc's stand-ins
    // (PGStatement.DATE_POSITIVE_INFINITY = 9223372036825200000, DATE_NEGATIVE_INFINITY = -9223372036832400000,
    // milliseconds) without recognising them, so they arrive as these values; observed with Debezium 3.6.1
    // on a worker in UTC. Days are the overflowed int conversion of those milliseconds.
    private static final Map<Long, String> INFINITE_DAYS = Map.of(-622191234L, "infinity", -622191233L, "infinity",
            -625821272L, "-infinity", -625821273L, "-infinity");
    private static final Map<Long, String> INFINITE_MILLIS = Map.of(9223372036825200L, "infinity", -9223372036832400L, "-infinity");
    private static final Map<Long, String> INFINITE_MICROS = Map.of(9223372036825200000L, "infinity", -9223372036832400000L, "-infinity");
    private static final Map<String, String> INFINITE_ISO = Map.of("+294247-01-10T04:00:25.2Z", "infinity", "-290308-12-21T19:59:27.6Z",
            "-infinity", "+292278994-08-16Z", "infinity", "+292269055-12-02Z", "-infinity");
    // decimal.handling.mode=string spells numeric's special values as Java's enum-like names.
    private static final Map<String, String> NUMERIC_SPECIALS = Map.of("NAN", "NaN", "POSITIVE_INFINITY", "Infinity",
            "NEGATIVE_INFINITY", "-Infinity");

    private final Map<String, Renderer> logical = new HashMap<>();

    public ValueRenderer() {
        logical.put("org.apache.kafka.connect.data.Decimal", (v, s, c) -> ((BigDecimal) v).toPlainString());
        logical.put("io.debezium.data.VariableScaleDecimal", (v, s, c) -> variableScaleDecimal((Struct) v));
        logical.put("org.apache.kafka.connect.data.Date", (v, s, c) -> date(Math.floorDiv(((java.util.Date) v).getTime(), 86_400_000L)));
        logical.put("io.debezium.time.Date", (v, s, c) -> date(((Number) v).longValue()));
        logical.put("io.debezium.time.IsoDate", (v, s, c) -> iso(v.toString(), c));
        logical.put("io.debezium.time.IsoTime", (v, s, c) -> iso(v.toString(), c));
        logical.put("io.debezium.time.IsoTimestamp", (v, s, c) -> iso(v.toString(), c));
        logical.put("org.apache.kafka.connect.data.Time", (v, s, c) -> timeOfDayMicros(((java.util.Date) v).getTime() * 1000));
        logical.put("io.debezium.time.Time", (v, s, c) -> timeOfDayMicros(((Number) v).longValue() * 1000));
        logical.put("io.debezium.time.MicroTime", (v, s, c) -> timeOfDayMicros(((Number) v).longValue()));
        logical.put("io.debezium.time.NanoTime", (v, s, c) -> timeOfDayNanos(((Number) v).longValue()));
        logical.put("org.apache.kafka.connect.data.Timestamp", (v, s, c) -> timestampMillis(((java.util.Date) v).getTime(), c));
        logical.put("io.debezium.time.Timestamp", (v, s, c) -> timestampMillis(((Number) v).longValue(), c));
        logical.put("io.debezium.time.MicroTimestamp", (v, s, c) -> {
            long micros = ((Number) v).longValue();
            return INFINITE_MICROS.getOrDefault(micros, timestampMicros(micros, c));
        });
        logical.put("io.debezium.time.NanoTimestamp", (v, s, c) -> timestampNanos(((Number) v).longValue(), c));
        logical.put("io.debezium.time.ZonedTimestamp", (v, s, c) -> zonedTimestamp(v.toString()));
        logical.put("io.debezium.time.MicroDuration", (v, s, c) -> interval(((Number) v).longValue()));
        logical.put("io.debezium.data.Bits", (v, s, c) -> bits(bytes(v), s, "varbit".equals(c.typeName())));
        logical.put("io.debezium.data.geometry.Point", (v, s, c) -> point((Struct) v));
        logical.put("io.debezium.data.geometry.Geometry", (v, s, c) -> ewkbHex((Struct) v));
        logical.put("io.debezium.data.geometry.Geography", (v, s, c) -> ewkbHex((Struct) v));
        logical.put(SchemaTypes.PG_TEXT, (v, s, c) -> v.toString());
        logical.put("io.debezium.data.Json", (v, s, c) -> "hstore".equals(c.typeName()) ? Hstore.fromJson(v.toString()) : v.toString());
    }

    /**
     * @param value  the value (null gives null)
     * @param schema its Connect schema, or null for schemaless records
     * @param target the column it goes into
     * @throws DataException naming the column and the type when the value cannot be rendered
     */
    public String render(Object value, Schema schema, Column target) {
        if (value == null) {
            return null;
        }
        if (schema == null) {
            return schemaless(value, target);
        }
        if (schema.name() != null) {
            Renderer r = logical.get(schema.name());
            if (r != null) {
                return r.render(value, schema, target);
            }
        }
        return switch (schema.type()) {
            case INT8, INT16, INT32, INT64 -> target.category() == 'B' ? Boolean.toString(((Number) value).longValue() != 0) : integer(((Number) value).longValue());
            case FLOAT32 -> "numeric".equals(target.typeName()) ? numeric(((Number) value).floatValue()) : floating(((Number) value).floatValue());
            case FLOAT64 -> "numeric".equals(target.typeName()) ? numeric(((Number) value).doubleValue()) : floating(((Number) value).doubleValue());
            case BOOLEAN -> "bit".equals(target.typeName()) || "varbit".equals(target.typeName()) ? ((Boolean) value ? "1" : "0")
                    : ((Boolean) value ? "t" : "f");
            case STRING -> target.category() == 'N' ? NUMERIC_SPECIALS.getOrDefault(value.toString(), value.toString()) : value.toString();
            case BYTES -> bytea(bytes(value));
            case ARRAY -> array((List<?>) value, schema.valueSchema(), target);
            case MAP -> "hstore".equals(target.typeName()) ? Hstore.fromMap((Map<?, ?>) value) : Json.write(value);
            case STRUCT -> throw new DataException("column " + target.name() + " (" + target.sqlType() + "): values of Connect type "
                    + (schema.name() == null ? "STRUCT" : schema.name()) + " are not supported");
        };
    }

    private String schemaless(Object value, Column target) {
        if (value instanceof List<?> list) {
            return array(list, null, target);
        }
        if (value instanceof Map<?, ?> map) {
            return "hstore".equals(target.typeName()) ? Hstore.fromMap(map) : Json.write(map);
        }
        if (value instanceof Boolean b) {
            return b ? "t" : "f";
        }
        if (value instanceof Double d) {
            return floating(d);
        }
        if (value instanceof Float f) {
            return floating(f);
        }
        if (value instanceof BigDecimal d) {
            return d.toPlainString();
        }
        if (value instanceof byte[] || value instanceof ByteBuffer) {
            return bytea(bytes(value));
        }
        if (value instanceof String s && "bytea".equals(target.typeName())) {
            return bytea(Base64.getDecoder().decode(s));
        }
        return value.toString();
    }

    private String array(List<?> list, Schema elementSchema, Column target) {
        Column element = new Column(target.name(), target.sqlType(), target.typeName(), target.category(), false, false, false);
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < list.size(); i++) {
            if (i > 0) {
                sb.append(',');
            }
            String item = render(list.get(i), elementSchema, element);
            if (item == null) {
                sb.append("NULL");
            } else {
                sb.append('"').append(item.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            }
        }
        return sb.append('}').toString();
    }

    /** Small integers (ids, counts, codes) come often: their text is made once. */
    private static final String[] SMALL_INTEGERS = java.util.stream.IntStream.range(0, 1024).mapToObj(Integer::toString).toArray(String[]::new);

    static String integer(long n) {
        return n >= 0 && n < SMALL_INTEGERS.length ? SMALL_INTEGERS[(int) n] : Long.toString(n);
    }

    static String floating(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "Infinity" : "-Infinity";
        }
        // Jackson's Schubfach writer: the shortest text that reads back as the same double, several times faster than JDK 17's.
        return NumberOutput.toString(d, true);
    }

    static String floating(float f) {
        if (Float.isNaN(f)) {
            return "NaN";
        }
        if (Float.isInfinite(f)) {
            return f > 0 ? "Infinity" : "-Infinity";
        }
        return NumberOutput.toString(f, true);
    }

    /** A double (decimal.handling.mode=double) for a numeric column: its shortest decimal form, 4.0 as 4. */
    private static String numeric(double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            return floating(d);
        }
        BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
        return (b.scale() < 0 ? b.setScale(0) : b).toPlainString();
    }

    private static String variableScaleDecimal(Struct s) {
        byte[] unscaled = bytes(s.get("value"));
        int scale = s.getInt32("scale");
        return new BigDecimal(new BigInteger(unscaled), scale).toPlainString();
    }

    public static byte[] bytes(Object v) {
        if (v instanceof byte[] b) {
            return b;
        }
        ByteBuffer buf = ((ByteBuffer) v).duplicate();
        byte[] out = new byte[buf.remaining()];
        buf.get(out);
        return out;
    }

    static String bytea(byte[] b) {
        return "\\x" + HexFormat.of().formatHex(b);
    }

    /** Days since 1970-01-01 as a PostgreSQL date, including years before 1 (BC) and after 9999. */
    static String date(long epochDay) {
        String infinite = INFINITE_DAYS.get(epochDay);
        if (infinite != null) {
            return infinite;
        }
        LocalDate d = LocalDate.ofEpochDay(epochDay);
        return isoDate(d.getYear(), d.getMonthValue(), d.getDayOfMonth());
    }

    private static String isoDate(int year, int month, int day) {
        String md = String.format("-%02d-%02d", month, day);
        if (year <= 0) {
            // ISO year 0 is 1 BC.
            return String.format("%04d", 1 - year) + md + " BC";
        }
        return String.format("%04d", year) + md;
    }

    static String timeOfDayMicros(long micros) {
        if (micros == MICROS_PER_DAY) {
            return "24:00:00";
        }
        return TIME.format(LocalTime.ofNanoOfDay(micros * 1000));
    }

    static String timeOfDayNanos(long nanos) {
        if (nanos == MICROS_PER_DAY * 1000) {
            return "24:00:00";
        }
        return TIME.format(LocalTime.ofNanoOfDay(nanos));
    }

    private static String timestampMillis(long millis, Column target) {
        String infinite = INFINITE_MILLIS.get(millis);
        return infinite != null ? infinite : timestampMicros(millis * 1000, target);
    }

    /**
     * An isostring-mode value: ISO 8601 text with a trailing Z. A column without time zone takes the wall
     * clock as it is, so the Z is dropped for it.
     */
    private static String iso(String value, Column target) {
        String infinite = INFINITE_ISO.get(value);
        if (infinite != null) {
            return infinite;
        }
        boolean zoned = "timestamptz".equals(target.typeName()) || "timetz".equals(target.typeName());
        return !zoned && value.endsWith("Z") ? value.substring(0, value.length() - 1) : value;
    }

    /**
     * Debezium's ISO 8601 text of a timestamptz, in a form PostgreSQL reads: ISO writes the years before 1 as 0000 and
     * negative (1 BC is 0000, 44 BC is -0043) and the years after 9999 with a '+', which PostgreSQL takes for a time zone.
     */
    static String zonedTimestamp(String iso) {
        int yearEnd = iso.indexOf('-', 1);
        if (iso.isEmpty() || yearEnd < 0) {
            return iso;
        }
        char first = iso.charAt(0);
        if (first == '+') {
            return iso.substring(1);
        }
        if (first != '-' && !iso.startsWith("0000-")) {
            return iso;
        }
        long isoYear = Long.parseLong(iso.substring(0, yearEnd));
        return String.format("%04d", 1 - isoYear) + iso.substring(yearEnd) + " BC";
    }

    /** Microseconds as days and time, as PostgreSQL prints an interval without months ({@code -1 days -00:00:01.5}). */
    static String interval(long micros) {
        long days = micros / MICROS_PER_DAY;
        long rest = micros % MICROS_PER_DAY;
        String sign = rest < 0 ? "-" : "";
        rest = Math.abs(rest);
        String time = String.format("%s%02d:%02d:%02d.%06d", sign, rest / 3_600_000_000L, rest / 60_000_000L % 60, rest / 1_000_000L % 60,
                rest % 1_000_000L);
        return days == 0 ? time : days + " days " + time;
    }

    static String timestampMicros(long micros, Column target) {
        long seconds = Math.floorDiv(micros, 1_000_000L);
        int nanos = (int) Math.floorMod(micros, 1_000_000L) * 1000;
        return timestamp(LocalDateTime.ofEpochSecond(seconds, nanos, ZoneOffset.UTC), target);
    }

    static String timestampNanos(long nanos, Column target) {
        long seconds = Math.floorDiv(nanos, 1_000_000_000L);
        int rest = (int) Math.floorMod(nanos, 1_000_000_000L);
        return timestamp(LocalDateTime.ofEpochSecond(seconds, rest, ZoneOffset.UTC), target);
    }

    private static String timestamp(LocalDateTime t, Column target) {
        String s = isoDate(t.getYear(), t.getMonthValue(), t.getDayOfMonth());
        String bc = "";
        if (s.endsWith(" BC")) {
            s = s.substring(0, s.length() - 3);
            bc = " BC";
        }
        // A Debezium timestamp without time zone is the wall-clock time encoded as if UTC; for a
        // timestamptz target column say so, or the session time zone would shift it.
        String zone = target.category() == 'D' && "timestamptz".equals(target.typeName()) ? "+00" : "";
        return s + " " + TIME.format(t.toLocalTime()) + zone + bc;
    }

    /**
     * For bit(n) Debezium's length parameter is n and the value is exact. For varbit(n) it is n as well, not
     * the value's own length, so leading zero bits cannot be told from padding; they are dropped.
     */
    private static String bits(byte[] littleEndian, Schema schema, boolean varying) {
        String lengthParam = schema.parameters() == null ? null : schema.parameters().get("length");
        int length = lengthParam == null ? littleEndian.length * 8 : Integer.parseInt(lengthParam);
        StringBuilder sb = new StringBuilder(length);
        // Debezium encodes bit strings as java.util.BitSet bytes: bit i of the value is bit (i % 8) of byte i / 8,
        // counted from the right end of the string.
        for (int i = length - 1; i >= 0; i--) {
            int b = i / 8 < littleEndian.length ? littleEndian[i / 8] : 0;
            sb.append(((b >> (i % 8)) & 1) == 1 ? '1' : '0');
        }
        if (varying) {
            int first = sb.indexOf("1");
            return first < 0 ? "" : sb.substring(first);
        }
        return sb.toString();
    }

    private static String point(Struct p) {
        return "(" + floating(p.getFloat64("x")) + "," + floating(p.getFloat64("y")) + ")";
    }

    /**
     * PostGIS geometry or geography as hex EWKB, which both types' input functions read. Debezium gives the
     * value's WKB and its SRID apart; the SRID goes into the EWKB (flag 0x20000000 on the type, then the SRID)
     * unless the bytes carry one already.
     */
    static String ewkbHex(Struct g) {
        byte[] wkb = bytes(g.get("wkb"));
        Integer srid = g.getInt32("srid");
        if (srid != null && srid != 0 && wkb.length >= 5 && (readInt(wkb, 1) & EWKB_SRID_FLAG) == 0) {
            byte[] ewkb = new byte[wkb.length + 4];
            ewkb[0] = wkb[0];
            writeInt(ewkb, 1, wkb[0], readInt(wkb, 1) | EWKB_SRID_FLAG);
            writeInt(ewkb, 5, wkb[0], srid);
            System.arraycopy(wkb, 5, ewkb, 9, wkb.length - 5);
            wkb = ewkb;
        }
        return HexFormat.of().formatHex(wkb);
    }

    private static final int EWKB_SRID_FLAG = 0x20000000;

    /** A WKB uint32 at {@code at}, in the byte order of the WKB's first byte (1 little endian, 0 big endian). */
    private static int readInt(byte[] wkb, int at) {
        ByteBuffer b = ByteBuffer.wrap(wkb, at, 4).order(wkb[0] == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        return b.getInt();
    }

    private static void writeInt(byte[] out, int at, byte order, int value) {
        ByteBuffer.wrap(out, at, 4).order(order == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN).putInt(value);
    }
}

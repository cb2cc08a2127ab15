package io.tsmigrate.sink.sql;

import io.tsmigrate.sink.buffer.Pending;
import io.tsmigrate.sink.buffer.TableBatch;
import com.fasterxml.jackson.core.io.NumberInput;

import java.util.Arrays;
import java.util.List;

/**
 * PostgreSQL's binary COPY format for rows whose columns are all of the common scalar types (integers, floats,
 * booleans, text, json, uuid, bytea, dates and timestamps). The target then stores the values as they are instead of
 * parsing their text (timestamps and floats cost PostgreSQL most: about a quarter of its CPU on a time series).
 * <p>
 * The rows arrive as PostgreSQL text ({@link ValueRenderer}); a cell is converted only when its text is in the one
 * strict form whose value is certain (for example a timestamp {@code 2026-01-01T00:00:00.5Z}, years 1 to 9999, at most
 * microseconds). Anything else (a time zone other than UTC, an infinite date, a float out of range, a leap second) makes
 * {@link #encode} give up and the batch goes as text, where PostgreSQL's own input functions decide, so binary never
 * changes what a row becomes. Stateless.
 */
public final class CopyBinary {

    /** What a column's text cell is turned into. */
    public enum Kind { BOOL, INT2, INT4, INT8, FLOAT4, FLOAT8, TEXT, JSONB, UUID, BYTEA, DATE, TIMESTAMP, TIMESTAMPTZ }

    /** The file header: signature, flags, header extension length. */
    private static final byte[] HEADER = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0, 0, 0, 0, 0, 0, 0, 0, 0};
    /** A batch larger than this goes as text, streamed (binary is encoded whole before it is sent). */
    private static final int MAX_BYTES = 64 << 20;
    /** Days from 1970-01-01 to PostgreSQL's epoch 2000-01-01. */
    private static final long PG_EPOCH_DAY = 10_957;
    private static final long MICROS_PER_DAY = 86_400_000_000L;

    private CopyBinary() {
    }

    /** The encoded rows, header and trailer included: {@code bytes[0, length)}. */
    public record Encoded(byte[] bytes, int length) {
    }

    /** What each column's cells become, or null when some column has a type without a binary form here. */
    public static Kind[] kinds(List<Column> columns) {
        Kind[] kinds = new Kind[columns.size()];
        for (int i = 0; i < kinds.length; i++) {
            Column c = columns.get(i);
            kinds[i] = c.array() || c.generated() ? null : kind(c.typeName());
            if (kinds[i] == null) {
                return null;
            }
        }
        return kinds;
    }

    private static Kind kind(String typeName) {
        return switch (typeName) {
            case "bool" -> Kind.BOOL;
            case "int2" -> Kind.INT2;
            case "int4" -> Kind.INT4;
            case "int8" -> Kind.INT8;
            case "float4" -> Kind.FLOAT4;
            case "float8" -> Kind.FLOAT8;
            case "text", "varchar", "bpchar", "json" -> Kind.TEXT;
            case "jsonb" -> Kind.JSONB;
            case "uuid" -> Kind.UUID;
            case "bytea" -> Kind.BYTEA;
            case "date" -> Kind.DATE;
            case "timestamp" -> Kind.TIMESTAMP;
            case "timestamptz" -> Kind.TIMESTAMPTZ;
            default -> null;
        };
    }

    /**
     * The rows' cells at {@code columns} (a kept cell as NULL), or null when a cell is not in its kind's strict form
     * or the rows exceed 64 MiB: write them as text then.
     */
    public static Encoded encode(List<Pending> rows, int[] columns, Kind[] kinds) {
        Buffer out = new Buffer(HEADER.length + 2 + rows.size() * (2 + 12L * columns.length));
        out.put(HEADER);
        // Time-ordered rows repeat their timestamp text (the converter hands over the same String): parse it once.
        String[] lastText = new String[columns.length];
        long[] lastValue = new long[columns.length];
        for (Pending r : rows) {
            out.putShort(columns.length);
            for (int i = 0; i < columns.length; i++) {
                String cell = r.cells[columns[i]];
                if (cell == null || cell == TableBatch.KEEP) {
                    out.putInt(-1);
                } else if (kinds[i] == Kind.TIMESTAMP || kinds[i] == Kind.TIMESTAMPTZ) {
                    long micros;
                    if (cell == lastText[i]) {
                        micros = lastValue[i];
                    } else {
                        micros = timestamp(cell, kinds[i] == Kind.TIMESTAMPTZ);
                        if (micros == Long.MIN_VALUE) {
                            return null;
                        }
                        lastText[i] = cell;
                        lastValue[i] = micros;
                    }
                    out.putInt(8);
                    out.putLong(micros);
                } else if (!cell(out, cell, kinds[i])) {
                    return null;
                }
            }
            if (out.length > MAX_BYTES) {
                return null;
            }
        }
        out.putShort(-1);
        return new Encoded(out.bytes, out.length);
    }

    /** Appends one non-null cell (length and value); false when its text is not in the kind's strict form. */
    private static boolean cell(Buffer out, String s, Kind kind) {
        switch (kind) {
            case BOOL -> {
                int b = s.equals("t") || s.equals("true") ? 1 : s.equals("f") || s.equals("false") ? 0 : -1;
                if (b < 0) {
                    return false;
                }
                out.putInt(1);
                out.put((byte) b);
            }
            case INT2, INT4, INT8 -> {
                long min = kind == Kind.INT2 ? Short.MIN_VALUE : kind == Kind.INT4 ? Integer.MIN_VALUE : Long.MIN_VALUE;
                long max = kind == Kind.INT2 ? Short.MAX_VALUE : kind == Kind.INT4 ? Integer.MAX_VALUE : Long.MAX_VALUE;
                Long n = integer(s, min, max);
                if (n == null) {
                    return false;
                }
                if (kind == Kind.INT2) {
                    out.putInt(2);
                    out.putShort((int) (long) n);
                } else if (kind == Kind.INT4) {
                    out.putInt(4);
                    out.putInt((int) (long) n);
                } else {
                    out.putInt(8);
                    out.putLong(n);
                }
            }
            case FLOAT4, FLOAT8 -> {
                if (!isFloatText(s)) {
                    return false;
                }
                if (kind == Kind.FLOAT4) {
                    float f = NumberInput.parseFloat(s, true);
                    if (!inRange(s, Float.isInfinite(f), f == 0)) {
                        return false;
                    }
                    out.putInt(4);
                    out.putInt(Float.floatToRawIntBits(f));
                } else {
                    double d = NumberInput.parseDouble(s, true);
                    if (!inRange(s, Double.isInfinite(d), d == 0)) {
                        return false;
                    }
                    out.putInt(8);
                    out.putLong(Double.doubleToRawLongBits(d));
                }
            }
            case TEXT -> out.putText(s, false);
            case JSONB -> out.putText(s, true);
            case UUID -> {
                return uuid(out, s);
            }
            case BYTEA -> {
                return bytea(out, s);
            }
            case DATE -> {
                long day = s.length() == 10 ? epochDay(s, 0) : Long.MIN_VALUE;
                if (day == Long.MIN_VALUE) {
                    return false;
                }
                out.putInt(4);
                out.putInt((int) (day - PG_EPOCH_DAY));
            }
            default -> throw new IllegalStateException("timestamps are encoded by the caller");
        }
        return true;
    }

    /** A decimal integer ({@code -?[0-9]+}) within [min, max], else null. */
    static Long integer(String s, long min, long max) {
        int n = s.length();
        int i = n > 0 && s.charAt(0) == '-' ? 1 : 0;
        if (i == n || n - i > 19) {
            return null;
        }
        long v = 0;
        for (; i < n; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return null;
            }
            v = v * 10 + (c - '0');
        }
        // 19 digits may overflow a long: only Long.MIN_VALUE's digits wrap to a value of the right sign.
        boolean negative = s.charAt(0) == '-';
        if (v < 0 && !(negative && v == Long.MIN_VALUE)) {
            return null;
        }
        v = negative ? -v : v;
        return v < min || v > max ? null : v;
    }

    /** {@code NaN}, {@code Infinity}, {@code -Infinity}, or {@code -?digits[.digits][(e|E)[+-]digits]}. */
    static boolean isFloatText(String s) {
        if (s.equals("NaN") || s.equals("Infinity") || s.equals("-Infinity")) {
            return true;
        }
        int n = s.length();
        int i = n > 0 && s.charAt(0) == '-' ? 1 : 0;
        int digits = 0;
        while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
            digits++;
        }
        if (i < n && s.charAt(i) == '.') {
            i++;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
                digits++;
            }
        }
        if (digits == 0) {
            return false;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            if (i < n && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                i++;
            }
            int exp = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                i++;
                exp++;
            }
            if (exp == 0) {
                return false;
            }
        }
        return i == n;
    }

    /**
     * Whether PostgreSQL's input would take the number: it refuses one that overflows to infinity or underflows to zero
     * (subnormal results it takes).
     */
    private static boolean inRange(String s, boolean infinite, boolean zero) {
        if (infinite) {
            return s.equals("Infinity") || s.equals("-Infinity");
        }
        if (zero) {
            // A zero is in range only when the digits before any exponent are all zeros.
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == 'e' || c == 'E') {
                    break;
                }
                if (c >= '1' && c <= '9') {
                    return false;
                }
            }
        }
        return true;
    }

    private static boolean uuid(Buffer out, String s) {
        if (s.length() != 36) {
            return false;
        }
        byte[] b = new byte[16];
        int at = 0;
        for (int i = 0; i < 36; ) {
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (s.charAt(i) != '-') {
                    return false;
                }
                i++;
                continue;
            }
            int hi = Character.digit(s.charAt(i), 16);
            int lo = Character.digit(s.charAt(i + 1), 16);
            if (hi < 0 || lo < 0 || s.charAt(i) >= 0x80 || s.charAt(i + 1) >= 0x80) {
                return false;
            }
            b[at++] = (byte) (hi << 4 | lo);
            i += 2;
        }
        out.putInt(16);
        out.put(b);
        return true;
    }

    /** bytea's hex form, {@code \x} and pairs of hex digits. */
    private static boolean bytea(Buffer out, String s) {
        int n = s.length();
        if (n < 2 || s.charAt(0) != '\\' || s.charAt(1) != 'x' || n % 2 != 0) {
            return false;
        }
        int len = (n - 2) / 2;
        out.putInt(len);
        out.ensure(len);
        for (int i = 2; i < n; i += 2) {
            char c1 = s.charAt(i);
            char c2 = s.charAt(i + 1);
            int hi = c1 < 0x80 ? Character.digit(c1, 16) : -1;
            int lo = c2 < 0x80 ? Character.digit(c2, 16) : -1;
            if (hi < 0 || lo < 0) {
                return false;
            }
            out.bytes[out.length++] = (byte) (hi << 4 | lo);
        }
        return true;
    }

    /**
     * Microseconds since 2000-01-01 of {@code YYYY-MM-DD(T| )HH:MM:SS[.fraction]} (fraction digits past the sixth must
     * be zeros), followed for timestamptz by {@code Z}, {@code +00} or {@code +00:00} and for timestamp by nothing;
     * Long.MIN_VALUE when the text is in any other form or names no real time (hour 24, second 60, 30 February).
     */
    static long timestamp(String s, boolean zoned) {
        int n = s.length();
        if (n < 19 || (s.charAt(10) != 'T' && s.charAt(10) != ' ') || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return Long.MIN_VALUE;
        }
        long day = epochDay(s, 0);
        int hour = twoDigits(s, 11);
        int minute = twoDigits(s, 14);
        int second = twoDigits(s, 17);
        if (day == Long.MIN_VALUE || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) {
            return Long.MIN_VALUE;
        }
        int i = 19;
        long micros = 0;
        if (i < n && s.charAt(i) == '.') {
            i++;
            int digits = 0;
            while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                if (digits < 6) {
                    micros = micros * 10 + (s.charAt(i) - '0');
                } else if (s.charAt(i) != '0') {
                    return Long.MIN_VALUE;
                }
                digits++;
                i++;
            }
            if (digits == 0 || digits > 9) {
                return Long.MIN_VALUE;
            }
            for (int d = Math.min(digits, 6); d < 6; d++) {
                micros *= 10;
            }
        }
        int rest = n - i;
        boolean utc = (rest == 1 && s.charAt(i) == 'Z') || ((rest == 3 || rest == 6) && s.startsWith(rest == 3 ? "+00" : "+00:00", i));
        if (zoned ? !utc : rest != 0) {
            return Long.MIN_VALUE;
        }
        return (day - PG_EPOCH_DAY) * MICROS_PER_DAY + ((hour * 60L + minute) * 60 + second) * 1_000_000L + micros;
    }

    /** Days since 1970-01-01 of {@code YYYY-MM-DD} at {@code at} (years 1 to 9999), or Long.MIN_VALUE. */
    static long epochDay(String s, int at) {
        if (s.length() < at + 10 || s.charAt(at + 4) != '-' || s.charAt(at + 7) != '-') {
            return Long.MIN_VALUE;
        }
        int y1 = twoDigits(s, at);
        int y2 = twoDigits(s, at + 2);
        int month = twoDigits(s, at + 5);
        int day = twoDigits(s, at + 8);
        if (y1 < 0 || y2 < 0 || month < 1 || month > 12 || day < 1) {
            return Long.MIN_VALUE;
        }
        int year = y1 * 100 + y2;
        boolean leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
        int days = month == 2 ? (leap ? 29 : 28) : month == 4 || month == 6 || month == 9 || month == 11 ? 30 : 31;
        if (year < 1 || day > days) {
            return Long.MIN_VALUE;
        }
        // Days from civil (proleptic Gregorian), with years starting in March.
        long y = month <= 2 ? year - 1 : year;
        long era = Math.floorDiv(y, 400);
        long yoe = y - era * 400;
        long doy = (153L * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }

    private static int twoDigits(String s, int at) {
        char a = s.charAt(at);
        char b = s.charAt(at + 1);
        return a >= '0' && a <= '9' && b >= '0' && b <= '9' ? (a - '0') * 10 + (b - '0') : -1;
    }

    /** A growable byte array, big-endian as the format wants. */
    private static final class Buffer {
        byte[] bytes;
        int length;

        Buffer(long initial) {
            bytes = new byte[(int) Math.min(Math.max(initial, 256), MAX_BYTES)];
        }

        void ensure(long more) {
            if (length + more > bytes.length) {
                long size = Math.max(bytes.length * 2L, length + more);
                if (size > Integer.MAX_VALUE - 16) {
                    throw new IllegalArgumentException("a COPY batch of more than 2 GB");
                }
                bytes = Arrays.copyOf(bytes, (int) size);
            }
        }

        void put(byte b) {
            ensure(1);
            bytes[length++] = b;
        }

        void put(byte[] b) {
            ensure(b.length);
            System.arraycopy(b, 0, bytes, length, b.length);
            length += b.length;
        }

        void putShort(int v) {
            ensure(2);
            bytes[length++] = (byte) (v >> 8);
            bytes[length++] = (byte) v;
        }

        void putInt(int v) {
            ensure(4);
            bytes[length++] = (byte) (v >> 24);
            bytes[length++] = (byte) (v >> 16);
            bytes[length++] = (byte) (v >> 8);
            bytes[length++] = (byte) v;
        }

        void putLong(long v) {
            putInt((int) (v >> 32));
            putInt((int) v);
        }

        /** A string's UTF-8 as a field (length first), after jsonb's version byte when asked. */
        void putText(String s, boolean jsonbVersion) {
            ensure(4 + 1 + s.length() * 3L);
            int start = length;
            length += 4;
            if (jsonbVersion) {
                bytes[length++] = 1;
            }
            length = CopyText.utf8(s, bytes, length, false);
            int n = length - start - 4;
            bytes[start] = (byte) (n >> 24);
            bytes[start + 1] = (byte) (n >> 16);
            bytes[start + 2] = (byte) (n >> 8);
            bytes[start + 3] = (byte) n;
        }
    }
}

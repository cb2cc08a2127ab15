package io.tsmigrate.sink.sql;

import io.tsmigrate.sink.buffer.Pending;
import io.tsmigrate.sink.buffer.TableBatch;
import com.fasterxml.jackson.core.io.NumberInput;

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
                        micros = StrictText.timestamp(cell, kinds[i] == Kind.TIMESTAMPTZ);
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
                Long n = StrictText.integer(s, min, max);
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
                if (!StrictText.isFloatText(s)) {
                    return false;
                }
                if (kind == Kind.FLOAT4) {
                    float f = NumberInput.parseFloat(s, true);
                    if (!StrictText.inRange(s, Float.isInfinite(f), f == 0)) {
                        return false;
                    }
                    out.putInt(4);
                    out.putInt(Float.floatToRawIntBits(f));
                } else {
                    double d = NumberInput.parseDouble(s, true);
                    if (!StrictText.inRange(s, Double.isInfinite(d), d == 0)) {
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
                long day = s.length() == 10 ? StrictText.epochDay(s, 0) : Long.MIN_VALUE;
                if (day == Long.MIN_VALUE) {
                    return false;
                }
                out.putInt(4);
                out.putInt((int) (day - StrictText.PG_EPOCH_DAY));
            }
            default -> throw new IllegalStateException("timestamps are encoded by the caller");
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

    /** The encoded rows, big-endian as the format wants. */
    private static final class Buffer extends Bytes {

        Buffer(long initial) {
            super((int) Math.min(Math.max(initial, 256), MAX_BYTES), "batch");
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

package io.tsmigrate.sink.buffer;

import io.tsmigrate.sink.read.Row;
import io.tsmigrate.sink.sql.ValueRenderer;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Recognises Debezium's stand-ins for unchanged TOASTed values ({@code unavailable.value.placeholder}). Immutable. */
public final class Placeholders {

    private final String placeholder;
    private final byte[] placeholderBytes;
    private final String placeholderUuid;
    private final String placeholderHstoreJson;

    private Placeholders(String placeholder) {
        this.placeholder = placeholder;
        this.placeholderBytes = placeholder.getBytes(StandardCharsets.UTF_8);
        this.placeholderUuid = java.util.UUID.nameUUIDFromBytes(placeholderBytes).toString();
        this.placeholderHstoreJson = "{\"" + placeholder + "\":\"" + placeholder + "\"}";
    }

    private static volatile Placeholders last;

    /** The recogniser for this placeholder text (one is kept: every task of a worker has the same). */
    public static Placeholders of(String placeholder) {
        Placeholders p = last;
        if (p == null || !p.placeholder.equals(placeholder)) {
            p = new Placeholders(placeholder);
            last = p;
        }
        return p;
    }

    /** Whether some value of the row is a placeholder: a change whose row keeps an unchanged value. */
    public boolean anyIn(Row row) {
        if (row == null) {
            return false;
        }
        for (String f : row.fields()) {
            if (is(row.value(f))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Debezium's stand-in for an unchanged TOASTed value, in each of the shapes its PostgreSQL connector gives
     * it (UnchangedToastedPlaceholder): the placeholder text (text, varchar, json, jsonb, xml, numeric, geometry
     * as text), its bytes (bytea), a one-element array of either (text, varchar, numeric, bytea arrays), the
     * name-based UUID of its bytes in a one-element array (uuid[]), the list of its bytes as numbers (int2, int4,
     * int8 arrays), and a map from the text to itself (hstore; as JSON text with hstore.handling.mode=json).
     */
    boolean is(Object v) {
        if (v instanceof String s) {
            return s.equals(placeholder) || s.equals(placeholderHstoreJson);
        }
        if (v instanceof byte[] b) {
            return Arrays.equals(b, placeholderBytes);
        }
        if (v instanceof ByteBuffer buf) {
            return buf.remaining() == placeholderBytes.length && Arrays.equals(ValueRenderer.bytes(buf), placeholderBytes);
        }
        if (v instanceof List<?> list) {
            if (list.size() == 1) {
                Object only = list.get(0);
                return is(only) || placeholderUuid.equals(only) || (only instanceof java.util.UUID u && placeholderUuid.equals(u.toString()));
            }
            if (list.size() != placeholderBytes.length) {
                return false;
            }
            for (int i = 0; i < placeholderBytes.length; i++) {
                if (!(list.get(i) instanceof Number n) || n.longValue() != placeholderBytes[i]) {
                    return false;
                }
            }
            return true;
        }
        if (v instanceof Map<?, ?> map) {
            return map.size() == 1 && placeholder.equals(map.get(placeholder));
        }
        return false;
    }

}

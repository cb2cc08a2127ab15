package io.tsmigrate.sink.sql;

import java.util.Map;

/** hstore text input from Debezium's hstore representations (a JSON object string or a map). */
public final class Hstore {

    private Hstore() {
    }

    static String fromJson(String json) {
        return fromMap(Json.parseObject(json));
    }

    static String fromMap(Map<?, ?> map) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(quote(String.valueOf(e.getKey()))).append("=>");
            sb.append(e.getValue() == null ? "NULL" : quote(String.valueOf(e.getValue())));
        }
        return sb.toString();
    }

    private static String quote(String s) {
        return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
    }
}

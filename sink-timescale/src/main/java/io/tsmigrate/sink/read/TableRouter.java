package io.tsmigrate.sink.read;

import io.tsmigrate.sink.TimescaleSinkConfig;

import org.apache.kafka.common.config.ConfigException;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Maps a record to its target table with a format such as {@code ${source.schema}.${source.table}}.
 * The format is split into schema and table at its top-level dot before the placeholders are filled, so a
 * dot inside a name is just a character. Immutable and thread-safe.
 */
public final class TableRouter {

    private final String schemaPart;
    private final String tablePart;

    public TableRouter(String format) {
        List<String> parts = splitTopLevel(format);
        if (parts.size() > 2) {
            throw new ConfigException(TimescaleSinkConfig.TABLE_NAME_FORMAT, format, "has more than one dot outside placeholders; use schema.table");
        }
        this.schemaPart = parts.size() == 2 ? parts.get(0) : "public";
        this.tablePart = parts.get(parts.size() - 1);
        if (schemaPart.isEmpty() || tablePart.isEmpty()) {
            throw new ConfigException(TimescaleSinkConfig.TABLE_NAME_FORMAT, format, "needs a schema and a table name around its dot");
        }
    }

    /** The target table; {@code sourceSchema}/{@code sourceTable} may be null (then taken from the topic's last two parts). */
    TableId route(String topic, String sourceSchema, String sourceTable) {
        // Nearly every record of a topic routes the same way: remember the last answer.
        Routed last = this.last;
        if (last != null && last.topic.equals(topic) && Objects.equals(last.schema, sourceSchema)
                && Objects.equals(last.table, sourceTable)) {
            return last.id;
        }
        TableId id = resolve(topic, sourceSchema, sourceTable);
        this.last = new Routed(topic, sourceSchema, sourceTable, id);
        return id;
    }

    private record Routed(String topic, String schema, String table, TableId id) {
    }

    private volatile Routed last;

    private TableId resolve(String topic, String sourceSchema, String sourceTable) {
        String[] topicParts = topic.split("\\.");
        String schema = sourceSchema != null ? sourceSchema : topicParts.length >= 2 ? topicParts[topicParts.length - 2] : "public";
        String table = sourceTable != null ? sourceTable : topicParts[topicParts.length - 1];
        return new TableId(fill(schemaPart, topic, schema, table), fill(tablePart, topic, schema, table));
    }

    private static String fill(String part, String topic, String schema, String table) {
        return part.replace("${topic}", topic).replace("${source.schema}", schema).replace("${source.table}", table);
    }

    private static List<String> splitTopLevel(String format) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        StringBuilder current = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char ch = format.charAt(i);
            if (ch == '$' && i + 1 < format.length() && format.charAt(i + 1) == '{') {
                depth++;
            } else if (ch == '}' && depth > 0) {
                depth--;
            }
            if (ch == '.' && depth == 0) {
                parts.add(current.toString());
                current.setLength(0);
            } else {
                current.append(ch);
            }
        }
        parts.add(current.toString());
        return parts;
    }
}

package io.tsmigrate.sink.sql;

import io.tsmigrate.sink.read.TableId;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What the sink knows of a target table: its writable columns, its indexes and, for a hypertable, the time
 * column. Read once per table and refreshed after DDL. Immutable.
 *
 * @param id          the table
 * @param version     grows on every refresh, so derived objects (staging tables) can tell they are stale
 * @param columns     non-generated columns in table order
 * @param primaryKey  primary key columns, empty when there is none
 * @param indexes     every valid index's key columns (expressions left out), unique ones first
 * @param timeColumn  the hypertable's time dimension column, or null for a plain table
 * @param identityAlways identity columns {@code GENERATED ALWAYS}: an INSERT gives them values only with
 *                    {@code OVERRIDING SYSTEM VALUE}, and an UPDATE cannot set them at all
 * @param deferrable  the key columns of each {@code DEFERRABLE} unique index or primary key: inside a source transaction
 *                    two rows may hold one such key for a while
 */
public record TableMeta(TableId id, int version, List<Column> columns, List<String> primaryKey, List<List<String>> indexes, String timeColumn,
                        Set<String> identityAlways, List<List<String>> deferrable) {

    public TableMeta(TableId id, int version, List<Column> columns, List<String> primaryKey, List<List<String>> indexes, String timeColumn) {
        this(id, version, columns, primaryKey, indexes, timeColumn, Set.of(), List.of());
    }

    /** Whether these key columns are exactly those of a deferrable unique index (in any order). */
    public boolean deferrable(List<String> key) {
        return deferrable.stream().anyMatch(ix -> ix.size() == key.size() && ix.containsAll(key));
    }

    public Map<String, Integer> positions() {
        Map<String, Integer> pos = new LinkedHashMap<>();
        for (int i = 0; i < columns.size(); i++) {
            pos.put(columns.get(i).name(), i);
        }
        return pos;
    }

    boolean hypertable() {
        return timeColumn != null;
    }

    /** Whether some index can find rows by these key columns without scanning the table: its first column is one of them. */
    public boolean hasIndexFor(List<String> key) {
        return indexes.stream().anyMatch(ix -> !ix.isEmpty() && key.contains(ix.get(0)));
    }
}

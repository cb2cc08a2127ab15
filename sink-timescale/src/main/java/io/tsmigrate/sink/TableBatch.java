package io.tsmigrate.sink;

import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The changes of one flush for one target table, with one table shape and one key: reduced to the last
 * state of every key (insert then update is one row; update then delete is a delete; delete then insert is
 * a delete of the old row plus the new row), rendered to PostgreSQL text. Not thread-safe.
 */
final class TableBatch {

    /** Marks a cell whose target value must be kept (unchanged TOAST value, or a column the event lacks). */
    static final String KEEP = new String("<keep>");

    /** One reduced row. */
    static final class Pending {
        final String[] cells;
        final boolean delete;
        /** First seen in this batch as a create: it cannot exist in the target yet (barring a re-snapshot). */
        final boolean fresh;
        final Object sortKey;

        Pending(String[] cells, boolean delete, boolean fresh, Object sortKey) {
            this.cells = cells;
            this.delete = delete;
            this.fresh = fresh;
            this.sortKey = sortKey;
        }

        boolean hasKeep() {
            for (String c : cells) {
                if (c == KEEP) {
                    return true;
                }
            }
            return false;
        }
    }

    private final TableMeta meta;
    private final List<String> keyColumns;
    private final int[] keyPositions;
    private final ValueRenderer renderer;
    private final String placeholder;
    private final byte[] placeholderBytes;
    private final boolean truncate;
    private final Map<String, Pending> keyed = new LinkedHashMap<>();
    private final List<Pending> appended = new ArrayList<>();
    private final Map<String, Integer> positions;
    private final int timePosition;
    /** For each struct schema seen (by identity: a converter keeps one per table version), its field per target column. */
    private final Map<Schema, Field[]> shapes = new IdentityHashMap<>();
    private int events;

    /**
     * @param keyColumns target columns that identify a row (empty: the table has no key, rows are only appended)
     * @param truncate   whether the table is truncated before these rows are written
     */
    TableBatch(TableMeta meta, List<String> keyColumns, ValueRenderer renderer, String placeholder, boolean truncate) {
        this.meta = meta;
        this.keyColumns = List.copyOf(keyColumns);
        this.renderer = renderer;
        this.placeholder = placeholder;
        this.placeholderBytes = placeholder.getBytes(StandardCharsets.UTF_8);
        this.truncate = truncate;
        this.positions = meta.positions();
        this.keyPositions = keyColumns.stream().mapToInt(k -> {
            Integer p = positions.get(k);
            if (p == null) {
                throw new DataException("key column " + k + " of the events is not a column of target table " + meta.id());
            }
            return p;
        }).toArray();
        Integer time = meta.timeColumn() == null ? null : positions.get(meta.timeColumn());
        this.timePosition = time == null ? -1 : time;
    }

    TableMeta meta() {
        return meta;
    }

    List<String> keyColumns() {
        return keyColumns;
    }

    boolean truncate() {
        return truncate;
    }

    int events() {
        return events;
    }

    /** Adds one INSERT, UPDATE or DELETE event, merging it with earlier events of the same key. */
    void add(ChangeEvent e) {
        events++;
        if (keyColumns.isEmpty()) {
            if (e.op() != Op.INSERT) {
                throw new DataException("target table " + meta.id() + " has no primary key or unique index and the events carry no key, so "
                        + "this " + e.op().name().toLowerCase() + " cannot find its row (" + e.position() + "); give the table a primary key "
                        + "on the source and the target");
            }
            appended.add(new Pending(render(e.after()), false, true, sortKey(e.after())));
            return;
        }
        String[] keyCells = new String[meta.columns().size()];
        for (int i = 0; i < keyPositions.length; i++) {
            int p = keyPositions[i];
            Column column = meta.columns().get(p);
            if (!(cell(e.key(), p, column, keyCells) || cell(e.after(), p, column, keyCells) || cell(e.before(), p, column, keyCells))) {
                throw new DataException("event at " + e.position() + " for table " + meta.id() + " lacks key column " + column.name());
            }
        }
        String identity = identity(keyCells);
        Pending previous = keyed.get(identity);
        if (e.op() == Op.DELETE) {
            keyed.put(identity, new Pending(keyCells, true, false, null));
            return;
        }
        String[] cells = render(e.after());
        if (previous != null && !previous.delete) {
            for (int i = 0; i < cells.length; i++) {
                if (cells[i] == KEEP) {
                    cells[i] = previous.cells[i];
                }
            }
        }
        boolean fresh = previous == null ? e.op() == Op.INSERT : previous.fresh && !previous.delete;
        keyed.put(identity, new Pending(cells, false, fresh, sortKey(e.after())));
    }

    /** The reduced rows: deletes and upserts, each key once. */
    Collection<Pending> rows() {
        if (keyed.isEmpty()) {
            return appended;
        }
        List<Pending> all = new ArrayList<>(appended);
        all.addAll(keyed.values());
        return all;
    }

    private String identity(String[] keyCells) {
        if (keyPositions.length == 1 && keyCells[keyPositions[0]] != null) {
            return keyCells[keyPositions[0]];
        }
        StringBuilder sb = new StringBuilder();
        for (int p : keyPositions) {
            sb.append(keyCells[p] == null ? "\u0002" : keyCells[p]).append('\u0001');
        }
        return sb.toString();
    }

    /** Renders column {@code p} from {@code row} into {@code cells} when the row has that column. */
    private boolean cell(Row row, int p, Column column, String[] cells) {
        if (row == null) {
            return false;
        }
        if (row instanceof Row.StructRow sr) {
            Field f = fields(sr.struct().schema())[p];
            if (f == null) {
                return false;
            }
            cells[p] = renderer.render(sr.struct().get(f), f.schema(), column);
            return true;
        }
        if (!row.has(column.name())) {
            return false;
        }
        cells[p] = renderer.render(row.value(column.name()), row.schema(column.name()), column);
        return true;
    }

    private String[] render(Row row) {
        List<Column> columns = meta.columns();
        String[] cells = new String[columns.size()];
        Struct struct = row instanceof Row.StructRow sr ? sr.struct() : null;
        Field[] fields = struct == null ? null : fields(struct.schema());
        for (int i = 0; i < cells.length; i++) {
            Column c = columns.get(i);
            Object v;
            Schema schema;
            if (struct != null) {
                Field f = fields[i];
                if (f == null) {
                    cells[i] = KEEP;
                    continue;
                }
                v = struct.get(f);
                schema = f.schema();
            } else {
                if (!row.has(c.name())) {
                    cells[i] = KEEP;
                    continue;
                }
                v = row.value(c.name());
                schema = row.schema(c.name());
            }
            if (isPlaceholder(v)) {
                cells[i] = KEEP;
                continue;
            }
            try {
                cells[i] = renderer.render(v, schema, c);
            } catch (ClassCastException | IllegalArgumentException | java.time.DateTimeException ex) {
                throw new DataException("table " + meta.id() + ", column " + c.name() + " (" + c.sqlType() + "): cannot render value of type "
                        + v.getClass().getSimpleName() + ": " + ex.getMessage(), ex);
            }
        }
        return cells;
    }

    /** The struct's field for each target column (null where the struct lacks it), worked out once per schema. */
    private Field[] fields(Schema schema) {
        Field[] fields = shapes.get(schema);
        if (fields == null) {
            List<Column> columns = meta.columns();
            fields = new Field[columns.size()];
            for (int i = 0; i < fields.length; i++) {
                fields[i] = schema.field(columns.get(i).name());
            }
            shapes.put(schema, fields);
        }
        return fields;
    }

    /** Debezium's stand-in for an unchanged TOASTed value: the placeholder text, its bytes, or an array holding it. */
    private boolean isPlaceholder(Object v) {
        if (v instanceof String s) {
            return s.equals(placeholder);
        }
        if (v instanceof byte[] b) {
            return Arrays.equals(b, placeholderBytes);
        }
        if (v instanceof ByteBuffer buf) {
            return buf.remaining() == placeholderBytes.length && Arrays.equals(ValueRenderer.bytes(buf), placeholderBytes);
        }
        if (v instanceof List<?> list) {
            return list.size() == 1 && isPlaceholder(list.get(0));
        }
        return false;
    }

    private Object sortKey(Row row) {
        if (timePosition < 0 || row == null) {
            return null;
        }
        Object v;
        if (row instanceof Row.StructRow sr) {
            Field f = fields(sr.struct().schema())[timePosition];
            v = f == null ? null : sr.struct().get(f);
        } else {
            v = row.value(meta.timeColumn());
        }
        return v instanceof java.util.Date d ? d.getTime() : v;
    }
}

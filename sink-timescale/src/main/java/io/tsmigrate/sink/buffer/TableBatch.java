package io.tsmigrate.sink.buffer;

import io.tsmigrate.sink.read.ChangeEvent;
import io.tsmigrate.sink.read.Op;
import io.tsmigrate.sink.read.Row;
import io.tsmigrate.sink.sql.Column;
import io.tsmigrate.sink.sql.TableMeta;
import io.tsmigrate.sink.sql.ValueRenderer;

import io.tsmigrate.json.StructValues;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.errors.DataException;

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
public final class TableBatch {

    /** Marks a cell whose target value must be kept (unchanged TOAST value, or a column the event lacks). */
    public static final String KEEP = new String("<keep>");

    /** {@link #touched}'s entry for an SQL NULL (compared by identity, like {@link #KEEP}). */
    public static final String SQL_NULL = new String("<null>");

    private final TableMeta meta;
    private final List<String> keyColumns;
    private final int[] keyPositions;
    private final ValueRenderer renderer;
    private final Placeholders placeholders;
    private final boolean truncate;
    private final Map<String, Pending> keyed = new LinkedHashMap<>();
    private final List<Pending> appended = new ArrayList<>();
    private List<KeylessChange> ordered;
    private final Map<String, Integer> positions;
    private final int timePosition;
    /** For each struct schema seen (by identity: a converter keeps one per table version), its field per target column. */
    private final Map<Schema, Field[]> shapes = new IdentityHashMap<>();
    private int events;
    /**
     * DELETE halves of key changes whose CREATE half has not come in this batch, by key move: the old key's cells and
     * the old row's state in this batch (null when not in it: the target's row). Those left at the end are stashed.
     */
    private final Map<String, Moving> moving = new LinkedHashMap<>();
    /** The last DELETE half of a key change without a position (no key move): paired with the next CREATE half only. */
    private Moving unnamed;
    /**
     * The key is a deferrable primary key or unique index: inside one source transaction two rows may hold a key for a
     * while (all keys renumbered in one statement, two keys swapped), so a delete says by its old row which one it removes.
     */
    private final boolean deferrableKey;

    private record Moving(String move, String[] key, Pending row) {
    }

    /**
     * @param keyColumns target columns that identify a row (empty: the table has no key, rows are only appended)
     * @param truncate   whether the table is truncated before these rows are written
     */
    public TableBatch(TableMeta meta, List<String> keyColumns, ValueRenderer renderer, String placeholder, boolean truncate) {
        this.meta = meta;
        this.keyColumns = List.copyOf(keyColumns);
        this.renderer = renderer;
        this.placeholders = Placeholders.of(placeholder);
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
        this.deferrableKey = !keyColumns.isEmpty() && meta.deferrable(keyColumns);
    }

    public TableMeta meta() {
        return meta;
    }

    public List<String> keyColumns() {
        return keyColumns;
    }

    public boolean truncate() {
        return truncate;
    }

    /** Positions (in the table's columns) of the key columns. */
    public int[] keyPositions() {
        return keyPositions.clone();
    }

    int events() {
        return events;
    }

    /** Adds one INSERT, UPDATE or DELETE event, merging it with earlier events of the same key. */
    public void add(ChangeEvent e) {
        events++;
        if (keyColumns.isEmpty()) {
            addKeyless(e);
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
            String[] old = deferrableKey && e.before() != null ? oldRow(e.before(), keyCells) : null;
            Pending written = previous != null && !previous.delete ? previous : null;
            if (old != null && written != null && !written.matches(old)) {
                // Two rows hold this key for a while (deferrable key): this delete removes the other one, not the row an
                // earlier event of this batch wrote here, which stays.
                moved(e, keyCells, Pending.origin(old));
                return;
            }
            // The first event at this key in this batch, under a deferrable key: the target's row may be another than this old
            // row (written here by an earlier batch while this one still held the key), which stays.
            keyed.put(identity, old != null && previous == null ? Pending.guardedDelete(old) : new Pending(keyCells, true, false, null));
            // The DELETE half of a primary-key change: its CREATE takes unchanged values from this row (in this batch, or stashed).
            moved(e, keyCells, written != null ? written : old != null ? Pending.origin(old) : null);
            return;
        }
        String[] cells = render(e.after());
        boolean half = e.createsForKeyChange();
        Moving from = !half ? null : e.move() != null ? moving.remove(e.move()) : unnamed;
        unnamed = null;
        // The CREATE half of a key change takes unchanged values from the old row: its state in this batch, else the target's
        // row, or (its DELETE half applied before this batch) the old row stashed then.
        Pending origin = from != null ? from.row() : previous;
        String[] fromKey = from != null ? from.key() : null;
        String take = half && from == null ? e.move() : null;
        if (origin != null && !origin.delete) {
            for (int i = 0; i < cells.length; i++) {
                if (cells[i] == KEEP) {
                    cells[i] = origin.cells[i];
                }
            }
            // Cells still kept come from where the origin's own kept cells come from.
            if (origin.fromKey != null) {
                fromKey = origin.fromKey;
            }
            if (origin.take != null) {
                take = origin.take;
            }
        }
        boolean fresh = !half && (previous == null ? e.op() == Op.INSERT : previous.fresh && !previous.delete);
        keyed.put(identity, new Pending(cells, false, fresh, sortKey(e.after()), fromKey, take, null));
    }

    /** Remembers the DELETE half of a key change for its CREATE half: the old key and the old row (null: the target's row). */
    private void moved(ChangeEvent e, String[] keyCells, Pending oldRow) {
        if (!e.deletesForKeyChange()) {
            return;
        }
        Moving m = new Moving(e.move(), keyCells, oldRow);
        if (m.move() != null) {
            moving.put(m.move(), m);
        } else {
            unnamed = m;
        }
    }

    /** A delete's old row as far as the event carries it (KEEP elsewhere), with its key. */
    private String[] oldRow(Row before, String[] keyCells) {
        String[] cells = render(before);
        for (int p : keyPositions) {
            cells[p] = keyCells[p];
        }
        return cells;
    }

    /**
     * The old rows of key changes whose CREATE half did not come in this batch: each is stashed under its key move
     * ({@link KeyMoves}) for the CREATE half to take unchanged values from, as it stood before the DELETE half (its
     * state in this batch, its kept cells from the target's row).
     */
    public List<Pending> stashes() {
        List<Pending> out = new ArrayList<>();
        for (Moving m : moving.values()) {
            Pending row = m.row();
            String[] cells;
            if (row == null) {
                cells = new String[meta.columns().size()];
                Arrays.fill(cells, KEEP);
                for (int p : keyPositions) {
                    cells[p] = m.key()[p];
                }
            } else {
                cells = row.cells.clone();
            }
            out.add(new Pending(cells, false, false, null, row == null ? null : row.fromKey, row == null ? null : row.take, m.move()));
        }
        return out;
    }

    /**
     * A change to a table without a key: inserts are appended; an update or delete needs the whole old row
     * (REPLICA IDENTITY FULL on the source) and is applied in order, to one matching row ({@link IdentityFullWriter}).
     */
    private void addKeyless(ChangeEvent e) {
        Pending insert = e.op() == Op.INSERT ? new Pending(render(e.after()), false, true, sortKey(e.after())) : null;
        if (insert != null && ordered == null) {
            appended.add(insert);
            return;
        }
        if (ordered == null) {
            ordered = new ArrayList<>();
            appended.forEach(p -> ordered.add(new KeylessChange(null, null, p)));
            appended.clear();
        }
        if (insert != null) {
            ordered.add(new KeylessChange(null, null, insert));
            return;
        }
        if (e.before() == null) {
            throw new DataException("table " + meta.id() + " has no primary key and this " + e.op().name().toLowerCase() + " carries no old row ("
                    + e.position() + "), so it cannot find its row; on the source give the table a primary key or run ALTER TABLE "
                    + meta.id().quoted() + " REPLICA IDENTITY FULL");
        }
        String[] before = render(e.before());
        String[] after = e.op() == Op.DELETE ? null : render(e.after());
        if (after != null) {
            for (int i = 0; i < after.length; i++) {
                if (after[i] == KEEP && before[i] != KEEP) {
                    after[i] = before[i];
                }
            }
        }
        ordered.add(new KeylessChange(before, after, null));
    }

    /** One change of a table without a key, in event order: an insert ({@code insert}), an update or a delete ({@code after} null). */
    public record KeylessChange(String[] before, String[] after, Pending insert) {
    }

    /** The changes of a table without a key in their order, when some are updates or deletes; null when all are inserts ({@link #rows}). */
    public List<KeylessChange> keylessChanges() {
        return ordered;
    }

    /** The reduced rows: deletes and upserts, each key once. */
    public Collection<Pending> rows() {
        if (keyed.isEmpty()) {
            return appended;
        }
        List<Pending> all = new ArrayList<>(appended);
        all.addAll(keyed.values());
        return all;
    }

    /**
     * The values (text) of column {@code p} in every row version this batch touches, old and new: what the change
     * ledger records. A null entry is a row version whose value there is not known (a delete or update without
     * that column in its key, an unchanged placeholder); a truncate gives one null. SQL NULL is {@link #SQL_NULL}.
     */
    public List<String> touched(int p) {
        List<String> out = new ArrayList<>();
        boolean inKey = Arrays.stream(keyPositions).anyMatch(k -> k == p);
        if (truncate) {
            out.add(null);
        }
        for (Pending r : appended) {
            out.add(known(r.cells[p]));
        }
        for (Pending r : keyed.values()) {
            // A key change's old row is its own (delete) entry; an update's old value is known when the column is in the key.
            // Outside the key, a delete's and an old key's cells are not in the events (null there is not SQL NULL).
            out.add(r.fresh || inKey ? known(r.cells[p]) : null);
            if (!r.delete && !r.fresh && !inKey) {
                out.add(known(r.cells[p]));
            }
            if (r.fromKey != null) {
                out.add(inKey ? known(r.fromKey[p]) : null);
            }
        }
        if (ordered != null) {
            for (KeylessChange ch : ordered) {
                for (String[] cells : new String[][] {ch.before(), ch.after(), ch.insert() == null ? null : ch.insert().cells}) {
                    if (cells != null) {
                        out.add(known(cells[p]));
                    }
                }
            }
        }
        return out;
    }

    private static String known(String cell) {
        return cell == KEEP ? null : cell == null ? SQL_NULL : cell;
    }

    private String identity(String[] keyCells) {
        if (keyPositions.length == 1 && keyCells[keyPositions[0]] != null) {
            return keyCells[keyPositions[0]];
        }
        int size = keyPositions.length;
        for (int p : keyPositions) {
            size += keyCells[p] == null ? 1 : keyCells[p].length();
        }
        StringBuilder sb = new StringBuilder(size);
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
            cells[p] = renderer.render(StructValues.raw(sr.struct(), f), f.schema(), column);
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
                v = StructValues.raw(struct, f);
                schema = f.schema();
            } else {
                if (!row.has(c.name())) {
                    cells[i] = KEEP;
                    continue;
                }
                v = row.value(c.name());
                schema = row.schema(c.name());
            }
            if (placeholders.is(v)) {
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

    private Object sortKey(Row row) {
        if (timePosition < 0 || row == null) {
            return null;
        }
        Object v;
        if (row instanceof Row.StructRow sr) {
            Field f = fields(sr.struct().schema())[timePosition];
            v = f == null ? null : StructValues.raw(sr.struct(), f);
        } else {
            v = row.value(meta.timeColumn());
        }
        return v instanceof java.util.Date d ? d.getTime() : v;
    }
}

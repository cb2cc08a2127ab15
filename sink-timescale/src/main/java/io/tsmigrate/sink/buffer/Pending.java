package io.tsmigrate.sink.buffer;

/**
 * One reduced row of a {@link TableBatch}: its cells rendered as PostgreSQL text ({@link TableBatch#KEEP} where the
 * target's value stays), whether it deletes, and where a key change takes its kept cells from.
 */
public final class Pending {
    public final String[] cells;
    public final boolean delete;
    /** First seen in this batch as a create: it cannot exist in the target yet (barring a re-snapshot). */
    public final boolean fresh;
    public final Object sortKey;
    /** After a primary-key change: the old key's cells (at the key positions), whose target row holds the kept cells; else null. */
    public final String[] fromKey;
    /**
     * After a primary-key change whose DELETE half was applied before this batch: the key move ({@code KeyMoves})
     * whose stashed old row holds the kept cells (it wins over {@link #fromKey}); else null.
     */
    public final String take;
    /** For a stashed old row (not a row of the table): the key move it is stashed under; else null. */
    public final String stash;
    /**
     * A delete under a deferrable key ({@link TableBatch}): its cells hold the old row as far as the event carries it, and
     * it deletes the target's row only where that row matches them.
     */
    public final boolean guarded;

    public Pending(String[] cells, boolean delete, boolean fresh, Object sortKey) {
        this(cells, delete, fresh, sortKey, null, null, null);
    }

    public Pending(String[] cells, boolean delete, boolean fresh, Object sortKey, String[] fromKey, String take, String stash) {
        this(cells, delete, fresh, sortKey, fromKey, take, stash, false);
    }

    private Pending(String[] cells, boolean delete, boolean fresh, Object sortKey, String[] fromKey, String take, String stash, boolean guarded) {
        this.guarded = guarded;
        this.cells = cells;
        this.delete = delete;
        this.fresh = fresh;
        this.sortKey = sortKey;
        this.fromKey = fromKey;
        this.take = take;
        this.stash = stash;
    }

    /** A delete of the target's row at this key only where that row matches the old row's known cells ({@link #guarded}). */
    static Pending guardedDelete(String[] oldRow) {
        return new Pending(oldRow, true, false, null, null, null, null, true);
    }

    /**
     * An old row as the origin of a key change's unchanged values: its NULLs taken as not known (KEEP). A value a CREATE
     * half keeps is an unchanged TOASTed one, never NULL; an old row of an identity index carries NULL for the columns
     * outside it, which the target's row then gives.
     */
    static Pending origin(String[] old) {
        String[] cells = old.clone();
        for (int i = 0; i < cells.length; i++) {
            if (cells[i] == null) {
                cells[i] = TableBatch.KEEP;
            }
        }
        return new Pending(cells, false, false, null);
    }

    /**
     * Whether this row's cells match an old row's known cells: NULL in an old row is not known (outside a REPLICA
     * IDENTITY FULL table's identity, an old row carries NULL for what it lacks), nor is a kept cell on either side.
     */
    boolean matches(String[] old) {
        for (int i = 0; i < old.length; i++) {
            if (old[i] != null && old[i] != TableBatch.KEEP && cells[i] != TableBatch.KEEP && !old[i].equals(cells[i])) {
                return false;
            }
        }
        return true;
    }

    boolean hasKeep() {
        for (String c : cells) {
            if (c == TableBatch.KEEP) {
                return true;
            }
        }
        return false;
    }
}

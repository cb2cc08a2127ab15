package io.tsmigrate.sink.write;

import io.tsmigrate.sink.buffer.Pending;
import io.tsmigrate.sink.buffer.TableBatch;
import io.tsmigrate.sink.sql.CopyBinary;
import io.tsmigrate.sink.sql.CopyText;
import io.tsmigrate.sink.sql.Sql;
import io.tsmigrate.sink.sql.SqlBuilder;
import io.tsmigrate.sink.sql.TableMeta;
import io.tsmigrate.sink.sql.TargetShapeException;

import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;
import org.postgresql.copy.CopyManager;
import org.postgresql.util.PSQLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Writes {@link TableBatch}es inside the caller's transaction, with COPY:
 * <ul>
 *   <li>append path: a batch of new rows only goes straight into the table with one COPY (if a row turns out
 *       to exist already, say after a re-snapshot, the COPY is rolled back to a savepoint and the batch takes
 *       the staged path);</li>
 *   <li>staged path: rows are copied into a session-local staging table; kept cells are filled from the
 *       target; every staged key is deleted from the target; the new row versions are inserted in time
 *       order. Deleting by the source key, then inserting, moves a row whose time value changed on a
 *       hypertable whose unique key is wider than the source key.</li>
 * </ul>
 * Not thread-safe: one per task connection.
 */
public final class BatchWriter {

    private static final Logger LOG = LoggerFactory.getLogger(BatchWriter.class);

    /** Bytes per COPY data message of a binary COPY. */
    private static final int COPY_CHUNK = 1 << 16;

    private final Connection connection;
    private final CopyManager copy;
    private final IdentityFullWriter identityFull;
    private final KeyMoves keyMoves;
    private final Set<String> stagesInTransaction = new HashSet<>();
    private final boolean binary;
    private long rowsWritten;

    /** @param binary whether new rows may go by binary COPY ({@code copy.format=auto}) */
    BatchWriter(Connection connection, KeyMoves keyMoves, boolean binary) throws SQLException {
        this.connection = connection;
        this.binary = binary;
        this.keyMoves = keyMoves;
        this.copy = connection.unwrap(PGConnection.class).getCopyAPI();
        this.identityFull = new IdentityFullWriter(connection);
    }

    /** Rows written (inserted or deleted) since this writer was made. */
    public long rowsWritten() {
        return rowsWritten;
    }

    /** Forget per-transaction state; call after every commit and rollback. */
    void endTransaction() {
        stagesInTransaction.clear();
    }

    /**
     * How a batch reaches the target: {@code KEYLESS}, a table without a key, its changes in order (inserts appended
     * by COPY, REPLICA IDENTITY FULL updates and deletes by their whole old row); {@code APPEND}, rows that cannot
     * be in the target yet (new keys only, after a TRUNCATE or into a table without a key), by one COPY into the
     * table; {@code APPEND_OR_UPSERT}, new keys of a keyed table, by COPY under a savepoint, as upserts when a row
     * exists after all (a re-snapshot); {@code STAGED}, anything else (updates, deletes, key changes, values kept
     * from the target's row in some rows only), by COPY into a staging table, then one DELETE and one INSERT;
     * {@code NOTHING}, an empty batch.
     */
    enum Path { NOTHING, KEYLESS, APPEND, APPEND_OR_UPSERT, STAGED }

    /** The rows a keyed batch writes: its rows (in time order on a hypertable), then the old rows it stashes; none for a keyless one. */
    static List<Pending> toWrite(TableBatch batch) {
        List<Pending> rows = batch.keylessChanges() != null ? new ArrayList<>() : sorted(batch.rows(), batch.meta());
        rows.addAll(batch.stashes());
        return rows;
    }

    /** The path for a batch whose rows to write are {@code rows} ({@link #toWrite}). */
    static Path path(TableBatch batch, List<Pending> rows) {
        if (batch.keylessChanges() != null) {
            return Path.KEYLESS;
        }
        if (rows.isEmpty()) {
            return Path.NOTHING;
        }
        if (!batch.stashes().isEmpty() || appendColumns(rows, batch.meta()) == null) {
            return Path.STAGED;
        }
        return batch.keyColumns().isEmpty() || batch.truncate() ? Path.APPEND : Path.APPEND_OR_UPSERT;
    }

    void write(TableBatch batch) throws SQLException {
        TableMeta meta = batch.meta();
        if (batch.truncate()) {
            execute(referencedByAnotherTable(meta) ? SqlBuilder.deleteAll(meta.id()) : SqlBuilder.truncate(meta.id()));
        }
        List<Pending> rows = toWrite(batch);
        switch (path(batch, rows)) {
            case NOTHING -> { }
            case KEYLESS -> writeKeyless(meta, batch.keylessChanges());
            case APPEND -> appendAll(meta, rows);
            case APPEND_OR_UPSERT -> appendOrUpsert(batch, rows);
            case STAGED -> writeStaged(batch, rows);
        }
    }

    private void appendOrUpsert(TableBatch batch, List<Pending> rows) throws SQLException {
        TableMeta meta = batch.meta();
        List<Integer> columns = appendColumns(rows, meta);
        Savepoint sp = connection.setSavepoint();
        try {
            copyInto(meta, rows, columns);
            connection.releaseSavepoint(sp);
            return;
        } catch (PSQLException e) {
            if (!"23505".equals(e.getSQLState())) {
                throw e;
            }
            connection.rollback(sp);
            LOG.info("Rows of {} already exist in the target (a re-snapshot?); writing this batch as upserts", meta.id());
        }
        writeStaged(batch, rows);
    }

    /** Inserts (appended, several at once) and REPLICA IDENTITY FULL updates and deletes of a table without a key, in order. */
    private void writeKeyless(TableMeta meta, List<TableBatch.KeylessChange> changes) throws SQLException {
        List<Pending> inserts = new ArrayList<>();
        for (TableBatch.KeylessChange ch : changes) {
            if (ch.insert() != null) {
                inserts.add(ch.insert());
                continue;
            }
            appendAll(meta, inserts);
            rowsWritten += identityFull.apply(meta, ch.before(), ch.after());
        }
        appendAll(meta, inserts);
    }

    private void appendAll(TableMeta meta, List<Pending> rows) throws SQLException {
        if (rows.isEmpty()) {
            return;
        }
        // Inserts carry whole rows; the rule for which columns a COPY of new rows gives is appendColumns'.
        List<Integer> cols = appendColumns(rows, meta);
        if (cols == null) {
            throw new IllegalStateException("inserts into " + meta.id() + " without a key carry unchanged-value placeholders in some rows only");
        }
        copyInto(meta, rows, cols);
        rows.clear();
    }

    private void writeStaged(TableBatch batch, List<Pending> rows) throws SQLException {
        TableMeta meta = batch.meta();
        if (!meta.hasIndexFor(batch.keyColumns())) {
            throw new MissingIndexException(meta, batch.keyColumns());
        }
        List<String> key = batch.keyColumns();
        // One staging table per table version and key (its old-key columns are typed as the key columns).
        String stage = "tsm_stage_" + meta.version() + (key.equals(meta.primaryKey()) ? "" : "_" + Integer.toHexString(key.hashCode()));
        if (stagesInTransaction.add(stage)) {
            execute(SqlBuilder.createStage(stage, meta, key));
        } else {
            execute("TRUNCATE " + Sql.ident(stage));
        }
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < meta.columns().size(); i++) {
            all.add(i);
        }
        copyRows(SqlBuilder.copyStage(stage, meta, key), rows, all, batch.keyPositions());
        List<Integer> kept = kept(rows, meta, false);
        if (!kept.isEmpty()) {
            execute(SqlBuilder.fillKept(stage, meta, batch.keyColumns(), kept));
        }
        // Key changes whose halves are applied in different flushes (KeyMoves): kept cells from stashed old rows, old rows stashed.
        java.util.Set<String> moves = new java.util.TreeSet<>();
        for (Pending r : rows) {
            if (r.take != null) {
                moves.add(r.take);
            }
            if (r.stash != null) {
                moves.add(r.stash);
            }
        }
        if (!moves.isEmpty()) {
            keyMoves.lock(connection, meta, moves);
        }
        if (rows.stream().anyMatch(r -> r.take != null)) {
            List<Integer> taken = kept(rows, meta, true);
            if (!taken.isEmpty()) {
                execute(keyMoves.fill(stage, meta, taken));
            }
            execute(keyMoves.consume(stage, meta));
        }
        if (rows.stream().anyMatch(r -> r.stash != null)) {
            execute(keyMoves.stash(stage, meta));
        }
        rowsWritten += execute(SqlBuilder.deleteStaged(stage, meta, batch.keyColumns(), rows.stream().anyMatch(r -> r.guarded)));
        rowsWritten += execute(SqlBuilder.insertStaged(stage, meta));
    }

    /** Positions of the columns kept in some row to write (no delete) that takes its kept cells from a stash ({@code taken}) or not. */
    private static List<Integer> kept(List<Pending> rows, TableMeta meta, boolean taken) {
        List<Integer> kept = new ArrayList<>();
        for (int i = 0; i < meta.columns().size(); i++) {
            final int p = i;
            if (rows.stream().anyMatch(r -> !r.delete && (r.take != null) == taken && r.cells[p] == TableBatch.KEEP)) {
                kept.add(i);
            }
        }
        return kept;
    }

    /**
     * The columns an append COPY writes, or null when the batch cannot be appended: it has deletes or
     * updates, or some column is kept in some rows but not in others. A column kept in every row is left out
     * (the target's default applies).
     */
    private static List<Integer> appendColumns(List<Pending> rows, TableMeta meta) {
        List<Integer> cols = new ArrayList<>();
        for (int i = 0; i < meta.columns().size(); i++) {
            int keeps = 0;
            for (Pending r : rows) {
                if (r.delete || !r.fresh) {
                    return null;
                }
                if (r.cells[i] == TableBatch.KEEP) {
                    keeps++;
                }
            }
            if (keeps == 0) {
                cols.add(i);
            } else if (keeps != rows.size()) {
                return null;
            }
        }
        return cols;
    }

    /**
     * A COPY of new rows straight into the table: binary when every column's type has a binary form and every cell is in
     * its strict text form ({@link CopyBinary}; the target then parses no timestamps or floats), else text.
     */
    private void copyInto(TableMeta meta, List<Pending> rows, List<Integer> columns) throws SQLException {
        List<String> names = names(meta, columns);
        CopyBinary.Kind[] kinds = binary ? CopyBinary.kinds(columns.stream().map(p -> meta.columns().get(p)).toList()) : null;
        CopyBinary.Encoded encoded = kinds == null ? null : CopyBinary.encode(rows, columns.stream().mapToInt(Integer::intValue).toArray(), kinds);
        if (encoded == null) {
            copyRows(SqlBuilder.copyInto(meta.id(), names, false), rows, columns, null);
            return;
        }
        CopyIn in = copy.copyIn(SqlBuilder.copyInto(meta.id(), names, true));
        try {
            for (int at = 0; at < encoded.length(); at += COPY_CHUNK) {
                in.writeToCopy(encoded.bytes(), at, Math.min(COPY_CHUNK, encoded.length() - at));
            }
            rowsWritten += in.endCopy();
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    /** @param stagedKey for the staging table: positions of the key columns (their old-key cells follow); null for a direct COPY */
    private void copyRows(String sql, List<Pending> rows, List<Integer> columns, int[] stagedKey) throws SQLException {
        CopyIn in = copy.copyIn(sql);
        try {
            CopyText.writeRows(rows, columns, stagedKey, in::writeToCopy);
            long n = in.endCopy();
            if (stagedKey == null) {
                rowsWritten += n;
            }
        } finally {
            if (in.isActive()) {
                in.cancelCopy();
            }
        }
    }

    /**
     * Whether a foreign key of another table references this one: PostgreSQL refuses to TRUNCATE it alone, and the
     * tables are applied per topic, so the source's TRUNCATE of both (or CASCADE) reaches them one at a time. Such a
     * table is emptied with DELETE, which under session_replication_role=replica leaves the other table to its own events.
     */
    private boolean referencedByAnotherTable(TableMeta meta) throws SQLException {
        try (java.sql.PreparedStatement ps = connection.prepareStatement("SELECT 1 FROM pg_constraint WHERE contype = 'f' AND confrelid = ?::regclass "
                + "AND conrelid <> confrelid LIMIT 1")) {
            ps.setString(1, meta.id().quoted());
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        }
    }

    private int execute(String sql) throws SQLException {
        try (Statement st = connection.createStatement()) {
            return st.executeUpdate(sql);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Pending> sorted(Collection<Pending> rows, TableMeta meta) {
        List<Pending> list = new ArrayList<>(rows);
        if (meta.timeColumn() != null) {
            list.sort(Comparator.comparing(r -> (Comparable<Object>) r.sortKey, Comparator.nullsLast(Comparator.naturalOrder())));
        }
        return list;
    }

    private static List<String> names(TableMeta meta, List<Integer> positions) {
        return positions.stream().map(p -> meta.columns().get(p).name()).toList();
    }

    /** Updates or deletes need an index to find rows by key; without one every batch would scan the table. */
    public static final class MissingIndexException extends TargetShapeException {
        public MissingIndexException(TableMeta meta, List<String> key) {
            super("target table " + meta.id() + " has no index that finds rows by (" + String.join(", ", key) + "), which updates and deletes "
                    + "match on; add one, for example: CREATE " + (meta.timeColumn() != null ? "UNIQUE INDEX ON " + meta.id().quoted() + " ("
                    + Sql.idents(withTime(key, meta.timeColumn())) + ")" : "UNIQUE INDEX ON " + meta.id().quoted() + " (" + Sql.idents(key) + ")"));
        }

        private static List<String> withTime(List<String> key, String time) {
            List<String> cols = new ArrayList<>(key);
            if (!cols.contains(time)) {
                cols.add(time);
            }
            return cols;
        }
    }
}

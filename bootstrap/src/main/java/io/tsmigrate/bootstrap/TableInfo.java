package io.tsmigrate.bootstrap;

import io.tsmigrate.common.Ident;

import java.util.List;

/**
 * A source table as the bootstrap sees it. Immutable.
 *
 * @param schema         schema name
 * @param name           table name
 * @param bytes          total size (heap, TOAST, indexes)
 * @param heapPages      heap pages now
 * @param rowEstimate    the planner's row estimate
 * @param columns        copied columns (generated columns left out: the target computes them)
 * @param generated      generated columns
 * @param primaryKey     primary key columns (empty: none)
 * @param replicaIdentity pg_class.relreplident: d default, f full, i index, n nothing
 * @param uniqueIndexes  unique indexes and constraints: name and columns
 * @param indexedColumns columns that lead some index
 * @param sourceTime     the time dimension column when the table is a hypertable on the source, else null
 * @param sourceInterval the source hypertable's chunk interval as SQL text, else null
 * @param ownRowsOnly    a plain table with inheritance children ({@code INHERITS}; not a hypertable): its own rows are
 *                       read with {@code ONLY}, since reading the table reads its children's rows too, and each child is
 *                       a table of its own
 */
public record TableInfo(String schema, String name, long bytes, long heapPages, long rowEstimate, List<String> columns, List<String> generated,
                        List<String> primaryKey, char replicaIdentity, List<UniqueIndex> uniqueIndexes, List<String> indexedColumns,
                        String sourceTime, String sourceInterval, boolean ownRowsOnly) {

    public TableInfo(String schema, String name, long bytes, long heapPages, long rowEstimate, List<String> columns, List<String> generated,
                     List<String> primaryKey, char replicaIdentity, List<UniqueIndex> uniqueIndexes, List<String> indexedColumns,
                     String sourceTime, String sourceInterval) {
        this(schema, name, bytes, heapPages, rowEstimate, columns, generated, primaryKey, replicaIdentity, uniqueIndexes, indexedColumns,
                sourceTime, sourceInterval, false);
    }

    /** A unique index or constraint. */
    public record UniqueIndex(String name, List<String> columns, boolean primary) {
    }

    public String qualified() {
        return Ident.qualified(schema, name);
    }

    /** The relation a query reads this table's rows from on the source (see {@code ownRowsOnly}). */
    public String sourceRelation() {
        return (ownRowsOnly ? "ONLY " : "") + qualified();
    }

    /** The table's key in the bootstrap's maps and ledger, and its name in messages ({@link Ident#readable}). */
    public String id() {
        return Ident.readable(schema, name);
    }

    /** The columns, quoted, as a COPY column list ({@code "a", "b"}). */
    public String columnList() {
        return String.join(", ", columns.stream().map(Ident::quote).toList());
    }

    /** Updates and deletes of this table can be streamed: it has a primary key or a replica identity. */
    public boolean streamable() {
        return !primaryKey.isEmpty() || replicaIdentity == 'f' || replicaIdentity == 'i';
    }
}

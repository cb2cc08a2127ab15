package io.tsmigrate.bootstrap;

/**
 * A part of a table that one worker copies in one target transaction: the rows matching {@code where}.
 * Immutable; stored in the state so a rerun copies the same pieces.
 *
 * @param table  {@code schema.table}
 * @param no     the piece's number within its table
 * @param where  SQL predicate (identifiers quoted), {@code true} for the whole table
 * @param bytes  estimated bytes, to order the work largest first
 */
public record Piece(String table, int no, String where, long bytes) {

    String key() {
        return table + "#" + no;
    }
}

package io.tsmigrate.bootstrap;

/**
 * A part of a table that one worker copies in one target transaction: the rows matching {@code where}, one chunk
 * of a hypertable whose compressed chunks are copied as they are ({@link CompressedCopy}), or a run of chunk intervals
 * copied straight into the target's chunks ({@link ChunkPieces}). Immutable; stored in the
 * state so a rerun copies the same pieces.
 *
 * @param table      {@code schema.table}
 * @param no         the piece's number within its table
 * @param where      SQL predicate (identifiers quoted), {@code true} for the whole table or chunk
 * @param bytes      estimated bytes, to order the work largest first
 * @param chunk      the source chunk ({@code schema.name}, quoted) this piece is, or null
 * @param slices     the chunk's dimension slices as TimescaleDB's create_chunk takes them (JSON), or null
 * @param compressed the source chunk's compressed chunk (quoted) when it is copied compressed, else null
 * @param sizes      the compressed chunk's sizes and row counts (compression_chunk_size, comma-separated), or null
 * @param span       the chunk intervals this piece copies straight into their chunks ({@link ChunkPieces}), or null
 */
public record Piece(String table, int no, String where, long bytes, String chunk, String slices, String compressed, String sizes,
                    ChunkPieces.Span span) {

    public Piece(String table, int no, String where, long bytes) {
        this(table, no, where, bytes, null, null, null, null, null);
    }

    String key() {
        return table + "#" + no;
    }
}

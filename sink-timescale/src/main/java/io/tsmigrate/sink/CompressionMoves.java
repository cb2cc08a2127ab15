package io.tsmigrate.sink;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.transforms.Transformation;

import java.util.Map;

/**
 * A transform for the Debezium source connector of a TimescaleDB source (first in its chain, before Debezium's
 * {@code TimescaleDb} transform): drops the row moves TimescaleDB makes when it compresses or decompresses data, so
 * only the changes the application made reach the sink.
 *
 * <p>TimescaleDB 2.19 (Community edition, {@code timescaledb.enable_compression_wal_markers}, on by default) writes a
 * transactional logical decoding message {@code ::timescaledb-compression-start} / {@code -end} around
 * {@code compress_chunk} and a recompression, and {@code ::timescaledb-decompression-start} / {@code -end} around
 * {@code decompress_chunk} and around the decompression of the batches a DML statement on compressed data touches.
 * Between them the chunk's rows are inserted into or deleted from the uncompressed chunk table; streamed, those would
 * double rows (decompression) or delete them (recompression) on the target. pgoutput sends one transaction at a time
 * and Debezium hands records to this transform in stream order on one task thread, so a flag set by the start marker
 * and cleared by the end marker covers exactly the moves. Rows of the compressed chunk tables
 * ({@code compress_hyper_*}: batches in TimescaleDB's internal format) are dropped always; the markers too.
 * Not thread-safe; Connect uses one instance per task.
 */
public final class CompressionMoves<R extends ConnectRecord<R>> implements Transformation<R> {

    static final String MARKER_PREFIX = "::timescaledb-";
    static final String INTERNAL_SCHEMA = "_timescaledb_internal";
    static final String COMPRESSED_CHUNK_PREFIX = "compress_hyper_";

    private boolean moving;

    @Override
    public void configure(Map<String, ?> configs) {
    }

    @Override
    public R apply(R record) {
        if (!(record.value() instanceof Struct value)) {
            return record;
        }
        if (value.schema().field("message") != null && "m".equals(string(value, "op"))) {
            Struct message = value.getStruct("message");
            String prefix = message == null ? null : string(message, "prefix");
            if (prefix == null || !prefix.startsWith(MARKER_PREFIX)) {
                return record;
            }
            moving = prefix.endsWith("-start");
            return null;
        }
        if (value.schema().field("source") == null) {
            return record;
        }
        Struct source = value.getStruct("source");
        if (source == null || !INTERNAL_SCHEMA.equals(string(source, "schema"))) {
            return record;
        }
        String table = string(source, "table");
        return moving || (table != null && table.startsWith(COMPRESSED_CHUNK_PREFIX)) ? null : record;
    }

    private static String string(Struct s, String field) {
        return s.schema().field(field) == null ? null : s.getString(field);
    }

    /** Whether a compression or decompression is under way in the stream (for tests). */
    boolean moving() {
        return moving;
    }

    @Override
    public ConfigDef config() {
        return new ConfigDef();
    }

    @Override
    public void close() {
    }
}

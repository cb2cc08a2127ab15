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
 *
 * <p>It also names the hypertable of a chunk's change itself when {@code hypertables} maps the source's chunk-name
 * prefixes to hypertables ({@code {"_timescaledb_internal._hyper_1": ["public", "metrics"]}}, which {@code tsmigrate
 * start} reads from the source's catalog): a chunk is named {@code <prefix>_<id>_chunk}. Debezium's
 * {@code TimescaleDb} transform looks a chunk up in the source's catalog when its first change passes, and finds
 * nothing for a chunk dropped since (retention): its changes would go to a chunk table of that name on the target.
 * Chunks of hypertables the map does not know are left to Debezium's transform.
 * Not thread-safe; Connect uses one instance per task.
 */
public final class CompressionMoves<R extends ConnectRecord<R>> implements Transformation<R> {

    static final String MARKER_PREFIX = "::timescaledb-";
    static final String INTERNAL_SCHEMA = "_timescaledb_internal";
    static final String COMPRESSED_CHUNK_PREFIX = "compress_hyper_";

    static final String HYPERTABLES = "hypertables";
    static final String TOPIC_PREFIX = "topic.prefix";

    private static final ConfigDef CONFIG = new ConfigDef()
            .define(HYPERTABLES, ConfigDef.Type.STRING, "{}", ConfigDef.Importance.MEDIUM,
                    "JSON object from \"<chunk schema>.<chunk name prefix>\" to [schema, table] of the hypertable")
            .define(TOPIC_PREFIX, ConfigDef.Type.STRING, "", ConfigDef.Importance.MEDIUM,
                    "Debezium's topic.prefix: a chunk's change goes to <prefix>.<schema>.<hypertable>");

    private boolean moving;
    private final Map<String, String[]> hypertables = new java.util.HashMap<>();
    private String topicPrefix = "";

    @Override
    public void configure(Map<String, ?> configs) {
        org.apache.kafka.common.config.AbstractConfig c = new org.apache.kafka.common.config.AbstractConfig(CONFIG, configs);
        topicPrefix = c.getString(TOPIC_PREFIX);
        try {
            new com.fasterxml.jackson.databind.ObjectMapper().readTree(c.getString(HYPERTABLES)).fields()
                    .forEachRemaining(e -> hypertables.put(e.getKey(), new String[] {e.getValue().path(0).asText(), e.getValue().path(1).asText()}));
        } catch (java.io.IOException e) {
            throw new org.apache.kafka.common.config.ConfigException(HYPERTABLES, c.getString(HYPERTABLES), "is not a JSON object: " + e.getMessage());
        }
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
        String schema = source == null ? null : string(source, "schema");
        String table = source == null ? null : string(source, "table");
        if (schema == null || table == null) {
            return record;
        }
        if (INTERNAL_SCHEMA.equals(schema) && (moving || table.startsWith(COMPRESSED_CHUNK_PREFIX))) {
            return null;
        }
        String[] hypertable = hypertableOf(schema, table);
        if (hypertable == null) {
            return record;
        }
        source.put("schema", hypertable[0]);
        source.put("table", hypertable[1]);
        return record.newRecord(topicPrefix + "." + hypertable[0] + "." + hypertable[1], record.kafkaPartition(), record.keySchema(), record.key(),
                record.valueSchema(), record.value(), record.timestamp(), record.headers());
    }

    /** The hypertable of a chunk named {@code <prefix>_<id>_chunk} in its associated schema, or null. */
    String[] hypertableOf(String schema, String table) {
        if (hypertables.isEmpty() || !table.endsWith("_chunk")) {
            return null;
        }
        String rest = table.substring(0, table.length() - "_chunk".length());
        int cut = rest.lastIndexOf('_');
        if (cut <= 0 || !rest.substring(cut + 1).chars().allMatch(Character::isDigit) || cut + 1 == rest.length()) {
            return null;
        }
        return hypertables.get(schema + "." + rest.substring(0, cut));
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
        return CONFIG;
    }

    @Override
    public void close() {
    }
}

package io.tsmigrate.sink.write;

import io.tsmigrate.sink.sql.Sql;

import org.apache.kafka.common.TopicPartition;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The consumed Kafka offsets, kept in the target in the same transaction as the rows they produced:
 * {@code <state schema>.sink_offsets(connector, topic, kafka_partition, kafka_offset)}. The offset is the last
 * applied one (-1: none yet). Rows are created when a partition is opened, so that a flush can lock its
 * partitions' rows ({@code FOR UPDATE}) and a zombie task holding the same partition waits, then sees what
 * the other applied. Not thread-safe.
 */
public final class OffsetStore {

    private final String connector;
    private final String table;
    private final String schema;

    public OffsetStore(String connector, String stateSchema) {
        this.connector = connector;
        this.schema = Sql.ident(stateSchema);
        this.table = schema + ".sink_offsets";
    }

    void createIfMissing(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            // Sink tasks that start together on a target without these tables would create them together, and
            // CREATE ... IF NOT EXISTS is not safe against a concurrent creation (one fails on pg_type's unique index,
            // seen with two tasks at a migration's first start): the lock holds the others until the creating
            // transaction commits (TargetSession.ensure makes every state table in that one transaction).
            st.execute("SELECT pg_advisory_xact_lock(hashtext(" + Sql.literal("tsmigrate sink state " + schema) + "))");
            st.execute("CREATE SCHEMA IF NOT EXISTS " + schema);
            st.execute("CREATE TABLE IF NOT EXISTS " + table + " (connector text NOT NULL, topic text NOT NULL, kafka_partition int NOT NULL, "
                    + "kafka_offset bigint NOT NULL, source_commit_lsn bigint, source_change_lsn bigint, source_ts_ms bigint, "
                    + "updated_at timestamptz NOT NULL DEFAULT now(), group_applied int NOT NULL DEFAULT 0, group_index int NOT NULL DEFAULT 0, "
                    + "group_order bigint, source_tx_id bigint, PRIMARY KEY (connector, topic, kafka_partition))");
            // Where the run of changes at the last source position stands (Position): added to a table made by an earlier version.
            boolean old;
            try (ResultSet rs = st.executeQuery("SELECT count(*) = 0 FROM pg_attribute WHERE attrelid = " + Sql.literal(table)
                    + "::regclass AND attname = 'source_tx_id'")) {
                old = rs.next() && rs.getBoolean(1);
            }
            if (old) {
                st.execute("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS group_applied int NOT NULL DEFAULT 0, "
                        + "ADD COLUMN IF NOT EXISTS group_index int NOT NULL DEFAULT 0, ADD COLUMN IF NOT EXISTS group_order bigint, "
                        + "ADD COLUMN IF NOT EXISTS source_tx_id bigint");
            }
        }
    }

    /** Makes sure every partition has a row, then returns the stored offsets. */
    Map<TopicPartition, Position> open(Connection c, Collection<TopicPartition> partitions) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (connector, topic, kafka_partition, kafka_offset) "
                + "VALUES (?, ?, ?, -1) ON CONFLICT DO NOTHING")) {
            for (TopicPartition tp : partitions) {
                ps.setString(1, connector);
                ps.setString(2, tp.topic());
                ps.setInt(3, tp.partition());
                ps.addBatch();
            }
            ps.executeBatch();
        }
        return read(c, partitions, false);
    }

    /** The stored offsets of these partitions; with {@code lock}, their rows stay locked until the transaction ends. */
    Map<TopicPartition, Position> read(Connection c, Collection<TopicPartition> partitions, boolean lock) throws SQLException {
        Map<TopicPartition, Position> out = new HashMap<>();
        if (partitions.isEmpty()) {
            return out;
        }
        String[] topics = partitions.stream().map(TopicPartition::topic).toArray(String[]::new);
        Integer[] parts = partitions.stream().map(TopicPartition::partition).toArray(Integer[]::new);
        try (PreparedStatement ps = c.prepareStatement("SELECT o.topic, o.kafka_partition, o.kafka_offset, coalesce(o.source_commit_lsn, -1), coalesce(o.source_change_lsn, -1), coalesce(o.source_tx_id, -1), o.group_applied, o.group_index, coalesce(o.group_order, -1) FROM " + table + " o "
                + "JOIN unnest(?::text[], ?::int[]) AS p(topic, kafka_partition) USING (topic, kafka_partition) WHERE o.connector = ?"
                + " ORDER BY o.topic, o.kafka_partition" + (lock ? " FOR UPDATE OF o" : ""))) {
            ps.setArray(1, c.createArrayOf("text", topics));
            ps.setArray(2, c.createArrayOf("int4", parts));
            ps.setString(3, connector);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(new TopicPartition(rs.getString(1), rs.getInt(2)), new Position(rs.getLong(3), rs.getLong(4), rs.getLong(5), rs.getLong(6), rs.getInt(7), rs.getInt(8),
                            rs.getLong(9)));
                }
            }
        }
        return out;
    }

    /** Records how far each partition is applied, in the caller's transaction. */
    void write(Connection c, Map<TopicPartition, Position> positions, long sourceTsMs) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET kafka_offset = ?, source_commit_lsn = ?, source_change_lsn = ?, "
                + "source_ts_ms = coalesce(?, source_ts_ms), group_applied = ?, group_index = ?, group_order = ?, source_tx_id = ?, updated_at = now() "
                + "WHERE connector = ? AND topic = ? AND kafka_partition = ?")) {
            for (Map.Entry<TopicPartition, Position> e : positions.entrySet()) {
                Position p = e.getValue();
                ps.setLong(1, p.offset());
                setNullable(ps, 2, p.commitLsn());
                setNullable(ps, 3, p.changeLsn());
                setNullable(ps, 4, sourceTsMs);
                ps.setInt(5, p.groupApplied());
                ps.setInt(6, p.groupIndex());
                setNullable(ps, 7, p.groupOrder());
                setNullable(ps, 8, p.txId());
                ps.setString(9, connector);
                ps.setString(10, e.getKey().topic());
                ps.setInt(11, e.getKey().partition());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    private static void setNullable(PreparedStatement ps, int index, long value) throws SQLException {
        if (value >= 0) {
            ps.setLong(index, value);
        } else {
            ps.setNull(index, java.sql.Types.BIGINT);
        }
    }
}

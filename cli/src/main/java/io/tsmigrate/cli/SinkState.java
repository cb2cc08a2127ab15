package io.tsmigrate.cli;

import io.tsmigrate.common.Ident;
import org.apache.kafka.common.TopicPartition;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * What the sink connector has applied, read from its state table in the target ({@code tsmigrate.sink_offsets}:
 * the sink's {@code state.schema} default, which the shipped template keeps). The one place the CLI reads it;
 * the sink writes it (sink-timescale's {@code OffsetStore}).
 *
 * @param connector the sink connector's name
 */
record SinkState(String connector) {

    static final String TABLE = "tsmigrate.sink_offsets";

    /** Whether the sink has created its state table (it does at its first start). */
    static boolean exists(Connection target) throws SQLException {
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** The last Kafka offset applied per partition (empty before the sink's first commit). */
    Map<TopicPartition, Long> applied(Connection target) throws SQLException {
        Map<TopicPartition, Long> applied = new HashMap<>();
        if (!exists(target)) {
            return applied;
        }
        try (Statement st = target.createStatement();
                ResultSet rs = st.executeQuery("SELECT topic, kafka_partition, kafka_offset FROM " + TABLE + " WHERE connector = " + Ident.literal(connector))) {
            while (rs.next()) {
                applied.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
            }
        }
        return applied;
    }

    /** Totals for {@code status}, or null before the sink's first start. */
    Totals totals(Connection target) throws SQLException {
        if (!exists(target)) {
            return null;
        }
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*), coalesce(sum(kafka_offset + 1), 0), "
                + "(extract(epoch FROM max(updated_at)) * 1000 - max(source_ts_ms))::bigint, max(updated_at) FROM " + TABLE
                + " WHERE connector = " + Ident.literal(connector))) {
            rs.next();
            return new Totals(rs.getLong(1), rs.getLong(2), (Long) rs.getObject(3), rs.getString(4));
        }
    }

    /**
     * @param partitions   partitions the sink has applied records of
     * @param records      records applied, summed over the partitions
     * @param lagMs        the last commit's time minus the newest applied change's source time, null for none
     * @param lastCommit   the time of the sink's last commit, null for none
     */
    record Totals(long partitions, long records, Long lagMs, String lastCommit) {
    }

    /** How far the sink got in the source's terms, for messages: "up to source LSN …", "nothing" or "nothing recorded". */
    String describe(Connection target) {
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*), max(source_commit_lsn), "
                + "max(to_timestamp(source_ts_ms / 1000.0))::text FROM " + TABLE + " WHERE connector = " + Ident.literal(connector))) {
            rs.next();
            if (rs.getLong(1) == 0 || rs.getObject(2) == null) {
                return "nothing";
            }
            long lsn = rs.getLong(2);
            return "up to source LSN " + Long.toHexString(lsn >>> 32).toUpperCase() + "/" + Long.toHexString(lsn & 0xffffffffL).toUpperCase()
                    + " (source time " + rs.getString(3) + ")";
        } catch (SQLException noSinkState) {
            return "nothing recorded";
        }
    }
}

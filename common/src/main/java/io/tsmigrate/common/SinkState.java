package io.tsmigrate.common;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * What the sink connector has applied, read from its state table in the target ({@code tsmigrate.sink_offsets}: in
 * {@link StateStore#SCHEMA}, which the shipped sink template gives as the sink's {@code state.schema}). The one place
 * the CLI and the benchmarks read it; the sink writes it (sink-timescale's {@code OffsetStore}).
 *
 * @param connector the sink connector's name
 */
public record SinkState(String connector) {

    public static final String TABLE = StateStore.SCHEMA + ".sink_offsets";

    /** A topic's partition. */
    public record Partition(String topic, int partition) {
    }

    /** Whether the sink has created its state table (it does at its first start). */
    public static boolean exists(Connection target) throws SQLException {
        try (Statement st = target.createStatement(); ResultSet rs = st.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
            rs.next();
            return rs.getBoolean(1);
        }
    }

    /** The last Kafka offset applied per partition (empty before the sink's first commit). */
    public Map<Partition, Long> applied(Connection target) throws SQLException {
        Map<Partition, Long> applied = new HashMap<>();
        if (!exists(target)) {
            return applied;
        }
        try (Statement st = target.createStatement();
                ResultSet rs = st.executeQuery("SELECT topic, kafka_partition, kafka_offset FROM " + TABLE + " WHERE connector = " + Ident.literal(connector))) {
            while (rs.next()) {
                applied.put(new Partition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
            }
        }
        return applied;
    }

    /** Totals for {@code status}, or null before the sink's first start. */
    public Totals totals(Connection target) throws SQLException {
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
    public record Totals(long partitions, long records, Long lagMs, String lastCommit) {
    }

    /** How far the sink got in the source's terms, for messages: "up to source LSN …", "nothing" or "nothing recorded". */
    public String describe(Connection target) {
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

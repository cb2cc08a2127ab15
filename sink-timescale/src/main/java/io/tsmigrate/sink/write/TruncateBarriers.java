package io.tsmigrate.sink.write;

import io.tsmigrate.sink.read.ChangeEvent;
import io.tsmigrate.sink.read.Op;
import io.tsmigrate.sink.sql.Sql;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.header.Header;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * A TRUNCATE of a table whose topic has several partitions. Rows written before it on the source may wait in any
 * partition, possibly in another task, so it may take effect only once every partition has applied everything before
 * it, and before any partition applies anything after it. tsmigrate's source task ({@code ExactPostgresTask}) sends a
 * copy of such a TRUNCATE to every partition of the topic, with the header {@value #HEADER} (the partition count).
 * Each partition that reaches its copy records its arrival in {@code <state schema>.truncate_barriers} and waits
 * there; the flush that finds all partitions arrived runs the TRUNCATE and marks the barrier done, in one
 * transaction; every other copy is then passed over. Deciders of one barrier take a transaction-level advisory lock,
 * so exactly one runs it. Not thread-safe.
 */
public final class TruncateBarriers {

    /** The header on each copy of a TRUNCATE sent to every partition of a topic: how many partitions the topic has. */
    static final String HEADER = "tsmigrate.truncate.partitions";

    private static final Logger LOG = LoggerFactory.getLogger(TruncateBarriers.class);

    private final String table;

    public TruncateBarriers(String stateSchema) {
        this.table = Sql.ident(stateSchema) + ".truncate_barriers";
    }

    /** The partition count a TRUNCATE copy carries, or 0 for a change that is no such copy. */
    static int partitions(ChangeEvent e) {
        if (e == null || e.op() != Op.TRUNCATE) {
            return 0;
        }
        Header h = e.record().headers().lastWithName(HEADER);
        if (h == null || h.value() == null) {
            return 0;
        }
        Object v = h.value();
        String text = v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : v.toString();
        try {
            return Integer.parseInt(text.trim());
        } catch (NumberFormatException bad) {
            return 0;
        }
    }

    /**
     * Records the arrival of the first TRUNCATE copy each partition reaches in this flush (before its cut), then per
     * barrier: done already, its copies are passed over ({@code skip}); all partitions arrived, the first copy here
     * runs it and the rest are passed over; else each copy here waits ({@code cut}). A partition's second copy in one
     * flush is where it stops: its arrival at a later barrier is recorded only once everything before that copy is
     * applied, since the first barrier may hold the partition and another task may then complete the second one.
     *
     * @return whether a partition was stopped
     */
    boolean decide(Connection c, List<Holds.Taken> taken, Map<TopicPartition, Integer> cut, Set<Integer> skip) throws SQLException {
        // Per barrier (topic and WAL record of the TRUNCATE), in a fixed order so that two tasks lock barriers alike.
        Map<String, List<Holds.Taken>> copies = new TreeMap<>();
        Set<TopicPartition> reached = new HashSet<>();
        boolean stopped = false;
        for (Holds.Taken t : taken) {
            Integer from = cut.get(t.b().partition());
            if (t.apply() && (from == null || t.index() < from) && partitions(t.event()) > 1 && t.event().move() != null) {
                if (!reached.add(t.b().partition())) {
                    cut.put(t.b().partition(), t.index());
                    stopped = true;
                    continue;
                }
                copies.computeIfAbsent(t.b().record().topic() + "\u0000" + t.event().move(), k -> new ArrayList<>()).add(t);
            }
        }
        for (List<Holds.Taken> here : copies.values()) {
            Holds.Taken first = here.get(0);
            String topic = first.b().record().topic();
            String barrier = first.event().move();
            int needed = partitions(first.event());
            try (PreparedStatement arrive = c.prepareStatement("INSERT INTO " + table + " (topic, barrier, kafka_partition) VALUES (?, ?, ?) "
                    + "ON CONFLICT DO NOTHING")) {
                for (Holds.Taken t : here) {
                    arrive.setString(1, topic);
                    arrive.setString(2, barrier);
                    arrive.setInt(3, t.b().record().kafkaPartition());
                    arrive.addBatch();
                }
                arrive.executeBatch();
            }
            // The lock first, in a statement of its own: the next statement's snapshot then sees what the lock's previous
            // holder committed (another task that ran the TRUNCATE and marked it done while this one waited).
            try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                lock.setString(1, topic + "/" + barrier);
                lock.execute();
            }
            int arrived;
            boolean done;
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FILTER (WHERE kafka_partition >= 0), count(*) FILTER (WHERE "
                    + "kafka_partition = -1) > 0 FROM " + table + " WHERE topic = ? AND barrier = ?")) {
                ps.setString(1, topic);
                ps.setString(2, barrier);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    arrived = rs.getInt(1);
                    done = rs.getBoolean(2);
                }
            }
            if (done || arrived >= needed) {
                if (!done) {
                    markDone(c, topic, barrier);
                    LOG.info("TRUNCATE of {} at source LSN {}: every partition of {} has reached it; applying it", first.event().table(),
                            first.event().changeLsn(), topic);
                }
                for (Holds.Taken t : here) {
                    if (done || t != first) {
                        skip.add(t.index());
                    }
                }
                continue;
            }
            for (Holds.Taken t : here) {
                cut.merge(t.b().partition(), t.index(), Math::min);
            }
            stopped = true;
        }
        return stopped;
    }

    private void markDone(Connection c, String topic, String barrier) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (topic, barrier, kafka_partition) VALUES (?, ?, -1) "
                + "ON CONFLICT DO NOTHING")) {
            ps.setString(1, topic);
            ps.setString(2, barrier);
            ps.executeUpdate();
        }
    }

    /** The schema exists ({@link OffsetStore#createIfMissing}). */
    void createIfMissing(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            // Partition -1 marks a barrier done.
            st.execute("CREATE TABLE IF NOT EXISTS " + table + " (topic text NOT NULL, barrier text NOT NULL, kafka_partition int NOT NULL, "
                    + "arrived_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (topic, barrier, kafka_partition))");
        }
    }
}

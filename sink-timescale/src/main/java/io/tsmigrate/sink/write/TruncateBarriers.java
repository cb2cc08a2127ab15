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
 * A TRUNCATE of a table whose topic has several partitions, or whose rows several source streams carry (a table split
 * by key, each stream with its own topic). Rows written before it on the source may wait in any partition of any of
 * those topics, possibly in another task, so it may take effect only once every one has applied everything before it,
 * and before any applies anything after it. tsmigrate's source task ({@code ExactPostgresTask}) sends a copy of such a
 * TRUNCATE to every partition of the topic, with the header {@value #HEADER} (the number of copies in all); for a
 * split table each stream sends its copies, which also carry {@value #GROUP_HEADER} (the table, the same on every
 * stream) and {@value #COPY_HEADER} (the copy's number among all of them). A barrier is named by the group (else the
 * topic) and the TRUNCATE's WAL record, which every stream decodes alike; an arrival by the copy's number (else the
 * partition).
 * Each partition that reaches its copy records its arrival in {@code <state schema>.truncate_barriers} and waits
 * there; the flush that finds all partitions arrived runs the TRUNCATE and marks the barrier done, in one
 * transaction; every other copy is then passed over. Deciders of one barrier take a transaction-level advisory lock,
 * so exactly one runs it. Not thread-safe.
 */
public final class TruncateBarriers {

    /** The header on each copy of a TRUNCATE sent to every partition of a topic: how many copies there are in all. */
    static final String HEADER = "tsmigrate.truncate.partitions";
    /** The header naming the barrier's group when copies come through several topics (a split table: its name). */
    static final String GROUP_HEADER = "tsmigrate.truncate.group";
    /** The header numbering a copy among all of a group's copies. */
    static final String COPY_HEADER = "tsmigrate.truncate.copy";

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
        String text = header(e, HEADER);
        try {
            return text == null ? 0 : Integer.parseInt(text.trim());
        } catch (NumberFormatException bad) {
            return 0;
        }
    }

    /** The barrier's group: the split table a copy names, else its topic. */
    static String group(ChangeEvent e) {
        String g = header(e, GROUP_HEADER);
        return g != null ? g : e.record().topic();
    }

    /** The copy's number among its group's: the one it carries, else its partition. */
    static int copy(ChangeEvent e) {
        String n = header(e, COPY_HEADER);
        return n != null ? Integer.parseInt(n.trim()) : e.record().kafkaPartition();
    }

    private static String header(ChangeEvent e, String name) {
        Header h = e.record().headers().lastWithName(name);
        if (h == null || h.value() == null) {
            return null;
        }
        Object v = h.value();
        return v instanceof byte[] b ? new String(b, StandardCharsets.UTF_8) : v.toString();
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
                copies.computeIfAbsent(group(t.event()) + "\u0000" + t.event().move(), k -> new ArrayList<>()).add(t);
            }
        }
        for (List<Holds.Taken> here : copies.values()) {
            Holds.Taken first = here.get(0);
            String topic = group(first.event());
            String barrier = first.event().move();
            int needed = partitions(first.event());
            try (PreparedStatement arrive = c.prepareStatement("INSERT INTO " + table + " (topic, barrier, kafka_partition) VALUES (?, ?, ?) "
                    + "ON CONFLICT DO NOTHING")) {
                for (Holds.Taken t : here) {
                    arrive.setString(1, topic);
                    arrive.setString(2, barrier);
                    arrive.setInt(3, copy(t.event()));
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
                    LOG.info("TRUNCATE of {} at source LSN {}: every copy of it ({}) has been reached; applying it", first.event().table(),
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

package io.tsmigrate.sink.write;

import io.tsmigrate.sink.buffer.Buffered;
import io.tsmigrate.sink.read.ChangeEvent;
import io.tsmigrate.sink.read.Op;
import io.tsmigrate.sink.read.TableId;

import io.tsmigrate.testkit.ServicesExtension;
import io.tsmigrate.testkit.TestDatabases;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.header.ConnectHeaders;
import org.apache.kafka.connect.sink.SinkRecord;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two TRUNCATEs of a table spread over two partitions, whose copies reach two tasks in flushes that each hold both
 * of a partition's copies (as after a rebalance, when one poll returns thousands of records). The second barrier may
 * count a partition only once the partition has applied everything before its copy; otherwise the task that completes
 * the first barrier completes the second one in the same flush, while the other task's rows between the two
 * TRUNCATEs still wait, and they survive the second TRUNCATE (seen in ClusterFaultsIT: 3,815 extra rows).
 */
@ExtendWith(ServicesExtension.class)
class TruncateBarriersIT {

    private static final String TOPIC = "t.public.notes";
    private static final TableId TABLE = new TableId("public", "notes");

    @Test
    @DisplayName("a partition's second TRUNCATE copy in one flush waits until the first barrier lets the partition on")
    void second_copy_waits(TestDatabases dbs) throws Exception {
        TruncateBarriers barriers = new TruncateBarriers("tsmigrate_state");
        try (Connection a = dbs.openTarget(); Connection b = dbs.openTarget()) {
            try (Statement st = a.createStatement()) {
                st.execute("CREATE SCHEMA IF NOT EXISTS tsmigrate_state");
            }
            barriers.createIfMissing(a);
            // Source order: TRUNCATE (txid 10, LSN 100), a row in each partition (LSN 150, 160), TRUNCATE (txid 20, LSN 200).
            List<Holds.Taken> first = List.of(truncate(0, 0, 10, 100), insert(1, 0, 150), truncate(2, 0, 20, 200));
            List<Holds.Taken> second = List.of(truncate(0, 1, 10, 100), insert(1, 1, 160), truncate(2, 1, 20, 200));

            // Task A (partition 0): the first barrier waits for partition 1, so partition 0 stops at its first copy and
            // has not reached the second barrier.
            a.setAutoCommit(false);
            Map<TopicPartition, Integer> cutA = new HashMap<>();
            Set<Integer> skipA = new HashSet<>();
            assertThat(barriers.decide(a, first, cutA, skipA)).isTrue();
            a.commit();
            assertThat(cutA).containsEntry(new TopicPartition(TOPIC, 0), 0);
            assertThat(arrivals(a, "20/200")).isEmpty();
            assertThat(arrivals(a, "10/100")).containsExactly(0);

            // Task B (partition 1): the first barrier is complete and runs here; the second one still waits for partition
            // 0's row at LSN 150, so partition 1 stops at its second copy.
            b.setAutoCommit(false);
            Map<TopicPartition, Integer> cutB = new HashMap<>();
            Set<Integer> skipB = new HashSet<>();
            assertThat(barriers.decide(b, second, cutB, skipB)).isTrue();
            b.commit();
            assertThat(cutB).containsEntry(new TopicPartition(TOPIC, 1), 2);
            assertThat(skipB).isEmpty();
            assertThat(arrivals(b, "10/100")).containsExactly(-1, 0, 1);
            assertThat(arrivals(b, "20/200")).isEmpty();

            // Task A again: the first barrier is done (its copy passed over); partition 0 applies its row and stops at
            // the second copy, which it reaches in the flush after (as the first of the flush), and waits there.
            Map<TopicPartition, Integer> cutA2 = new HashMap<>();
            Set<Integer> skipA2 = new HashSet<>();
            assertThat(barriers.decide(a, first, cutA2, skipA2)).isTrue();
            a.commit();
            assertThat(skipA2).containsExactly(0);
            assertThat(cutA2).containsEntry(new TopicPartition(TOPIC, 0), 2);
            assertThat(arrivals(a, "20/200")).isEmpty();
            Map<TopicPartition, Integer> cutA3 = new HashMap<>();
            assertThat(barriers.decide(a, List.of(truncate(2, 0, 20, 200)), cutA3, new HashSet<>())).isTrue();
            a.commit();
            assertThat(cutA3).containsEntry(new TopicPartition(TOPIC, 0), 2);
            assertThat(arrivals(a, "20/200")).containsExactly(0);

            // Task B again, from its second copy: every partition has reached the second barrier; it runs here.
            Map<TopicPartition, Integer> cutB2 = new HashMap<>();
            Set<Integer> skipB2 = new HashSet<>();
            assertThat(barriers.decide(b, List.of(truncate(2, 1, 20, 200)), cutB2, skipB2)).isFalse();
            b.commit();
            assertThat(cutB2).isEmpty();
            assertThat(skipB2).isEmpty();
            assertThat(arrivals(b, "20/200")).containsExactly(-1, 0, 1);
        }
    }

    private static List<Integer> arrivals(Connection c, String barrier) throws Exception {
        List<Integer> out = new ArrayList<>();
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT kafka_partition FROM tsmigrate_state.truncate_barriers "
                + "WHERE barrier = '" + barrier + "' ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getInt(1));
            }
        }
        c.commit();
        return out;
    }

    private static Holds.Taken truncate(int index, int partition, long txId, long lsn) {
        ConnectHeaders headers = new ConnectHeaders();
        headers.addString(TruncateBarriers.HEADER, "2");
        return taken(index, partition, Op.TRUNCATE, txId, lsn, headers);
    }

    private static Holds.Taken insert(int index, int partition, long lsn) {
        return taken(index, partition, Op.INSERT, 15, lsn, new ConnectHeaders());
    }

    private static Holds.Taken taken(int index, int partition, Op op, long txId, long lsn, ConnectHeaders headers) {
        SinkRecord record = new SinkRecord(TOPIC, partition, null, null, Schema.STRING_SCHEMA, "", index, null, null, headers);
        ChangeEvent e = new ChangeEvent(record, TABLE, op, null, null, null, lsn, -1, lsn - 1, lsn, txId, 1);
        return new Holds.Taken(index, new Buffered(record, e), Position.NONE, true);
    }
}

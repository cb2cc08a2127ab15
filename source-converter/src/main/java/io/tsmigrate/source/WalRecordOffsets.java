package io.tsmigrate.source;

import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * Gives each record of Debezium's PostgreSQL connector an offset from which a restart cannot skip a change.
 *
 * <p>Many changes share one WAL position: the rows of one {@code COPY} page or multi-row insert (one
 * {@code heap_multi_insert} record), the DELETE and CREATE Debezium makes of a primary-key change, a transaction's
 * BEGIN and its first change. pgoutput tells Debezium nothing about how many there are, so Debezium 3.6.1 stores the
 * change's own position as completely processed ({@code lsn_proc}) and, restarted from it, resumes at the next
 * position: the changes of that position it had not sent yet are never sent (dbz#1554). That happens whenever the
 * last offset Connect stores falls inside such a group, which a graceful restart (a rebalance, a connector restart, a
 * worker shutdown) makes likely: Connect stores the offset of the last record produced, and drops the rest of
 * Debezium's queue.
 *
 * <p>Here every record of a group carries the offset of the last record <em>before</em> the group, which Debezium
 * itself produced once the group before was complete. A restart from it resumes exactly at the group's first change
 * (Debezium's own crash-restart path, with its transaction counters restored to that point), so the changes of the
 * group already sent are sent again with the same position and transaction order, and the sink skips them (see
 * sink-timescale/DESIGN.md). A group is a run of records with the same {@code lsn_proc}; a record of another
 * position closes it.
 *
 * <p>A transaction's COMMIT is the safe point for what follows it, with its {@code lsn_proc} moved one byte back.
 * Debezium gives a COMMIT the position where its commit record ends, which is where the next WAL record begins, and
 * that record may be a change of a transaction that began earlier and commits later (a long transaction next to
 * short ones). Restarted from the COMMIT's own offset, Debezium 3.6.1 resends that longer transaction whole (it
 * commits after the stored position), meets the change at the stored position, takes it for the last one processed
 * and resumes after it: every earlier change of the longer transaction is lost. No record begins one byte before a
 * commit record's end (records are 8-byte aligned), so from the moved position Debezium finds no such change and
 * resumes, as its search does when it meets the first commit after the stored one, at the BEGIN of the first
 * transaction it receives, which is the first one not yet sent. The commit position ({@code lsn_commit}) moves back
 * with it: Debezium confirms that position of the offsets Connect stored to the slot, and it checks at start that the
 * slot's restart point is not past the stored {@code lsn_proc}. Confirmed at the commit's end, the slot's restart point
 * reaches that end as soon as the next WAL record is a running-transactions record (PostgreSQL writes one after any
 * quiet spell), one byte past the stored position, and the restarted task failed with "no longer available on the
 * server" although nothing was missing. Confirmed one byte earlier, PostgreSQL still counts the transaction as sent
 * (it compares where a commit record begins) and the restart point can never pass the stored position. Debezium's
 * resume search decides the same with either commit position, since every transaction it can receive commits at or
 * after the commit's end. The first group after a connector's very first start has
 * no earlier position: its records carry no offset at all, which Connect stores as "none" (a tombstone), so a
 * restart inside it starts as Debezium's first start did, at the replication slot, which Debezium confirms only from
 * stored offsets and so has not moved. A record without a position (a heartbeat before any change) is such a start
 * point too and is kept for the group after it. Snapshot records keep their own offsets (they hold the snapshot's
 * progress), and so does the first group after a snapshot.
 *
 * <p>TimescaleDB's compression markers make one group too: every record from a {@code ::timescaledb-...-start}
 * logical message to its {@code -end} carries the offset from before the start marker. The sink side's
 * {@code CompressionMoves} transform knows it is inside a row move only from having seen the start marker; restarted
 * inside the span, Debezium sends the start marker again and the moves stay dropped.
 *
 * <p>One instance per task; called on the task's polling thread only.
 */
final class WalRecordOffsets {

    /** Debezium's offset key for the last completely processed WAL position, the one a restart resumes after. */
    static final String PROCESSED = "lsn_proc";

    /** Debezium's offset key for the last commit's position, the one it confirms to the replication slot. */
    static final String COMMITTED = "lsn_commit";

    /** Present in the offsets of snapshot records. */
    static final String SNAPSHOT = "snapshot";

    /** The kind of the change an offset belongs to; {@value #COMMIT} for a transaction's end. */
    static final String MESSAGE_TYPE = "messageType";

    static final String COMMIT = "COMMIT";

    /** The prefix of TimescaleDB's compression and decompression markers (logical decoding messages). */
    static final String MARKER_PREFIX = "::timescaledb-";

    private final Function<Map<String, ?>, Map<String, ?>> stored;
    private final Map<Map<String, ?>, Group> groups = new HashMap<>();

    /** @param stored the offset Connect holds for a source partition (null when there is none) */
    WalRecordOffsets(Function<Map<String, ?>, Map<String, ?>> stored) {
        this.stored = stored;
    }

    /** The records in the same order, each with its safe offset. */
    List<SourceRecord> apply(List<SourceRecord> records) {
        if (records == null || records.isEmpty()) {
            return records;
        }
        List<SourceRecord> out = new ArrayList<>(records.size());
        for (SourceRecord r : records) {
            out.add(apply(r));
        }
        return out;
    }

    SourceRecord apply(SourceRecord r) {
        Map<String, ?> partition = r.sourcePartition();
        Map<String, ?> offset = r.sourceOffset();
        if (partition == null || offset == null) {
            return r;
        }
        Group g = groups.computeIfAbsent(partition, p -> new Group(stored.apply(p)));
        Object position = offset.get(PROCESSED);
        if (offset.containsKey(SNAPSHOT)) {
            g.reset();
            g.fresh = false;
            return r;
        }
        if (position == null) {
            // Nothing processed yet: resuming from here is resuming from the slot's position.
            g.reset();
            g.before = offset;
            g.last = offset;
            return r;
        }
        if (COMMIT.equals(offset.get(MESSAGE_TYPE))) {
            // A transaction's end is a safe point, one byte before it (see above): restarted from there, Debezium
            // resumes at the BEGIN of the next transaction it receives.
            Map<String, ?> safe = beforeCommitEnd(offset);
            g.moving = false;
            g.position = position;
            g.before = safe;
            g.last = safe;
            return safe == offset ? r : withOffset(r, safe);
        }
        String marker = marker(r);
        if (!position.equals(g.position)) {
            if (g.last != null && !g.moving) {
                g.before = g.last;
            }
            g.position = position;
        }
        if (marker != null) {
            g.moving = marker.endsWith("-start");
        }
        g.last = offset;
        if (g.before == null) {
            return g.fresh ? withOffset(r, null) : r;
        }
        return g.before == offset ? r : withOffset(r, g.before);
    }

    /** The COMMIT's offset with {@code lsn_proc} and {@code lsn_commit} one byte before the end of its commit record. */
    private static Map<String, ?> beforeCommitEnd(Map<String, ?> offset) {
        if (!(offset.get(PROCESSED) instanceof Number n) || n.longValue() <= 0) {
            return offset;
        }
        long safe = n.longValue() - 1;
        Map<String, Object> moved = new HashMap<>(offset);
        moved.put(PROCESSED, safe);
        if (offset.get(COMMITTED) instanceof Number c && c.longValue() > safe) {
            moved.put(COMMITTED, safe);
        }
        return moved;
    }

    private static SourceRecord withOffset(SourceRecord r, Map<String, ?> offset) {
        return new SourceRecord(r.sourcePartition(), offset, r.topic(), r.kafkaPartition(), r.keySchema(), r.key(),
                r.valueSchema(), r.value(), r.timestamp(), r.headers());
    }

    /** The prefix of a TimescaleDB compression marker record, or null for any other record. */
    static String marker(SourceRecord r) {
        if (!(r.value() instanceof Struct value) || value.schema().field("message") == null
                || value.schema().field("op") == null || !"m".equals(value.getString("op"))) {
            return null;
        }
        Struct message = value.getStruct("message");
        if (message == null || message.schema().field("prefix") == null) {
            return null;
        }
        String prefix = message.getString("prefix");
        return prefix != null && prefix.startsWith(MARKER_PREFIX) ? prefix : null;
    }

    /** The current group of one source partition. */
    private static final class Group {
        Object position;
        /** The offset of the last record before the group: where a restart must resume from. */
        Map<String, ?> before;
        Map<String, ?> last;
        /** Between a compression marker's start and its end: the group lasts until the end. */
        boolean moving;
        /** No offset was stored and no snapshot ran: a restart begins at the replication slot. */
        boolean fresh;

        Group(Map<String, ?> stored) {
            this.before = stored;
            this.fresh = stored == null;
        }

        void reset() {
            position = null;
            before = null;
            last = null;
            moving = false;
        }
    }
}

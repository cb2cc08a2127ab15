package io.tsmigrate.sink.write;

import io.tsmigrate.sink.read.ChangeEvent;

/**
 * How far one topic partition is applied: the last Kafka offset, and where the stream of Debezium changes
 * stands (see DESIGN.md, "Exactly once"). Immutable.
 *
 * <p>A change is identified by its source position (Debezium's {@code source.sequence}: the previous
 * transaction's commit LSN and the change's LSN, which never decrease in the order Debezium emits; inside one
 * transaction, {@code source.txId}, by the change's LSN alone, because Debezium leaves the first part out in the
 * first transaction it streams after a fresh start and fills it with another LSN when it resumes inside that
 * transaction) and, because
 * one WAL record can hold many changes (COPY, multi-row INSERT, the DELETE and CREATE of a key change), by its
 * index among the changes at that position. After a restart Debezium 3.6 sends again every change from the first
 * position after the one it last committed, so a resent run of changes at a position starts at that position's
 * first change. A resent run is told from a continuing one by Debezium's transaction metadata: inside one run
 * {@code transaction.total_order} grows from change to change (by exactly one in a topic of one partition; a
 * partition of a topic with several sees some of a run's changes), and a resent run starts at or below the order
 * the run before it reached.
 *
 * @param offset       last Kafka offset taken into account, -1 for none
 * @param commitLsn    position of the last change seen (first part), -1 where unknown
 * @param changeLsn    position of the last change seen (second part), -1 where unknown
 * @param txId         source transaction of the last change seen, -1 where unknown
 * @param groupApplied how many changes at that position are applied (the highest index applied)
 * @param groupIndex   index, in its run, of the last change seen at that position
 * @param groupOrder   transaction order of the last change seen at that position, -1 where unknown
 */
public record Position(long offset, long commitLsn, long changeLsn, long txId, int groupApplied, int groupIndex, long groupOrder) {

    public static final Position NONE = new Position(-1, -1, -1, -1, 0, 0, -1);

    /** What taking one record does: the position after it, and whether its change is to be applied. */
    public record Step(Position next, boolean apply) {
    }

    /**
     * Takes the record at {@code kafkaOffset} holding event {@code e} (null for a record the sink skips).
     * Events without a source position (snapshot records, flat rows) are always applied.
     */
    public Step take(long kafkaOffset, ChangeEvent e) {
        long o = Math.max(offset, kafkaOffset);
        if (e == null || e.changeLsn() < 0) {
            return new Step(new Position(o, commitLsn, changeLsn, txId, groupApplied, groupIndex, groupOrder), e != null);
        }
        int cmp = changeLsn < 0 ? 1 : compareTo(e);
        if (cmp > 0) {
            return new Step(new Position(o, e.commitLsn(), e.changeLsn(), e.txId(), 1, 1, e.txOrder()), true);
        }
        if (cmp < 0) {
            // Sent again after a restart: everything before the last position seen is applied.
            return new Step(new Position(o, commitLsn, changeLsn, txId, groupApplied, groupIndex, groupOrder), false);
        }
        // Another change at the same position: the next one of this run, or the first of a resent run. Orders grow
        // inside a run; in a topic with several partitions a partition sees only some of a run's changes, so by more
        // than one. A resent run starts at or below the order of the run's first change, so at or below the order
        // this partition saw last.
        boolean continues = e.txOrder() < 0 || groupOrder < 0 || e.txOrder() > groupOrder;
        int index = continues ? groupIndex + 1 : 1;
        boolean apply = index > groupApplied;
        return new Step(new Position(o, commitLsn, changeLsn, txId, Math.max(groupApplied, index), index, e.txOrder()), apply);
    }

    /**
     * Where {@code e} stands against the last change seen: in the same transaction by the change's LSN; otherwise
     * by the whole sequence, a missing first part (the first transaction after a fresh start of Debezium, which
     * resends from the slot's confirmed position) before any other.
     */
    private int compareTo(ChangeEvent e) {
        if (e.txId() >= 0 && e.txId() == txId) {
            return Long.compare(e.changeLsn(), changeLsn);
        }
        return e.commitLsn() != commitLsn ? Long.compare(e.commitLsn(), commitLsn) : Long.compare(e.changeLsn(), changeLsn);
    }

    /** Parses Debezium's sequence, a JSON array of two decimal strings or nulls: {@code ["22927424","22927560"]}. */
    public static long[] parseSequence(String sequence) {
        // Debezium writes ["<last commit LSN>","<this change's LSN>"], either part possibly null; read the two
        // numbers without splitting (this runs once per record).
        long[] out = {-1, -1};
        if (sequence == null || sequence.length() < 2) {
            return out;
        }
        int part = 0;
        int i = 1;
        int end = sequence.length() - 1;
        while (i < end && part < 2) {
            char ch = sequence.charAt(i);
            if (ch >= '0' && ch <= '9') {
                long v = 0;
                int digits = 0;
                while (i < end && (ch = sequence.charAt(i)) >= '0' && ch <= '9') {
                    if (++digits > 18) {
                        return new long[] {-1, -1};
                    }
                    v = v * 10 + (ch - '0');
                    i++;
                }
                out[part] = v;
                continue;
            }
            if (ch == ',') {
                part++;
            } else if (ch != '"' && ch != ' ' && ch != 'n' && ch != 'u' && ch != 'l') {
                return new long[] {-1, -1};
            }
            i++;
        }
        return out;
    }
}

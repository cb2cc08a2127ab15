package io.tsmigrate.sink;

/**
 * How far one topic partition is applied: the last Kafka offset, and the source position of the last
 * applied streamed change (Debezium's {@code source.sequence}: the previous transaction's commit LSN and the
 * change's LSN, which grow in the order Debezium emits changes). -1 where unknown. Immutable.
 */
record Position(long offset, long commitLsn, long changeLsn) {

    static final Position NONE = new Position(-1, -1, -1);

    /**
     * Whether the event was applied already although its Kafka offset is new: after a crash Debezium resends
     * changes from its last flushed LSN, as new records. Snapshot events carry no such position and are
     * never taken for replays.
     */
    boolean covers(ChangeEvent e) {
        if (e.commitLsn() < 0 || e.changeLsn() < 0 || commitLsn < 0) {
            return false;
        }
        if (e.commitLsn() != commitLsn) {
            return e.commitLsn() < commitLsn;
        }
        if (e.changeLsn() != changeLsn) {
            return e.changeLsn() < changeLsn;
        }
        // The same position twice: a primary key change gives a delete and a create from one WAL record (keyed,
        // and applying them again is harmless); in a table without a key it can only be a resent change.
        return e.key() == null;
    }

    /** This position moved past a record at {@code kafkaOffset} holding event {@code e} (null for a skipped record). */
    Position advance(long kafkaOffset, ChangeEvent e) {
        long o = Math.max(offset, kafkaOffset);
        if (e == null || e.commitLsn() < 0 || e.changeLsn() < 0) {
            return new Position(o, commitLsn, changeLsn);
        }
        boolean later = e.commitLsn() > commitLsn || (e.commitLsn() == commitLsn && e.changeLsn() > changeLsn);
        return later ? new Position(o, e.commitLsn(), e.changeLsn()) : new Position(o, commitLsn, changeLsn);
    }

    /** Parses Debezium's sequence, a JSON array of two decimal strings or nulls: {@code ["22927424","22927560"]}. */
    static long[] parseSequence(String sequence) {
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

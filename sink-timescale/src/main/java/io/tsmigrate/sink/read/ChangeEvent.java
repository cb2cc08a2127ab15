package io.tsmigrate.sink.read;

import org.apache.kafka.connect.sink.SinkRecord;

/**
 * A record read into what the sink applies: the target table, the operation, the key image and the new
 * row image. Immutable.
 *
 * @param record    the Kafka record it came from (for offsets and the dead letter queue)
 * @param table     the target table
 * @param op        what it does
 * @param key       the key image (record key, or null when the record has none)
 * @param after     the new row (null for DELETE and TRUNCATE)
 * @param before    the old row when the event carries one (null otherwise)
 * @param sourceLsn the source LSN, or -1 when unknown
 * @param sourceTsMs the source commit time in ms since the epoch, or -1 when unknown
 * @param commitLsn  first part of Debezium's source.sequence (the previous transaction's commit LSN), or -1
 * @param changeLsn  second part of source.sequence (this change's LSN), or -1
 * @param txId       the source transaction (Debezium's source.txId), or -1
 * @param txOrder    Debezium's transaction.total_order (the change's place in its transaction, from 1), or -1
 */
public record ChangeEvent(SinkRecord record, TableId table, Op op, Row key, Row after, Row before, long sourceLsn, long sourceTsMs,
                   long commitLsn, long changeLsn, long txId, long txOrder) {

    /** Debezium's header on the DELETE half of a primary-key change; the CREATE of the new key follows it. */
    public static final String NEW_KEY_HEADER = "__debezium.newkey";
    /** Debezium's header on the CREATE half of a primary-key change. */
    public static final String OLD_KEY_HEADER = "__debezium.oldkey";

    /** Whether this is the DELETE half of a primary-key change (its CREATE, with the old row's unchanged values, follows). */
    public boolean deletesForKeyChange() {
        return op == Op.DELETE && record.headers().lastWithName(NEW_KEY_HEADER) != null;
    }

    /** Whether this is the CREATE half of a primary-key change. */
    public boolean createsForKeyChange() {
        return record.headers().lastWithName(OLD_KEY_HEADER) != null;
    }

    /**
     * What names this change's WAL record, shared by the two halves of a primary-key change (Debezium makes both of
     * one UPDATE record): the source transaction and the change's LSN; null where the event carries no position.
     */
    public String move() {
        return txId >= 0 && changeLsn >= 0 ? txId + "/" + changeLsn : null;
    }

    public String position() {
        return "topic " + record.topic() + ", partition " + record.kafkaPartition() + ", offset " + record.kafkaOffset();
    }
}

package io.tsmigrate.sink.read;

/** What a change event does to its row. */
public enum Op {
    /** Debezium c (create) or r (snapshot read), or a flat record: the row is new. */
    INSERT,
    /** Debezium u: the row changed (its time or key may have moved). */
    UPDATE,
    /** Debezium d: the row is gone. */
    DELETE,
    /** Debezium t: the table was truncated. */
    TRUNCATE
}

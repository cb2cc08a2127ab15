package io.tsmigrate.bootstrap;

/**
 * What the Debezium PostgreSQL connector needs to stream exactly the changes committed after the copied
 * snapshot (the shipped source templates take the slot and the publication; they never snapshot). Immutable.
 *
 * @param slotName        the slot created at the snapshot's point
 * @param publicationName the publication covering the migrated tables
 * @param consistentLsn   the slot's consistent point (the snapshot's position in the WAL)
 * @param rowsCopied      rows copied by this run (0 when it only resumed a finished bootstrap)
 * @param sources         source streams ({@link Lanes}): this slot and publication are stream 1's
 */
public record HandOver(String slotName, String publicationName, String consistentLsn, long rowsCopied, int sources) {
}

package io.tsmigrate.cli;

import io.tsmigrate.common.SinkState;
import io.tsmigrate.common.StateStore;
import io.tsmigrate.common.Db;
import io.tsmigrate.common.Ident;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Streaming of a migration started before, and its connectors are gone (deleted, a rebuilt Connect cluster, a lost
 * embedded data directory). Fresh connectors would stream from the slot's confirmed position into new topics: the
 * records that were only in the old topics are lost, and the sink's stored offsets point into topics that no longer
 * exist. So {@code start} refuses, saying where the slot and the sink stand and how to go on safely.
 */
final class LostStream {

    private LostStream() {
    }

    /** When streaming under this name started before (recorded on the target), its start time; else null. */
    static String startedAt(Endpoints endpoints, Names names) {
        try (Connection t = endpoints.target().open("tsmigrate-start")) {
            return StateStore.streamingStartedAt(t, names.name());
        } catch (SQLException e) {
            throw new CliException("cannot read the migration's state on the target " + endpoints.target() + ": " + e.getMessage());
        }
    }

    /** The refusal: where the slot and the sink stand, and the safe ways on. */
    static CliException refusal(Endpoints endpoints, Names names, String startedAt) {
        String sink;
        try (Connection t = endpoints.target().open("tsmigrate-start")) {
            sink = new SinkState(names.sinkConnector()).describe(t);
        } catch (SQLException e) {
            sink = "(unknown: " + e.getMessage() + ")";
        }
        String slot;
        try (Connection s = endpoints.source().open("tsmigrate-start")) {
            slot = Db.one(s, "SELECT coalesce(confirmed_flush_lsn::text, 'none') FROM pg_replication_slots WHERE slot_name = "
                    + Ident.literal(names.slot()));
        } catch (SQLException e) {
            slot = "(unknown: " + e.getMessage() + ")";
        }
        return new CliException("streaming of the migration " + names.name() + " started at " + startedAt + ", but its connectors "
                + names.sourceConnector() + " and " + names.sinkConnector() + " are gone from " + Cluster.running(endpoints, names).connect().url() + ". The slot "
                + names.slot() + " has confirmed " + (slot == null ? "nothing (it is gone)" : slot) + "; the sink has applied " + sink + ". New "
                + "connectors on new topics would lose the changes that were only in the old topics. Safe ways on: while Kafka still holds the "
                + "migration's topics, start --recreate (same --name; it checks the topics first); otherwise start the migration over: "
                + "tsmigrate bootstrap --restart, then tsmigrate start");
    }

    /**
     * Refuses {@code --recreate} unless Kafka still holds every topic partition the sink has read, up to at least
     * what it applied: then new connectors resume exactly (the sink goes on by its offsets; a Debezium without its
     * offsets resends from the slot's confirmed position and the sink drops what it has applied).
     */
    static void requireTopics(Endpoints endpoints, Names names) {
        if (!endpoints.isEmbedded() && endpoints.kafka == null) {
            throw new CliException("start --recreate must check the migration's topics first: give --kafka HOST:PORT");
        }
        try (CatchUp kafka = CatchUp.of(endpoints, names); Connection t = endpoints.target().open("tsmigrate-start")) {
            java.util.Map<org.apache.kafka.common.TopicPartition, Long> ends = kafka.endOffsets();
            java.util.List<String> missing = new java.util.ArrayList<>();
            kafka.applied(t).forEach((tp, offset) -> {
                if (offset >= 0 && ends.getOrDefault(tp, -1L) <= offset) {
                    missing.add(tp + " (applied up to offset " + offset + ", Kafka holds " + (ends.containsKey(tp) ? "up to " + ends.get(tp) : "no such topic")
                            + ")");
                }
            });
            if (!missing.isEmpty()) {
                throw new CliException("Kafka no longer holds what the sink has read of " + String.join(", ", missing) + ": new connectors could "
                        + "not resume exactly; start the migration over: tsmigrate bootstrap --restart, then tsmigrate start");
            }
        } catch (CliException e) {
            throw e;
        } catch (Exception e) {
            throw new CliException("cannot check the migration's topics in Kafka: " + e.getMessage(), e);
        }
    }

    /**
     * Fails closed when the migration's slot is gone or invalidated (dropped, or its WAL removed past
     * {@code max_slot_wal_keep_size}): changes after the loss never reach the target, so no catch-up can make it
     * equal. Names the slot, what it had confirmed and what the sink applied.
     */
    static void requireSlot(Connection source, Connection target, Names names, SourceStreams streams) throws SQLException {
        for (String slot : streams.slots()) {
            requireSlot(source, target, names, slot);
        }
    }

    private static void requireSlot(Connection source, Connection target, Names names, String slot) throws SQLException {
        com.fasterxml.jackson.databind.JsonNode row = SlotRow.read(source, slot);
        if (row != null && !SlotRow.lost(row)) {
            return;
        }
        String sink = new SinkState(names.sinkConnector()).describe(target);
        String what = row == null ? "does not exist (dropped)"
                : "was invalidated (" + (SlotRow.reason(row) == null ? "wal_status lost" : SlotRow.reason(row)) + ") after confirming "
                        + row.path("confirmed_flush_lsn").asText("none");
        throw new CliException("the replication slot " + slot + " " + what + "; the sink has applied " + sink + ". Changes after the "
                + "loss were never streamed, so the target cannot be made equal: nothing was stopped or changed. Start the migration over "
                + "(tsmigrate clean, then migrate; raise max_slot_wal_keep_size if WAL removal lost it)");
    }
}
